"""C2PA / CAWG training-and-data-mining (signals-2026.md §3), on real signed images.

Fixtures (tests/data/c2pa/PROVENANCE.md): ``C_with_CAWG_data.jpg`` from the c2pa-rs test suite,
and small PNGs we signed with c2pa-python and the c2pa-rs test certificate.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from crawler.consent import c2pa as fam
from crawler.consent.c2pa import (
    FAMILY,
    C2paConfig,
    ManifestReading,
    c2pa_signals,
    manifest_links,
    probe_is_partial,
    read_manifest,
    sniff_mime,
)
from crawler.consent.family import EvalEnv, ImageContext, Phase, ProbeView
from crawler.consent.policy import Policy
from crawler.consent.verdict import Decision, Signal

DATA = Path(__file__).resolve().parents[1] / "data" / "c2pa"
URL = "https://cdn.example/a.png"


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def signing() -> ModuleType:
    """tests/data/c2pa/make_fixtures.py: signs PNGs with the c2pa-rs test certificate."""
    spec = importlib.util.spec_from_file_location("c2pa_make_fixtures", DATA / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def decide(
    data: bytes,
    *,
    partial: bool = False,
    constrained_refuses: bool = True,
    unreadable_refuses: bool = True,
) -> list[Signal]:
    return c2pa_signals(
        read_manifest(data, partial=partial),
        f"c2pa:{URL}",
        constrained_refuses=constrained_refuses,
        unreadable_refuses=unreadable_refuses,
    )


def policy(name: str = "strict", *, families: set[str] | None = None) -> Policy:
    on = {"c2pa", "c2pa-constrained"} if name == "strict" else {"c2pa"}
    return Policy(
        name=name,
        families=frozenset(on if families is None else families),
        noindex_excludes=name == "strict",
        probe_failure_excludes=name == "strict",
        probe="range",
        unreadable_excludes=name == "strict",
    )


def image(body: bytes | None, headers: dict[str, list[str]] | None = None) -> ImageContext:
    probe = ProbeView(URL, "GET", 200, headers or {}, body)
    return ImageContext(URL, "https://cdn.example", {}, None, probe)


def env(name: str = "strict", **kw: object) -> EvalEnv:
    return EvalEnv("consentcrawl", (), policy(name, **kw), C2paConfig(65536))  # type: ignore[arg-type]


# --- the assertion -----------------------------------------------------------------------------


def test_real_c2pa_rs_fixture_cawg_not_allowed_excludes() -> None:
    # c2pa-rs sdk/tests/fixtures/C_with_CAWG_data.jpg: cawg.training-mining with
    # ai_generative_training and ai_inference notAllowed, signed by the c2pa-rs test CA.
    reading = read_manifest(fixture("C_with_CAWG_data.jpg"))
    assert reading.status == "ok"
    assert reading.has_training_assertion
    assert {(u.entry, u.use) for u in reading.uses} == {
        ("cawg.ai_generative_training", "notAllowed"),
        ("cawg.ai_inference", "notAllowed"),
    }
    [signal] = decide(fixture("C_with_CAWG_data.jpg"))
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert signal.family == "c2pa" and signal.source == f"c2pa:{URL}"
    # only the decisive entry is the reason; the validation state is in the evidence
    assert signal.value.startswith("cawg.ai_generative_training=notAllowed; validation=Valid")
    assert "untrusted signer" in signal.value


def test_not_allowed_training_and_data_mining_excludes() -> None:
    [signal] = decide(fixture("cawg_notallowed.png"))
    assert signal.reason == "c2pa:training-mining=notAllowed"
    for entry in ("cawg.ai_training", "cawg.ai_generative_training", "cawg.data_mining"):
        assert f"{entry}=notAllowed" in signal.value
    assert "ai_inference" not in signal.value  # allowed, and not decisive anyway


def test_legacy_c2pa_training_mining_label_excludes() -> None:
    [signal] = decide(fixture("legacy_c2pa_notallowed.png"))
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert signal.value.startswith("c2pa.ai_generative_training=notAllowed")


def test_all_allowed_from_a_valid_signature_allows() -> None:
    [signal] = decide(fixture("cawg_allowed.png"))
    assert signal.decision is Decision.ALLOW
    assert "cawg.ai_training=allowed" in signal.value and "validation=Valid" in signal.value


def test_allowed_for_only_some_decisive_entries_is_unknown() -> None:
    # ai_generated.png allows ai_training only: generative training and data mining are unsaid
    [signal] = decide(fixture("ai_generated.png"))
    assert signal.decision is Decision.UNKNOWN


def test_constrained_excludes_under_strict_and_is_unknown_under_standard() -> None:
    [strict] = decide(fixture("cawg_constrained.png"), constrained_refuses=True)
    assert strict.reason == "c2pa:training-mining=constrained"
    assert "licence required: https://licensing.example/ai" in strict.value  # constraint_info
    [standard] = decide(fixture("cawg_constrained.png"), constrained_refuses=False)
    assert standard.decision is Decision.UNKNOWN and standard.reason is None
    assert "cawg.ai_generative_training=constrained" in standard.value


def test_ai_inference_alone_is_not_a_training_refusal() -> None:
    [signal] = decide(fixture("cawg_inference_only.png"))
    assert signal.decision is Decision.UNKNOWN
    assert "cawg.ai_inference=notAllowed" in signal.value


def test_manifest_without_training_assertion_is_recorded_as_unknown() -> None:
    [signal] = decide(fixture("no_training_mining.png"))
    assert signal.decision is Decision.UNKNOWN
    assert signal.value.startswith("no training-mining assertion; validation=Valid")


def test_unsigned_image_gives_no_signal() -> None:
    assert read_manifest(fixture("unsigned.png")).status == "none"
    assert decide(fixture("unsigned.png")) == []
    assert decide(b"") == []


def _tamper(data: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and data.count(old) >= 1
    return data.replace(old, new, 1)


def test_refusal_counts_even_when_the_manifest_does_not_validate() -> None:
    # Same-length edit inside the signed assertion: CBOR still parses, its hash no longer matches.
    data = _tamper(fixture("cawg_notallowed.png"), b"ai_inference", b"ai_inferencX")
    reading = read_manifest(data)
    assert reading.validation == "Invalid"
    assert not reading.signature_ok
    [signal] = decide(data)
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert "validation=Invalid" in signal.value
    assert "assertion.hashedURI.mismatch" in signal.value


def test_allowed_from_a_manifest_that_does_not_validate_is_not_a_grant() -> None:
    data = _tamper(fixture("cawg_allowed.png"), b"ai_inference", b"ai_inferencX")
    [signal] = decide(data)
    assert signal.decision is Decision.UNKNOWN
    assert "validation=Invalid" in signal.value


def test_use_values_are_read_leniently_only_towards_refusal() -> None:
    read = fam._normal_use
    assert [read(v) for v in ("notAllowed", "not allowed", "NOT_ALLOWED", "prohibited")] == [
        "notAllowed"
    ] * 4
    assert read("allowed") == "allowed" and read("Constrained") == "constrained"
    assert read("maybe") == "maybe"  # unknown values are kept as written, and decide nothing


def test_ingredient_manifest_refusal_counts() -> None:
    # A new image made from the notAllowed one: its active manifest says nothing about training.
    sign = signing()
    parent = fixture("cawg_notallowed.png")
    derived = sign.sign_png([sign.created("digitalCapture")], ingredient=parent)
    reading = read_manifest(derived)
    assert [u.ingredient for u in reading.uses if u.use == "notAllowed"] == [True] * 3
    [signal] = decide(derived)
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert "[ingredient]" in signal.value


# --- partial downloads (IMAGE_PROBE=range) ------------------------------------------------------


def test_ranged_jpeg_with_whole_manifest_still_decides_and_says_partial() -> None:
    # The manifest store (53 KB) fits in the default 64 KiB probe; the image data does not.
    data = fixture("C_with_CAWG_data.jpg")[:65536]
    [signal] = decide(data, partial=True)
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert "partial download: content hash not checked" in signal.value


def test_ranged_png_cut_after_the_manifest_is_read() -> None:
    # The SDK cannot parse a cut PNG chunk; whole chunks up to the cut are read instead.
    whole = fixture("cawg_allowed.png")
    data = whole[: whole.index(b"IDAT") + 100]
    reading = read_manifest(data, partial=True)
    assert reading.status == "ok" and reading.signature_ok
    [signal] = decide(data, partial=True)
    assert signal.decision is Decision.ALLOW
    assert "partial download" in signal.value


def test_manifest_longer_than_the_probe_is_unreadable_under_strict_only() -> None:
    data = fixture("C_with_CAWG_data.jpg")[:30000]
    reading = read_manifest(data, partial=True)
    assert reading.status == "truncated"
    assert reading.error == "manifest store of 53098 bytes, only 30000 bytes read"
    [strict] = decide(data, partial=True)
    assert strict.reason == "c2pa:unreadable"
    assert strict.value.startswith("truncated: manifest store of 53098 bytes")
    [standard] = decide(data, partial=True, unreadable_refuses=False)
    assert standard.decision is Decision.UNKNOWN and standard.value.startswith("truncated")


def test_corrupt_manifest_store_is_unreadable() -> None:
    whole = fixture("cawg_notallowed.png")
    start = whole.index(fam.C2PA_STORE_UUID) + 64  # keep the store's headers, wreck its content
    data = whole[:start] + bytes(200) + whole[start + 200 :]
    reading = read_manifest(data)
    assert reading.status == "unreadable" and reading.error
    [signal] = decide(data)
    assert signal.reason == "c2pa:unreadable" and signal.value.startswith("unreadable: ")


def test_store_marker_the_sdk_cannot_find_a_manifest_in_is_unreadable() -> None:
    # the caBX chunk renamed: the store's bytes are there, the container no longer points to them
    data = fixture("cawg_notallowed.png").replace(b"caBX", b"teXt", 1)
    reading = read_manifest(data)
    assert (reading.status, reading.error) == ("unreadable", "manifest store marker, no manifest")
    [signal] = decide(data)
    assert signal.reason == "c2pa:unreadable"


def test_probe_is_partial_from_content_range_length_or_cap() -> None:
    def view(status: int, headers: dict[str, list[str]], n: int) -> ProbeView:
        return ProbeView(URL, "GET", status, headers, b"x" * n)

    assert probe_is_partial(view(206, {"content-range": ["bytes 0-99/5000"]}, 100), 65536)
    assert not probe_is_partial(view(206, {"content-range": ["bytes 0-99/100"]}, 100), 65536)
    assert probe_is_partial(view(200, {"content-length": ["5000"]}, 100), 65536)
    assert not probe_is_partial(view(200, {"content-length": ["100"]}, 100), 65536)
    assert probe_is_partial(view(200, {}, 100), 100)  # cut at IMAGE_PROBE_BYTES
    assert not probe_is_partial(view(200, {}, 99), 100)


def test_sniff_mime() -> None:
    assert sniff_mime(fixture("C_with_CAWG_data.jpg")) == "image/jpeg"
    assert sniff_mime(fixture("unsigned.png")) == "image/png"
    assert sniff_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_mime(b"\x00\x00\x00\x1cftypavif") == "image/avif"
    assert sniff_mime(b"hello") is None


# --- offline: no remote manifest, no network from the reader ------------------------------------


@pytest.fixture
def listener() -> Iterator[tuple[str, list[bytes]]]:
    """A local TCP listener that records every connection (bounded: stops in teardown)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.1)
    seen: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(512))
                except OSError:
                    seen.append(b"")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/manifest.c2pa", seen
    finally:
        stop.set()
        thread.join(5)
        server.close()


