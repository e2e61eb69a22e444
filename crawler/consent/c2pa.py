"""C2PA / CAWG training-and-data-mining: the image's own manifest says whether it may be trained on.

Pure module (no Scrapy). With ``IMAGE_PROBE=range`` the probe keeps the image's first bytes; this
family reads the C2PA manifest store in them with ``c2pa-python`` (the ``c2pa-rs`` SDK) and maps
the ``cawg.training-mining`` assertion (legacy C2PA 1.x label ``c2pa.training-mining``) to a
decision (signals-2026.md §3; CAWG training-and-data-mining assertion, "assertion-definition"):

- entries ``ai_training``, ``ai_generative_training``, ``data_mining`` (``cawg.`` or legacy
  ``c2pa.`` prefix) decide for a training index; ``ai_inference`` (the asset as a model's input)
  is recorded, never decisive.
- any of them ``notAllowed`` -> ``c2pa:training-mining=notAllowed``;
- ``constrained`` -> ``c2pa:training-mining=constrained`` where the ``c2pa-constrained`` switch
  is on (strict), else unknown. The CAWG text: "in the absence of additional information,
  constrained shall be treated as equivalent to notAllowed"; the constraint is prose a crawler
  cannot meet, so strict refuses, standard keeps the row as unknown with the constraint recorded.
- all of them ``allowed`` -> allow, but only from a manifest whose signature checked out.

A refusal counts whether or not the signature chains to a trust anchor, and from an ingredient's
manifest as much as from the active one (the derived image still carries the refusing asset):
lenient only in the restrictive direction (consent-signals.md §0). The validation state is kept in
the evidence (``Signal.value``).

Offline: remote manifest fetching, OCSP and every other network access of the SDK are off
(``verify.remote_manifest_fetch``, ``verify.ocsp_fetch``, ``core.allowed_network_hosts=[]``). A
remote manifest (``Link: <…>; rel="c2pa-manifest"``, or one the asset points to) is recorded as
unknown evidence with its URL, not fetched.

A ranged probe usually ends inside the image data, so the manifest's content hash cannot match:
the state is then ``Invalid`` with ``assertion.dataHash.mismatch``, and the evidence says the
download was partial. A manifest store cut by the probe (longer than ``IMAGE_PROBE_BYTES``) or
one the SDK cannot parse is ``c2pa:unreadable`` where unreadable documents exclude (strict), else
unknown; raise ``IMAGE_PROBE_BYTES`` to read long manifests (thumbnails make them 50-120 KB).
"""

from __future__ import annotations

import io
import json
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from crawler.consent.family import (
    EvalEnv,
    Family,
    Getter,
    ImageContext,
    Phase,
    ProbeView,
    Reason,
    Switch,
)
from crawler.consent.verdict import Signal

__all__ = [
    "FAMILY",
    "C2paConfig",
    "ManifestReading",
    "TrainingUse",
    "c2pa_signals",
    "configure",
    "manifest_links",
    "probe_is_partial",
    "read_manifest",
]

NAME = "c2pa"

# The JUMBF description-box type of a C2PA manifest store ("c2pa" + the ISO suffix), the same in
# every container format (JPEG APP11, PNG caBX, WebP C2PA, BMFF uuid...): a cheap pre-scan so that
# the native SDK only sees bytes that hold a store (signals-2026.md §3, "call it only for images
# whose first bytes contain a JUMBF marker").
C2PA_STORE_UUID = bytes.fromhex("6332706100110010800000aa00389b71")
# An asset whose manifest is elsewhere points to it from its XMP (C2PA 2.x §10.4, dcterms).
_REMOTE_HINT = b"dcterms:provenance"

# Offline reader settings (c2pa-python docs/context-settings.md, "Offline operation").
READER_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "core": {"allowed_network_hosts": []},
}

TRAINING_LABELS = ("cawg.training-mining", "c2pa.training-mining")
# Entries that decide for a training index, without their prefix.
DECISIVE_ENTRIES = ("ai_training", "ai_generative_training", "data_mining")
_PREFIXES = ("cawg.", "c2pa.")
# Failure codes that say the signer is not on a trust list (we configure none): not a broken
# signature. Content-hash codes are expected when the probe read only the first bytes.
_UNTRUSTED_SUFFIX = ".untrusted"
_HASH_MISMATCH = ("assertion.dataHash.mismatch", "assertion.bmffHash.mismatch")
_HASH_MISMATCH_PREFIX = "assertion.boxesHash."

