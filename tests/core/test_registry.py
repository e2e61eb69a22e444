"""The family registry is the one declaration: everything derived from it agrees with it (pure)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

import crawler.settings as project_settings
from crawler.consent import registry, verdict
from crawler.consent.family import Phase
from crawler.consent.policy import FAMILY_SETTINGS, PRESETS, Policy
from crawler.report.causes import cause_of

ROOT = Path(__file__).resolve().parents[2]


def test_every_family_is_declared_once_with_reasons_of_a_known_cause() -> None:
    names = [f.name for f in registry.FAMILIES]
    assert len(names) == len(set(names))
    for family in registry.FAMILIES:
        assert family.summary and family.spec, family.name
        assert family.reasons, family.name
        for reason in family.reasons:
            assert ":" in reason.code, reason
            assert reason.cause in (
                "refused",
                "unverifiable",
                "license",
                "quality",
                "scope",
                "input",
                "other",
            ), reason
        for spec in family.documents:
            assert spec.path is None or spec.path.startswith("/"), spec


def test_policy_switches_and_presets_come_from_the_registry() -> None:
    switches = registry.switches()
    assert {s.name: s.setting for s in switches} == FAMILY_SETTINGS
    for preset in ("strict", "standard", "robots-only"):
        assert PRESETS[preset]["families"] == {s.name for s in switches if s.presets.get(preset)}
    # A switch's own setting overrides the preset, for every declared switch.
    for switch in switches:
        off = Policy.from_settings({switch.setting: "false"}.get)
        on = Policy.from_settings({"CONSENT_POLICY": "robots-only", switch.setting: "true"}.get)
        assert not off.enabled(switch.name) and on.enabled(switch.name)


def test_settings_module_has_every_family_setting_with_its_default() -> None:
    for name, default in registry.setting_defaults().items():
        assert getattr(project_settings, name) == default, name
    assert all(s.setting.endswith("_ENABLED") for s in registry.switches())


def test_pipeline_order_is_the_engine_around_the_probe_with_no_per_family_pipeline() -> None:
    order = sorted(project_settings.ITEM_PIPELINES, key=project_settings.ITEM_PIPELINES.get)
    engine = [
        "pipelines.consent.ConsentBeforeProbePipeline",
        "pipelines.probe.ProbePipeline",
        "pipelines.consent.ConsentAfterProbePipeline",
    ]
    positions = [order.index(name) for name in engine]
    assert positions == sorted(positions)
    assert order.index("pipelines.caption.CaptionPipeline") < positions[0]
    assert positions[-1] < order.index("pipelines.license.LicensePipeline")
    for family in registry.FAMILIES:
        assert not any(
            family.name.replace("-", "") in p.lower().split(".")[1]
            for p in order
            if p.startswith("pipelines.") and p not in engine
        ), family.name


def test_default_toml_switches_block_is_generated_from_the_registry() -> None:
    text = (ROOT / "configs" / "default.toml").read_text()
    assert registry.between(text, registry.TOML_START, registry.TOML_END) == registry.toml_block()
    keys = {k.upper() for k in tomllib.loads(text)}
    for family in registry.FAMILIES:
        for spec in family.settings:
            assert spec.name in keys, spec.name


def test_readme_families_table_is_generated_from_the_registry() -> None:
    text = (ROOT / "README.md").read_text()
    got = registry.between(text, registry.README_START, registry.README_END)
    assert got == registry.readme_table(), "run: python -m crawler.consent.registry --readme"


def test_verdict_family_lists_derive_from_the_registry() -> None:
    assert (
        tuple(
            f.name for f in registry.FAMILIES if f.page is not None and f.name != "robots-records"
        )
        == verdict.PAGE_FAMILIES
    )
    assert verdict.PAGE_FAMILIES[0] == "robots"
    refusing = {f.name for f in registry.FAMILIES if any(r.cause == "refused" for r in f.reasons)}
    assert set(verdict.PAGE_FAMILIES) & refusing <= set(verdict.CONSENT_FAMILIES)
    assert set(verdict.CONSENT_FAMILIES) <= refusing and set(verdict.CONSENT_FAMILIES) <= set(
        verdict.FAMILIES
    )
    # The team's own deny-list and AI-generated provenance are not a site's refusal.
    assert "denylist" not in verdict.CONSENT_FAMILIES
    assert "provenance" not in verdict.CONSENT_FAMILIES
    assert "iptc" in verdict.CONSENT_FAMILIES and "probe" not in verdict.CONSENT_FAMILIES


@pytest.mark.parametrize(
    "reason",
    [r for f in registry.FAMILIES for r in f.reasons],
    ids=lambda r: r.code,
)
def test_the_report_classifies_each_declared_reason_by_its_cause(reason) -> None:
    code = reason.code.rstrip("*") + ("x" if reason.code.endswith("*") else "")
    assert cause_of(code) == reason.cause


def test_image_phases_are_declared_where_an_evaluator_exists() -> None:
    for family in registry.FAMILIES:
        if family.image is None:
            continue
        assert family.image_phase in (Phase.BEFORE_PROBE, Phase.AFTER_PROBE)
        if family.url_only:
            assert family.image_phase is Phase.BEFORE_PROBE, family.name


def test_every_declared_column_is_written_in_index_and_excluded() -> None:
    """Family.columns reach both datasets' schemas with the declared type (null when absent)."""
    from crawler.output.shards import _COLUMN_TYPES, EXCLUDED_SCHEMA, INDEX_SCHEMA

    declared = [column for family in registry.FAMILIES for column in family.columns]
    names = [column.name for column in declared]
    assert len(names) == len(set(names)), "two families declare one column"
    for column in declared:
        for schema in (INDEX_SCHEMA, EXCLUDED_SCHEMA):
            assert schema.field(column.name).type == _COLUMN_TYPES[column.type]
    # The writer copies exactly these from a candidate (pipelines/writer.py).
    import pipelines.writer as writer

    assert tuple(names) == writer.FAMILY_COLUMN_NAMES


def test_regenerate_appends_every_family_column_too() -> None:
    """``scrapy regenerate`` writes them after its own columns (renamed on an input clash)."""
    from crawler.output.shards import FAMILY_COLUMN_NAMES
    from crawler.regen.plan import OUR_COLUMNS, output_names

    assert set(FAMILY_COLUMN_NAMES) <= set(OUR_COLUMNS)
    for name in FAMILY_COLUMN_NAMES:
        assert output_names(["url", name])[name] == f"consentcrawl_{name}"