def test_remote_manifest_is_recorded_not_fetched(listener: tuple[str, list[bytes]]) -> None:
    url, seen = listener
    sign = signing()
    data = sign.sign_png([sign.created("digitalCapture")], remote_url=url, embed=False)
    reading = read_manifest(data)
    assert reading == ManifestReading("remote", remote_url=url)
    [signal] = decide(data)
    assert signal.decision is Decision.UNKNOWN
    assert signal.value == f"remote manifest not fetched: {url}"
    assert seen == []  # not one connection from the SDK


def test_the_listener_would_see_a_fetch(listener: tuple[str, list[bytes]]) -> None:
    # Control for the test above: a GET to the manifest URL is recorded, so "no connection"
    # there is a real observation. (Made with a plain socket: a C2PA read with network on
    # could reach public hosts besides the listener, such as OCSP responders or trust lists.)
    import socket as sockets
    from urllib.parse import urlsplit

    url, seen = listener
    parts = urlsplit(url)
    with sockets.create_connection((parts.hostname, parts.port), timeout=5) as conn:
        conn.sendall(f"GET {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode())
        conn.settimeout(2)
        try:
            conn.recv(1)
        except OSError:
            pass
    for _ in range(50):
        if seen:
            break
        time.sleep(0.05)
    assert len(seen) == 1 and seen[0].startswith(b"GET /manifest.c2pa")


def test_link_header_is_noted_with_its_url_and_not_fetched(
    listener: tuple[str, list[bytes]],
) -> None:
    url, seen = listener
    headers = {
        "link": [
            '<https://cdn.example/lic.xml>; rel="license", </m/a.c2pa>; rel="c2pa-manifest"',
            f'<{url}>; rel="alternate c2pa-manifest"',
        ]
    }
    assert manifest_links(headers["link"], URL) == ["https://cdn.example/m/a.c2pa", url]
    signals = fam.evaluate_image(image(fixture("unsigned.png"), headers), env())
    assert [(s.decision, s.source, s.value) for s in signals] == [
        (
            Decision.UNKNOWN,
            f"header:{URL}",
            "c2pa-manifest link not fetched: https://cdn.example/m/a.c2pa",
        ),
        (Decision.UNKNOWN, f"header:{URL}", f"c2pa-manifest link not fetched: {url}"),
    ]
    assert seen == []


# --- the family ---------------------------------------------------------------------------------


def test_family_declaration() -> None:
    assert FAMILY.name == "c2pa"
    assert FAMILY.image is fam.evaluate_image and FAMILY.page is None
    assert FAMILY.image_phase is Phase.AFTER_PROBE
    assert [s.setting for s in FAMILY.switches] == ["C2PA_ENABLED", "C2PA_CONSTRAINED_ENABLED"]
    constrained = FAMILY.switches[1]
    assert constrained.presets == {"strict": True, "standard": False, "robots-only": False}
    assert {r.code for r in FAMILY.reasons} == {
        "c2pa:training-mining=notAllowed",
        "c2pa:training-mining=constrained",
        "c2pa:unreadable",
    }
    assert FAMILY.configure is not None
    assert FAMILY.configure({"IMAGE_PROBE_BYTES": "1024"}.get) == C2paConfig(1024)
    with pytest.raises(ValueError, match="IMAGE_PROBE_BYTES"):
        FAMILY.configure({"IMAGE_PROBE_BYTES": "lots"}.get)


def test_evaluator_follows_the_policy() -> None:
    constrained = image(fixture("cawg_constrained.png"))
    [strict] = fam.evaluate_image(constrained, env("strict"))
    assert strict.reason == "c2pa:training-mining=constrained"
    [standard] = fam.evaluate_image(constrained, env("standard"))
    assert standard.decision is Decision.UNKNOWN
    refused = image(fixture("cawg_notallowed.png"))
    assert fam.evaluate_image(refused, env("strict", families=set())) == []  # C2PA_ENABLED=false
    # not probed, or probed with HEAD (no body): nothing to read
    assert fam.evaluate_image(ImageContext(URL, "https://cdn.example", {}, None), env()) == []
    assert fam.evaluate_image(image(None), env()) == []


def test_evaluator_reads_a_cut_probe_as_partial() -> None:
    body = fixture("C_with_CAWG_data.jpg")[:65536]
    headers = {"content-range": ["bytes 0-65535/139636"]}
    [signal] = fam.evaluate_image(image(body, headers), env())
    assert signal.reason == "c2pa:training-mining=notAllowed"
    assert "partial download" in signal.value