_REMOTE_URL_RE = re.compile(r"remote manifests? from url\s+(\S+)", re.IGNORECASE)
_CONTENT_RANGE_RE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class C2paConfig:
    """Parsed once per crawl: the probe's byte cap tells a cut download from a whole file."""

    probe_bytes: int = 65536


@dataclass(frozen=True, slots=True)
class TrainingUse:
    """One entry of a training-mining assertion."""

    entry: str  # as written: cawg.ai_generative_training
    use: str  # allowed | notAllowed | constrained, normalised; anything else as written
    constraint_info: str = ""
    ingredient: bool = False  # from an ingredient's manifest, not the active one

    @property
    def decisive(self) -> bool:
        return _short(self.entry) in DECISIVE_ENTRIES


@dataclass(frozen=True, slots=True)
class ManifestReading:
    """What the first bytes of one image say about C2PA.

    status: none (no store in the bytes) | ok | remote (the store is elsewhere, not fetched) |
            truncated (the store goes past the bytes we have) | unreadable (the SDK failed).
    """

    status: str
    validation: str = ""  # Trusted | Valid | Invalid, as the SDK says
    failures: tuple[str, ...] = ()  # validation failure codes of the active manifest
    partial: bool = False  # the bytes are a prefix of the file
    uses: tuple[TrainingUse, ...] = ()
    has_training_assertion: bool = False
    source_types: tuple[str, ...] = ()  # digitalSourceType of the active manifest's actions
    remote_url: str = ""
    error: str = ""

    @property
    def signature_ok(self) -> bool:
        """Signed and intact as far as the bytes allow: no failure but an untrusted signer and,
        on a partial download, the content hash that could not be checked."""
        if self.status != "ok" or self.validation not in ("Valid", "Trusted", "Invalid"):
            return False
        return all(
            code.endswith(_UNTRUSTED_SUFFIX) or (self.partial and _hash_code(code))
            for code in self.failures
        )

    def validation_text(self) -> str:
        """Short evidence text: ``validation=Invalid (partial download: content hash not
        checked; untrusted signer)``."""
        notes: list[str] = []
        if self.partial and any(_hash_code(c) for c in self.failures):
            notes.append("partial download: content hash not checked")
        elif self.partial:
            notes.append("partial download")
        if any(c.endswith(_UNTRUSTED_SUFFIX) for c in self.failures):
            notes.append("untrusted signer")
        other = [
            c
            for c in self.failures
            if not c.endswith(_UNTRUSTED_SUFFIX) and not (self.partial and _hash_code(c))
        ]
        notes.extend(other)
        text = f"validation={self.validation or 'unknown'}"
        return f"{text} ({'; '.join(notes)})" if notes else text


def _hash_code(code: str) -> bool:
    return code in _HASH_MISMATCH or code.startswith(_HASH_MISMATCH_PREFIX)


def _short(entry: str) -> str:
    for prefix in _PREFIXES:
        if entry.startswith(prefix):
            return entry[len(prefix) :]
    return entry


def _normal_use(value: Any) -> str:
    """``notAllowed`` / ``allowed`` / ``constrained``; variants read restrictively
    (``not allowed``, ``not_allowed``, ``prohibited`` are refusals)."""
    text = str(value or "").strip()
    squashed = re.sub(r"[^a-z]", "", text.lower())
    if squashed in ("notallowed", "disallowed", "prohibited", "denied", "no", "false"):
        return "notAllowed"
    if squashed in ("allowed", "yes", "true"):
        return "allowed"
    if squashed in ("constrained", "allowedwithconstraints"):
        return "constrained"
    return text


# --- reading ------------------------------------------------------------------------------------


