"""bench.run's ratios: the per-round spread behind a ratio of medians."""

from __future__ import annotations

from typing import Any

from bench.run import round_ratios


def _run(config: str, rnd: int, pages_per_s: float | None, rc: int = 0) -> dict[str, Any]:
    return {"config": config, "round": rnd, "pages_per_s": pages_per_s, "returncode": rc}


def test_round_ratios_pair_the_runs_of_each_round_in_round_order() -> None:
    runs = [
        _run("consent-off", 1, 300.0),
        _run("baseline", 0, 200.0),
        _run("baseline", 1, 250.0),
        _run("consent-off", 0, 310.0),
        _run("floor", 0, 330.0),
    ]
    assert round_ratios(runs, "consent-off", "baseline", "pages_per_s") == [1.55, 1.2]
    assert round_ratios(runs, "consent-off", "floor", "pages_per_s") == [0.939]


def test_a_failed_or_empty_run_leaves_its_round_out() -> None:
    runs = [
        _run("consent-off", 0, 310.0),
        _run("baseline", 0, 200.0, rc=1),
        _run("consent-off", 1, 300.0),
        _run("baseline", 1, None),
        _run("consent-off", 2, 330.0),
        _run("baseline", 2, 220.0),
    ]
    assert round_ratios(runs, "consent-off", "baseline", "pages_per_s") == [1.5]
