"""AI-generated provenance: dataset hygiene, not consent (EU AI Act Art. 50 marking).

Pure module (no Scrapy). Reads the IPTC / C2PA ``digitalSourceType`` of an image from its first
bytes (``IMAGE_PROBE=range``): the XMP property ``Iptc4xmpExt:DigitalSourceType`` and the
``digitalSourceType`` of the actions (``c2pa.actions`` / ``c2pa.actions.v2``) in the active C2PA
manifest (signals-2026.md §3, gap #9). Two row columns:

- ``digital_source_type``: the IPTC code's short name (``trainedAlgorithmicMedia``) for an IRI
  in the IPTC vocabulary (``http://cv.iptc.org/newscodes/digitalsourcetype/<code>``, http or
  https) or C2PA's (``http://c2pa.org/digitalsourcetype/<code>``); any other value as written.
  Short names: one column value per meaning, whatever the scheme or spelling of the IRI.
- ``ai_generated``: True when a source type says a trained model made the image
  (``trainedAlgorithmicMedia``, ``compositeWithTrainedAlgorithmicMedia``, C2PA's
  ``trainedAlgorithmicData``), False for the other known codes (capture, film, human edits,
  non-AI algorithms...), null when there is none or it is unknown (``compositeSynthetic`` does
  not say whether the synthetic part is AI-made).

Several values (e.g. a captured photo with a generative fill, or XMP and C2PA disagreeing):
the most AI one wins, C2PA before XMP at equal rank (a manifest is signed, XMP is not). With
``EXCLUDE_AI_GENERATED`` (default false) an AI-generated image is excluded with
``provenance:ai-generated`` (cause "other": hygiene, not a refusal).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from crawler.consent.c2pa import C2paConfig, reading_for
from crawler.consent.c2pa import configure as c2pa_configure
from crawler.consent.family import (
    Column,
    EvalEnv,
    Family,
    Getter,
    ImageContext,
    Phase,
    Reason,
    SettingSpec,
)
from crawler.consent.verdict import Signal
from crawler.licenses.detect import clip
from crawler.licenses.xmp import scan_xmp

__all__ = ["FAMILY", "Provenance", "ProvenanceConfig", "provenance_of", "short_source_type"]

NAME = "provenance"

_NAMESPACES = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/",
    "https://cv.iptc.org/newscodes/digitalsourcetype/",
    "http://c2pa.org/digitalsourcetype/",
    "https://c2pa.org/digitalsourcetype/",
)
# A trained model made (part of) the image.
AI_CODES = (
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "trainedAlgorithmicData",
)
# Codes that say how a non-AI image was made (IPTC digitalsourcetype, 2024-10 release).
NOT_AI_CODES = frozenset(
    {
        "digitalCapture",
        "computationalCapture",
        "negativeFilm",
        "positiveFilm",
        "print",
        "minorHumanEdits",
        "humanEdits",
        "algorithmicallyEnhanced",
        "softwareImage",
        "digitalArt",
        "digitalCreation",
        "dataDrivenMedia",
        "algorithmicMedia",
        "screenCapture",
        "virtualRecording",
        "composite",
        "compositeCapture",
    }
)


@dataclass(frozen=True, slots=True)
class ProvenanceConfig:
    exclude_ai_generated: bool = False
    c2pa: C2paConfig = field(default_factory=C2paConfig)  # the probe's byte cap, as c2pa reads it


@dataclass(frozen=True, slots=True)
class Provenance:
    """An image's digital source type as read from its first bytes."""

    digital_source_type: str | None = None
    ai_generated: bool | None = None
    source: str = ""  # c2pa | xmp

    def columns(self) -> dict[str, Any]:
        return {"digital_source_type": self.digital_source_type, "ai_generated": self.ai_generated}


def short_source_type(value: str) -> str:
    """The code of an IPTC/C2PA digitalSourceType IRI; any other value as written."""
    text = value.strip()
    for namespace in _NAMESPACES:
        if text.startswith(namespace) and len(text) > len(namespace):
            return text[len(namespace) :].strip("/")
    return text


def _rank(code: str) -> int:
    if code in AI_CODES:
        return AI_CODES.index(code)
    if code in NOT_AI_CODES:
        return len(AI_CODES)
    return len(AI_CODES) + 1


def _ai(code: str) -> bool | None:
    if code in AI_CODES:
        return True
    if code in NOT_AI_CODES:
        return False
    return None


def provenance_of(c2pa_types: tuple[str, ...], xmp_type: str | None) -> Provenance:
    """The column values from the manifest's actions (first) and the XMP property."""
    candidates = [(short_source_type(v), "c2pa") for v in c2pa_types if v.strip()]
    if xmp_type and xmp_type.strip():
        candidates.append((short_source_type(xmp_type), "xmp"))
    if not candidates:
        return Provenance()
    code, source = min(candidates, key=lambda c: _rank(c[0]))  # stable: C2PA first
    flags = [_ai(c) for c, _ in candidates]
    ai = True if True in flags else (False if False in flags else None)
    return Provenance(clip(code) or None, ai, source)


def _read(ctx: ImageContext, env: EvalEnv) -> Provenance:
    probe = ctx.probe
    if probe is None or not probe.body:
        return Provenance()
    config = env.config if isinstance(env.config, ProvenanceConfig) else ProvenanceConfig()
    reading = reading_for(ctx, config.c2pa)  # memoised: the c2pa family's read of these bytes
    xmp = scan_xmp(probe.body)
    return provenance_of(reading.source_types, xmp.digital_source_type if xmp else None)


def image_columns(ctx: ImageContext, env: EvalEnv) -> Mapping[str, Any]:
    return _read(ctx, env).columns()


def evaluate_image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    config = env.config if isinstance(env.config, ProvenanceConfig) else ProvenanceConfig()
    if not config.exclude_ai_generated:
        return []
    found = _read(ctx, env)
    if not found.ai_generated:
        return []
    return [
        Signal.disallow(
            NAME,
            "ai-generated",
            f"{found.source}:{ctx.url}",
            f"digitalSourceType={found.digital_source_type}",
        )
    ]


def _bool_setting(value: Any, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name}={value!r} is not a boolean (true/false)")


def configure(get: Getter) -> ProvenanceConfig:
    return ProvenanceConfig(
        _bool_setting(get("EXCLUDE_AI_GENERATED"), "EXCLUDE_AI_GENERATED"), c2pa_configure(get)
    )


FAMILY = Family(
    name=NAME,
    summary=(
        "digitalSourceType of the image (XMP Iptc4xmpExt:DigitalSourceType, C2PA actions; "
        "IMAGE_PROBE=range): AI-generated marking, hygiene not consent"
    ),
    spec="IPTC NewsCodes digitalsourcetype; C2PA 2.x actions; EU AI Act Art. 50",
    reasons=(
        Reason(
            "provenance:ai-generated",
            "marked as made by a trained model (EXCLUDE_AI_GENERATED=true)",
            cause="other",
        ),
    ),
    image=evaluate_image,
    image_phase=Phase.AFTER_PROBE,
    configure=configure,
    settings=(
        SettingSpec(
            "EXCLUDE_AI_GENERATED",
            False,
            "exclude images whose digitalSourceType says a trained model made them",
        ),
    ),
    columns=(
        Column(
            "digital_source_type",
            "string",
            "IPTC/C2PA digitalSourceType code (trainedAlgorithmicMedia...), from C2PA or XMP",
        ),
        Column(
            "ai_generated", "bool", "made by a trained model per digitalSourceType; null: unsaid"
        ),
    ),
    image_columns=image_columns,
)