def sniff_mime(data: bytes) -> str | None:
    """The image format from its magic bytes (the SDK needs one; headers can lie)."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand in (b"avif", b"avis"):
            return "image/avif"
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"heif"):
            return "image/heif"
        return "video/mp4"
    if data[:12].lstrip().startswith(b"<") and b"<svg" in data[:4096]:
        return "image/svg+xml"
    if data[:12] == b"\x00\x00\x00\x0cJXL \r\n\x87\n" or data[:2] == b"\xff\x0a":
        return "image/jxl"
    return None


def _store_cut(data: bytes, at: int) -> int | None:
    """The manifest store's declared length when it reaches past ``data``, else None.

    The store is a JUMBF superbox: ``LBox TBox=jumb`` then its description box ``LBox jumd UUID``.
    In JPEG the store is split over APP11 segments with repeated headers, so the span is longer
    than LBox; a store whose LBox alone overruns the data is certainly cut.
    """
    start = at - 16
    if start < 0 or data[start + 4 : start + 8] != b"jumb":
        return None
    (length,) = struct.unpack(">I", data[start : start + 4])
    return length if start + length > len(data) else None


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def _whole_png_chunks(data: bytes) -> bytes:
    """A cut PNG as the SDK can parse it: its whole chunks, then IEND.

    The SDK's PNG reader walks every chunk and fails on a cut one ("PNG out of range"), though
    the manifest (``caBX``, before the image data) arrived whole. The content hash then does not
    match, as with any partial download.
    """
    pos = len(_PNG_SIGNATURE)
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if pos + 12 + length > len(data) or data[pos + 4 : pos + 8] == b"IEND":
            break
        pos += 12 + length
    return data[:pos] + _PNG_IEND


def read_manifest(data: bytes | None, *, partial: bool = False) -> ManifestReading:
    """Read the C2PA manifest store in ``data`` (an image's first bytes), offline.

    ``partial``: ``data`` is a prefix of the file (a ranged probe). Memoised on the bytes, so the
    c2pa and provenance families share one read of the same probe body.
    """
    # The pre-scan first: most images hold no store, and the memo would hash the whole body.
    if not data or (C2PA_STORE_UUID not in data and _REMOTE_HINT not in data):
        return ManifestReading("none", partial=partial)
    return _read_cached(data, partial)


# Small: the c2pa and provenance families read the same row's body one after the other.
@lru_cache(maxsize=8)
def _read_cached(data: bytes, partial: bool) -> ManifestReading:
    at = data.find(C2PA_STORE_UUID)
    cut = _store_cut(data, at) if at >= 0 else None
    if cut is not None:
        return ManifestReading(
            "truncated",
            partial=True,
            error=f"manifest store of {cut} bytes, only {len(data)} bytes read",
        )
    mime = sniff_mime(data)
    if mime is None:
        return ManifestReading("unreadable", partial=partial, error="unknown image format")
    if partial and mime == "image/png":
        data = _whole_png_chunks(data)
    try:
        import c2pa as sdk  # lazy: the native library loads only when an image holds a store

        # A context per read (~0.3 ms): native handles are not shared across forks or threads.
        with sdk.Context.from_dict(READER_SETTINGS) as context:
            reader = sdk.Reader.try_create(mime, io.BytesIO(data), context=context)
            if reader is None:
                if at >= 0:  # the store's marker is there, the SDK found no manifest in it
                    return ManifestReading(
                        "unreadable", partial=partial, error="manifest store marker, no manifest"
                    )
                return ManifestReading("none", partial=partial)
            with reader:
                store = json.loads(reader.json())
    except ImportError as exc:
        return ManifestReading("unreadable", partial=partial, error=f"c2pa-python: {exc}")
    except Exception as exc:  # C2paError and its kinds; the SDK's messages name the cause
        message = " ".join(str(exc).split())
        remote = _REMOTE_URL_RE.search(message)
        if remote:
            return ManifestReading("remote", partial=partial, remote_url=remote.group(1))
        status = "truncated" if partial else "unreadable"
        return ManifestReading(status, partial=partial, error=message[:160])
    return _from_store(store, partial)


def _from_store(store: Mapping[str, Any], partial: bool) -> ManifestReading:
    manifests = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active = manifests.get(active_label) if isinstance(manifests, Mapping) else None
    if not isinstance(active, Mapping):
        return ManifestReading(
            "unreadable", partial=partial, error="manifest store without an active manifest"
        )
    uses: list[TrainingUse] = []
    has_training = False
    for manifest, ingredient in _walk(manifests, str(active_label)):
        for assertion in _assertions(manifest):
            if assertion.get("label") not in TRAINING_LABELS:
                continue
            has_training = True
            entries = (assertion.get("data") or {}).get("entries") or {}
            if not isinstance(entries, Mapping):
                continue
            for entry, body in entries.items():
                body = body if isinstance(body, Mapping) else {"use": body}
                info = body.get("constraint_info") or body.get("constraints_info") or ""
                uses.append(
                    TrainingUse(str(entry), _normal_use(body.get("use")), str(info), ingredient)
                )
    results = store.get("validation_results") or {}
    active_results = results.get("activeManifest") or {} if isinstance(results, Mapping) else {}
    failures = tuple(
        str(item.get("code", ""))
        for item in (active_results.get("failure") or [])
        if isinstance(item, Mapping)
    )
    if not failures and not active_results:  # older stores: a flat validation_status list
        failures = tuple(
            str(item.get("code", ""))
            for item in (store.get("validation_status") or [])
            if isinstance(item, Mapping)
        )
    return ManifestReading(
        "ok",
        validation=str(store.get("validation_state") or ""),
        failures=failures,
        partial=partial,
        uses=tuple(uses),
        has_training_assertion=has_training,
        source_types=tuple(_source_types(active)),
    )


def _walk(manifests: Mapping[str, Any], active: str) -> Iterable[tuple[Mapping[str, Any], bool]]:
    """The active manifest, then every ingredient manifest reachable from it (once each)."""
    seen: set[str] = set()
    todo = [(active, False)]
    while todo:
        label, ingredient = todo.pop(0)
        manifest = manifests.get(label)
        if label in seen or not isinstance(manifest, Mapping):
            continue
        seen.add(label)
        yield manifest, ingredient
        for ing in manifest.get("ingredients") or []:
            if isinstance(ing, Mapping) and ing.get("active_manifest"):
                todo.append((str(ing["active_manifest"]), True))


def _assertions(manifest: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [a for a in manifest.get("assertions") or [] if isinstance(a, Mapping)]


def _source_types(manifest: Mapping[str, Any]) -> Iterable[str]:
    """``digitalSourceType`` of each action (``c2pa.actions`` / ``c2pa.actions.v2``)."""
    for assertion in _assertions(manifest):
        if assertion.get("label") not in ("c2pa.actions", "c2pa.actions.v2"):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if isinstance(action, Mapping) and action.get("digitalSourceType"):
                # real stores carry stray spaces (c2pa-rs C_with_CAWG_data.jpg: " http://...")
                yield str(action["digitalSourceType"]).strip()


def probe_is_partial(probe: ProbeView, probe_bytes: int) -> bool:
    """Whether the probe body is a prefix of the file (ranged GET, or cut at the byte cap)."""
    body = probe.body or b""
    for value in _header(probe.headers, "content-range"):
        m = _CONTENT_RANGE_RE.search(value)
        if m:
            end, total = int(m.group(2)), m.group(3)
            if total == "*":
                break
            return end + 1 < int(total) or len(body) < int(total)
    for value in _header(probe.headers, "content-length"):
        if value.strip().isdigit() and probe.status == 200:
            return len(body) < int(value.strip())
    return len(body) >= probe_bytes


def _header(headers: Mapping[str, Sequence[str]], name: str) -> Sequence[str]:
    values = headers.get(name) or ()
    return [values] if isinstance(values, str) else list(values)


# --- Link: rel="c2pa-manifest" -------------------------------------------------------------------

# One link-value (RFC 8288): <target> and its ;-separated parameters, up to a top-level comma.
_LINK_RE = re.compile(r"<([^>]*)>((?:\s*;\s*[^;,]+(?:=\s*(?:\"[^\"]*\"|[^;,]*))?)*)")
_REL_RE = re.compile(r";\s*rel\s*=\s*(?:\"([^\"]*)\"|([^;,\s]+))", re.IGNORECASE)


def manifest_links(header_values: Iterable[str], base_url: str) -> list[str]:
    """Targets of every ``rel="c2pa-manifest"`` link (IANA-registered relation)."""
    out: list[str] = []
    for value in header_values:
        for match in _LINK_RE.finditer(value):
            rel = _REL_RE.search(match.group(2) or "")
            if rel is None:
                continue
            if "c2pa-manifest" in (rel.group(1) or rel.group(2) or "").lower().split():
                target = match.group(1).strip()
                try:
                    out.append(urljoin(base_url, target))
                except ValueError:
                    out.append(target)
    return out


# --- the decision -------------------------------------------------------------------------------


def _uses_text(uses: Sequence[TrainingUse]) -> str:
    parts = []
    for use in uses:
        text = f"{use.entry}={use.use}"
        if use.constraint_info:
            text += f" ({use.constraint_info})"
        if use.ingredient:
            text += " [ingredient]"
        parts.append(text)
    return ", ".join(parts)


def c2pa_signals(
    reading: ManifestReading,
    source: str,
    *,
    constrained_refuses: bool,
    unreadable_refuses: bool,
) -> list[Signal]:
    """The family's signals for one image's manifest reading (empty when there is no store)."""
    if reading.status == "none":
        return []
    if reading.status == "remote":
        value = f"remote manifest not fetched: {reading.remote_url}"
        return [Signal.unknown(NAME, source, value)]
    if reading.status in ("truncated", "unreadable"):
        value = f"{reading.status}: {reading.error}"
        if unreadable_refuses:
            return [Signal.disallow(NAME, "unreadable", source, value)]
        return [Signal.unknown(NAME, source, value)]
    state = reading.validation_text()
    decisive = [u for u in reading.uses if u.decisive]
    refused = [u for u in decisive if u.use == "notAllowed"]
    if refused:
        value = f"{_uses_text(refused)}; {state}"
        return [Signal.disallow(NAME, "training-mining=notAllowed", source, value)]
    constrained = [u for u in decisive if u.use == "constrained"]
    if constrained:
        value = f"{_uses_text(constrained)}; {state}"
        if constrained_refuses:
            return [Signal.disallow(NAME, "training-mining=constrained", source, value)]
        return [Signal.unknown(NAME, source, value)]
    if not reading.has_training_assertion:
        return [Signal.unknown(NAME, source, f"no training-mining assertion; {state}")]
    value = f"{_uses_text(reading.uses) or 'no entries'}; {state}"
    allowed = [u for u in decisive if u.use == "allowed"]
    active_allowed = {_short(u.entry) for u in allowed if not u.ingredient}
    # A grant needs every decisive entry allowed by the active manifest, and a signature that
    # checked out: an "allowed" nobody can attribute is not consent.
    if active_allowed >= set(DECISIVE_ENTRIES) and reading.signature_ok:
        return [Signal.allow(NAME, source, value)]
    return [Signal.unknown(NAME, source, value)]


def configure(get: Getter) -> C2paConfig:
    raw = get("IMAGE_PROBE_BYTES")
    try:
        probe_bytes = int(raw) if raw not in (None, "") else 65536
    except (TypeError, ValueError):
        raise ValueError(f"IMAGE_PROBE_BYTES={raw!r} is not an integer") from None
    return C2paConfig(probe_bytes=max(1, probe_bytes))


def reading_for(ctx: ImageContext, config: C2paConfig | None) -> ManifestReading:
    """The manifest reading of a context's probe body (shared with the provenance family)."""
    probe = ctx.probe
    if probe is None or not probe.body:
        return ManifestReading("none")
    probe_bytes = (config or C2paConfig()).probe_bytes
    return read_manifest(probe.body, partial=probe_is_partial(probe, probe_bytes))


def evaluate_image(ctx: ImageContext, env: EvalEnv) -> list[Signal]:
    """After the probe: the Link header (evidence only) and the manifest in the probed bytes."""
    if not env.on(NAME):
        return []
    probe = ctx.probe
    if probe is None:
        return []
    out = [
        Signal.unknown(NAME, f"header:{ctx.url}", f"c2pa-manifest link not fetched: {target}")
        for target in manifest_links(_header(probe.headers, "link"), ctx.url)
    ]
    out.extend(
        c2pa_signals(
            reading_for(ctx, env.config),
            f"c2pa:{ctx.url}",
            constrained_refuses=env.on("c2pa-constrained"),
            unreadable_refuses=bool(getattr(env.policy, "unreadable_excludes", True)),
        )
    )
    return out


FAMILY = Family(
    name=NAME,
    summary=(
        "C2PA manifest in the image's first bytes (IMAGE_PROBE=range): CAWG training-mining "
        "assertion; Link rel=c2pa-manifest noted, not fetched"
    ),
    spec=(
        "CAWG Training and Data Mining assertion (cawg.training-mining; C2PA 1.x "
        "c2pa.training-mining); C2PA 2.x manifest store, read offline with c2pa-python"
    ),
    reasons=(
        Reason(
            "c2pa:training-mining=notAllowed",
            "ai_training, ai_generative_training or data_mining is notAllowed (signed or not, "
            "active or ingredient manifest)",
        ),
        Reason(
            "c2pa:training-mining=constrained",
            "one of them is constrained (strict; standard records unknown)",
        ),
        Reason(
            "c2pa:unreadable",
            "a manifest store cut by IMAGE_PROBE_BYTES or that the SDK cannot parse (strict)",
            cause="unverifiable",
        ),
    ),
    switches=(
        Switch(NAME, "C2PA_ENABLED", "C2PA/CAWG training-mining in the image (IMAGE_PROBE=range)"),
        Switch(
            "c2pa-constrained",
            "C2PA_CONSTRAINED_ENABLED",
            "a constrained training-mining entry excludes the image",
            presets={"strict": True, "standard": False, "robots-only": False},
        ),
    ),
    image=evaluate_image,
    image_phase=Phase.AFTER_PROBE,
    configure=configure,
)
