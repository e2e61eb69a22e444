"""AI-generated provenance: digitalSourceType from XMP and C2PA actions (dataset hygiene)."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.consent import provenance as prov
from crawler.consent.c2pa import C2paConfig
from crawler.consent.family import EvalEnv, ImageContext, Phase, ProbeView
from crawler.consent.policy import Policy
from crawler.consent.provenance import (
    FAMILY,
    Provenance,
    ProvenanceConfig,
    provenance_of,
    short_source_type,
)
from crawler.consent.verdict import Decision
from crawler.licenses.xmp import scan_xmp
from tests.licenses.test_xmp import jpeg_with_xmp

DATA = Path(__file__).resolve().parents[1] / "data" / "c2pa"
URL = "https://cdn.example/a.png"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"


def xmp_packet(body: str) -> bytes:
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
        f"{body}</rdf:RDF></x:xmpmeta>"
    ).encode()


def xmp_attr(value: str) -> bytes:
    return xmp_packet(f'<rdf:Description Iptc4xmpExt:DigitalSourceType="{value}"/>')


def ctx(body: bytes | None) -> ImageContext:
    return ImageContext(URL, "https://cdn.example", {}, None, ProbeView(URL, "GET", 200, {}, body))


def env(exclude: bool = False) -> EvalEnv:
    policy = Policy("standard", frozenset(), False, False, "range", False)
    return EvalEnv("consentcrawl", (), policy, ProvenanceConfig(exclude, C2paConfig(65536)))


def columns(body: bytes | None) -> dict[str, object]:
    return dict(prov.image_columns(ctx(body), env()))


def test_short_names_for_iptc_and_c2pa_iris_other_values_as_written() -> None:
    assert short_source_type(IPTC + "trainedAlgorithmicMedia") == "trainedAlgorithmicMedia"
    assert short_source_type(
        " https://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture "
    ) == ("digitalCapture")
    assert short_source_type("http://c2pa.org/digitalsourcetype/trainedAlgorithmicData") == (
        "trainedAlgorithmicData"
    )
    assert short_source_type("https://example.org/vocab/madeUp") == (
        "https://example.org/vocab/madeUp"
    )
    assert short_source_type(IPTC) == IPTC  # the scheme alone names no code


def test_ai_generated_codes() -> None:
    assert provenance_of((IPTC + "trainedAlgorithmicMedia",), None) == Provenance(
        "trainedAlgorithmicMedia", True, "c2pa"
    )
    assert provenance_of((IPTC + "compositeWithTrainedAlgorithmicMedia",), None).ai_generated
    assert provenance_of((IPTC + "digitalCapture",), None).ai_generated is False
    assert provenance_of((IPTC + "algorithmicMedia",), None).ai_generated is False  # no model
    # composite of synthetic elements: whether any is AI-made is not said
    assert provenance_of((IPTC + "compositeSynthetic",), None).ai_generated is None
    assert provenance_of(("https://example.org/x",), None) == Provenance(
        "https://example.org/x", None, "c2pa"
    )
    assert provenance_of((), None) == Provenance()
    assert provenance_of((), "  ") == Provenance()


def test_the_most_ai_value_wins_c2pa_before_xmp() -> None:
    # a photo with a generative fill: created by capture, then an AI-composited edit
    both = (IPTC + "digitalCapture", IPTC + "compositeWithTrainedAlgorithmicMedia")
    assert provenance_of(both, None) == Provenance(
        "compositeWithTrainedAlgorithmicMedia", True, "c2pa"
    )
    # XMP says AI, the manifest says capture: AI wins (hygiene is restrictive)
    found = provenance_of((IPTC + "digitalCapture",), IPTC + "trainedAlgorithmicMedia")
    assert found == Provenance("trainedAlgorithmicMedia", True, "xmp")
    # equal rank: the signed manifest's value is kept
    same = provenance_of((IPTC + "digitalCapture",), IPTC + "humanEdits")
    assert same == Provenance("digitalCapture", False, "c2pa")


def test_xmp_digital_source_type_attribute_and_resource_forms() -> None:
    found = scan_xmp(jpeg_with_xmp(xmp_attr(IPTC + "trainedAlgorithmicMedia")))
    assert found is not None
    assert found.digital_source_type == IPTC + "trainedAlgorithmicMedia"
    element = xmp_packet(
        "<rdf:Description><Iptc4xmpExt:DigitalSourceType "
        f'rdf:resource="{IPTC}digitalCapture"/></rdf:Description>'
    )
    found = scan_xmp(jpeg_with_xmp(element))
    assert found is not None and found.digital_source_type == IPTC + "digitalCapture"


def test_columns_from_c2pa_actions() -> None:
    ai = (DATA / "ai_generated.png").read_bytes()
    assert columns(ai) == {"digital_source_type": "trainedAlgorithmicMedia", "ai_generated": True}
    photo = (DATA / "cawg_notallowed.png").read_bytes()
    assert columns(photo) == {"digital_source_type": "digitalCapture", "ai_generated": False}


def test_columns_from_a_real_manifest_with_a_stray_space() -> None:
    # c2pa-rs C_with_CAWG_data.jpg writes " http://cv.iptc.org/.../digitalCapture"
    real = (DATA / "C_with_CAWG_data.jpg").read_bytes()[:65536]
    assert columns(real) == {"digital_source_type": "digitalCapture", "ai_generated": False}


def test_columns_from_xmp() -> None:
    body = jpeg_with_xmp(xmp_attr(IPTC + "trainedAlgorithmicMedia"))
    assert columns(body) == {"digital_source_type": "trainedAlgorithmicMedia", "ai_generated": True}


def test_columns_are_null_without_a_source_type_or_a_body() -> None:
    null = {"digital_source_type": None, "ai_generated": None}
    assert columns((DATA / "unsigned.png").read_bytes()) == null
    assert columns(None) == null  # IMAGE_PROBE=head: no bytes
    assert dict(prov.image_columns(ImageContext(URL, "o", {}, None), env())) == null


def test_exclude_ai_generated_is_off_by_default() -> None:
    ai = ctx((DATA / "ai_generated.png").read_bytes())
    assert prov.evaluate_image(ai, env(exclude=False)) == []
    [signal] = prov.evaluate_image(ai, env(exclude=True))
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "provenance:ai-generated"
    assert signal.source == f"c2pa:{URL}"
    assert signal.value == "digitalSourceType=trainedAlgorithmicMedia"
    xmp = ctx(jpeg_with_xmp(xmp_attr(IPTC + "trainedAlgorithmicMedia")))
    [from_xmp] = prov.evaluate_image(xmp, env(exclude=True))
    assert from_xmp.source == f"xmp:{URL}"
    photo = ctx((DATA / "cawg_notallowed.png").read_bytes())
    assert prov.evaluate_image(photo, env(exclude=True)) == []


def test_configure_reads_the_setting_and_names_it_when_bad() -> None:
    unset: dict[str, object] = {}
    assert prov.configure(unset.get) == ProvenanceConfig(False, C2paConfig(65536))
    assert prov.configure({"EXCLUDE_AI_GENERATED": "true", "IMAGE_PROBE_BYTES": 2048}.get) == (
        ProvenanceConfig(True, C2paConfig(2048))
    )
    with pytest.raises(ValueError, match="EXCLUDE_AI_GENERATED"):
        prov.configure({"EXCLUDE_AI_GENERATED": "sometimes"}.get)


def test_family_declaration() -> None:
    assert FAMILY.name == "provenance"
    assert FAMILY.switches == ()  # the columns are filled under every policy
    assert FAMILY.image_phase is Phase.AFTER_PROBE
    assert [(c.name, c.type) for c in FAMILY.columns] == [
        ("digital_source_type", "string"),
        ("ai_generated", "bool"),
    ]
    assert [(s.name, s.default) for s in FAMILY.settings] == [("EXCLUDE_AI_GENERATED", False)]
    [reason] = FAMILY.reasons
    assert (reason.code, reason.cause) == ("provenance:ai-generated", "other")


def test_one_xmp_scan_per_probe_body_and_none_stale(monkeypatch: pytest.MonkeyPatch) -> None:
    """iptc, provenance and the licence pipeline read the same body: scanned once."""
    from crawler.licenses import xmp

    scans: list[bytes] = []
    real = xmp._scan
    monkeypatch.setattr(xmp, "_scan", lambda data: scans.append(data) or real(data))
    monkeypatch.setattr(xmp, "_last_scan", None)
    ai = jpeg_with_xmp(xmp_attr(IPTC + "trainedAlgorithmicMedia"))
    capture = jpeg_with_xmp(xmp_attr(IPTC + "digitalCapture"))
    for _ in range(3):
        assert columns(ai)["digital_source_type"] == "trainedAlgorithmicMedia"
        assert scan_xmp(ai) is not None
    assert len(scans) == 1
    assert columns(capture)["digital_source_type"] == "digitalCapture"
    assert columns(ai)["digital_source_type"] == "trainedAlgorithmicMedia"  # not the last one's
    assert len(scans) == 3
