"""Re-create the signed C2PA fixtures in this folder (see PROVENANCE.md).

Run from the repository root: ``.venv/bin/python tests/data/c2pa/make_fixtures.py``. Offline: no
timestamp authority (``ta_url`` None), no thumbnail. Signing is not deterministic (claim UUIDs,
signature nonces), so re-running changes the bytes but not what the tests read.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import c2pa

HERE = Path(__file__).resolve().parent
BASE_PNG = HERE / "unsigned.png"
IPTC = "http://cv.iptc.org/newscodes/digitalsourcetype/"

# offline, no thumbnail, no automatic actions beyond the ones we write
CONTEXT_SETTINGS: dict[str, Any] = {
    "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
    "builder": {
        "thumbnail": {"enabled": False},
        "claim_generator_info": {"name": "consentcrawl-tests", "version": "1"},
    },
}


def signer() -> c2pa.Signer:
    info = c2pa.C2paSignerInfo(
        alg=b"es256",
        sign_cert=(HERE / "certs" / "es256_certs.pem").read_bytes(),
        private_key=(HERE / "certs" / "es256_private.key").read_bytes(),
        ta_url=None,
    )
    return c2pa.Signer.from_info(info)


def created(source_type: str) -> dict[str, Any]:
    return {
        "label": "c2pa.actions.v2",
        "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": IPTC + source_type}]},
    }


def training_mining(label: str, prefix: str, uses: dict[str, str]) -> dict[str, Any]:
    entries: dict[str, Any] = {}
    for name, use in uses.items():
        entry: dict[str, Any] = {"use": use}
        if use == "constrained":
            entry["constraint_info"] = "licence required: https://licensing.example/ai"
        entries[f"{prefix}.{name}"] = entry
    return {"label": label, "data": {"entries": entries}}


def sign_png(
    assertions: list[dict[str, Any]],
    *,
    remote_url: str | None = None,
    embed: bool = True,
    base: bytes | None = None,
    ingredient: bytes | None = None,
) -> bytes:
    """PNG bytes signed with the c2pa-rs test certificate (what the tests and this script use)."""
    manifest = {"title": "consentcrawl fixture", "assertions": assertions}
    source = io.BytesIO(base if base is not None else BASE_PNG.read_bytes())
    dest = io.BytesIO()
    with (
        c2pa.Context.from_dict(CONTEXT_SETTINGS) as ctx,
        signer() as sig,
        c2pa.Builder(manifest, ctx) as builder,
    ):
        if remote_url:
            builder.set_remote_url(remote_url)
        if not embed:
            builder.set_no_embed()
        if ingredient is not None:  # a signed PNG this one is made from (its manifest comes along)
            parent = {"title": "parent.png", "relationship": "parentOf"}
            builder.add_ingredient(json.dumps(parent), "image/png", io.BytesIO(ingredient))
        builder.sign(sig, "image/png", source, dest)
    return dest.getvalue()


CAPTURE = created("digitalCapture")
FIXTURES: dict[str, list[dict[str, Any]]] = {
    "cawg_notallowed.png": [
        CAPTURE,
        training_mining(
            "cawg.training-mining",
            "cawg",
            {
                "ai_training": "notAllowed",
                "ai_generative_training": "notAllowed",
                "data_mining": "notAllowed",
                "ai_inference": "allowed",
            },
        ),
    ],
    "cawg_allowed.png": [
        CAPTURE,
        training_mining(
            "cawg.training-mining",
            "cawg",
            {
                "ai_training": "allowed",
                "ai_generative_training": "allowed",
                "data_mining": "allowed",
                "ai_inference": "allowed",
            },
        ),
    ],
    "cawg_constrained.png": [
        CAPTURE,
        training_mining(
            "cawg.training-mining",
            "cawg",
            {"ai_generative_training": "constrained", "ai_training": "allowed"},
        ),
    ],
    "cawg_inference_only.png": [
        CAPTURE,
        training_mining("cawg.training-mining", "cawg", {"ai_inference": "notAllowed"}),
    ],
    "legacy_c2pa_notallowed.png": [
        CAPTURE,
        training_mining(
            "c2pa.training-mining",
            "c2pa",
            {"ai_generative_training": "notAllowed", "ai_inference": "notAllowed"},
        ),
    ],
    "no_training_mining.png": [CAPTURE],
    "ai_generated.png": [
        created("trainedAlgorithmicMedia"),
        training_mining("cawg.training-mining", "cawg", {"ai_training": "allowed"}),
    ],
}


def main() -> None:
    for name, assertions in FIXTURES.items():
        data = sign_png(assertions)
        (HERE / name).write_bytes(data)
        with c2pa.Context.from_dict(CONTEXT_SETTINGS) as ctx:
            reader = c2pa.Reader("image/png", io.BytesIO(data), context=ctx)
            store = json.loads(reader.json())
        labels = [a["label"] for a in store["manifests"][store["active_manifest"]]["assertions"]]
        print(f"{name}: {len(data)} bytes, {store.get('validation_state')}, {labels}")


if __name__ == "__main__":
    main()
