"""Pure parts of the regeneration batch path (crawler.regen.batchpath)."""

from __future__ import annotations

from dataclasses import replace

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.consent.aipref import USAGE_COLUMNS, robots_preferences, row_preferences
from crawler.consent.aitxt import aitxt_from_fetch
from crawler.consent.patterns import path_pattern
from crawler.consent.robots import robots_from_fetch
from crawler.consent.rowchecks import RECORD_SWITCHES
from crawler.consent.tdmrep import tdmrep_from_fetch
from crawler.items import candidate_target
from crawler.netguard import AddressPolicy
from crawler.regen.batchpath import (
    BY_OWN_VERDICT,
    BatchDecider,
    address_guard,
    make_checks,
    origins_of,
    step_uniform,
)
from crawler.regen.inputs import valid_origin
from pipelines.probe import NOT_CHECKED
from tests.corpus import CORPUS

ODD_URLS = [
    "http://a.b/x",
    "HTTP://A.B:80/y",
    "https://[::1]/x",
    "http://u@h/x",
    "http://h:bad/x",
    "http://h%20/x",
    " http://h/x",
    "http://h/ x",
    "http://h/\tx",
    None,
    "",
    "ftp://h/x",
    "http://h?x",
    "http://h#f",
    "http://h",
    "http://xn--caf-dma.fr/é",
    "http://ÿ.fr/a",
    "http://h:99999/x",
    "http://h:/x",
    "http://h./x",
    "http://h/" + "a" * 9000,
]


def test_origins_of_is_valid_origin_for_every_value() -> None:
    values, origins = origins_of(pa.array(ODD_URLS, pa.string()), valid_origin)
    assert values == ODD_URLS
    assert origins == [valid_origin(v) for v in ODD_URLS]
    _, chunked = origins_of(
        pa.chunked_array([ODD_URLS[:5], ODD_URLS[5:]], pa.string()), valid_origin
    )
    assert chunked == origins
    _, numbers = origins_of(pa.array([1, 2]), valid_origin)  # not a string column
    assert numbers == [None, None]


@pytest.mark.skipif(not (CORPUS / "laion-sample").exists(), reason="LAION sample not available")
def test_origins_of_on_the_laion_sample() -> None:
    column = pq.read_table(CORPUS / "laion-sample" / "test_10000.parquet").column("URL")
    values, origins = origins_of(column, valid_origin)
    assert origins == [valid_origin(v) for v in values]


GUARDED_URLS = [
    *ODD_URLS,
    "http://127.0.0.1/a.jpg",
    "http://127.0.0.1:8080/b.jpg",
    "http://0x7f000001/c.jpg",
    "http://2130706433/d.jpg",
    "http://0177.0.0.1/e.jpg",
    "http://127.1/f.jpg",
    "http://LOCALHOST/g.jpg",
    "http://localhost./h.jpg",
    "http://a.localhost/i.jpg",
    "http://[::1]/j.jpg",
    "http://[::ffff:10.0.0.1]/k.jpg",
    "http://[fe80::1]:81/l.jpg",
    "http://169.254.169.254/latest/meta-data/",
    "https://10.0.0.1/" + "x" * 500,
    "http://8.8.8.8/public.jpg",
    "http://192.168.0.9/m.jpg",
    "http://example.com/n.jpg",
]


@pytest.mark.parametrize("opened", [(), ("192.168.0.0/16", "127.0.0.0/8")])
def test_address_guard_is_candidate_target_row_by_row(opened: tuple[str, ...]) -> None:
    policy = AddressPolicy.from_cidrs(opened)
    values, origins = origins_of(pa.array(GUARDED_URLS, pa.string()), valid_origin)
    guarded = address_guard(values, origins, lambda url: candidate_target(url, policy))
    for i, url in enumerate(values):
        if origins[i] is None:  # unusable: input:invalid-url before the guard
            assert guarded.origins[i] is None and i not in guarded.refused
            continue
        origin, reasons, signals = candidate_target(url, policy)
        assert guarded.origins[i] == origin, url
        if origin is None:
            assert guarded.refused[i] == (reasons, signals), url
        else:
            assert i not in guarded.refused, url
    refused = {values[i] for i in guarded.refused}
    assert "http://8.8.8.8/public.jpg" not in refused
    assert ("http://192.168.0.9/m.jpg" in refused) is not bool(opened)
    assert "http://[::1]/j.jpg" in refused and "http://169.254.169.254/latest/meta-data/" in refused


def test_matches_every_path() -> None:
    assert all(path_pattern(p).matches_every_path for p in ("/", "*", "/*", "/**"))
    assert not any(path_pattern(p).matches_every_path for p in ("/$", "/a", "*.jpg", "/*a"))


CHECKS = make_checks(
    token="consentcrawl",
    ai_tokens=("GPTBot", "CCBot"),
    use_ai_tokens=True,
    record_switches=list(RECORD_SWITCHES.values()),
    aitxt=True,
    tdmrep=True,
    unreadable_excludes=True,
    probe_signal=NOT_CHECKED,
)

# The same with the aipref family on (its row columns filled).
CHECKS_AIPREF = replace(CHECKS, usage_tokens=("consentcrawl", "GPTBot", "CCBot"))


def _docs(origin: str, robots: str, aitxt: str | None, tdmrep: str | None) -> dict:
    return {
        ("robots", origin): robots_from_fetch(origin, 200, robots.encode()),
        ("aitxt", origin): aitxt_from_fetch(
            200 if aitxt else 404, (aitxt or "").encode(), origin + "/ai.txt", "consentcrawl"
        ),
        ("tdmrep", origin): tdmrep_from_fetch(
            200 if tdmrep else 404, (tdmrep or "").encode(), origin + "/.well-known/tdmrep.json"
        ),
    }


def test_step_uniform_per_document() -> None:
    docs = {
        **_docs("http://plain", "User-agent: *\nAllow: /\n", None, None),
        **_docs("http://refuses", "User-agent: *\nDisallow: /\n", "training: no\n", None),
        **_docs(
            "http://paths",
            "User-agent: *\nDisallow: /private/\n",
            "User-Agent: *\nDisallow: *.jpg\n",
            '[{"location": "/img/*", "tdm-reservation": 1}]',
        ),
        **_docs(
            "http://gpt",
            "User-agent: GPTBot\nDisallow: /a/\n\nUser-agent: *\nAllow: /\n",
            None,
            '[{"location": "/*", "tdm-reservation": 1}]',
        ),
    }
    docs.update(
        _docs(
            "http://own",
            "User-agent: *\nDisallow: /p/\n\nUser-agent: GPTBot\nDisallow: /\n",
            None,
            None,
        )
    )
    # Our token has path rules, the AI tokens' groups do not: robots evaluated per verdict.
    assert step_uniform(docs, "http://own", CHECKS) == (BY_OWN_VERDICT, True, True, True)
    assert step_uniform(docs, "http://plain", CHECKS) == (True, True, True, True)
    assert step_uniform(docs, "http://refuses", CHECKS) == (True, True, True, True)
    assert step_uniform(docs, "http://paths", CHECKS) == (BY_OWN_VERDICT, False, True, False)
    assert step_uniform(docs, "http://gpt", CHECKS) == (False, True, True, True)


def test_decider_same_as_row_by_row_signals() -> None:
    docs = {
        **_docs("http://plain", "User-agent: *\nAllow: /\n", None, None),
        **_docs(
            "http://paths",
            "User-agent: *\nDisallow: /private/\nContent-Usage: /nogen/ train-ai=n\n",
            "User-Agent: *\nDisallow: *.png\n",
            '[{"location": "/img/*", "tdm-reservation": 1}]',
        ),
    }
    urls = [
        f"http://{host}{path}"
        for host in ("plain", "paths")
        for path in ("/a.jpg", "/private/b.jpg", "/img/c.png", "/nogen/d.jpg", "/robots.txt")
    ] + [None, "nope", "http://plain/x/ai.txt", "http://paths/.well-known/tdmrep.json"]
    pages = ["http://paths/private/p.html", None, "http://plain/p.html", "bad", *[None] * 8]
    pages += ["http://plain/robots.txt", "http://paths/p.html", "http://paths/ai.txt"]
    url_col, page_col = pa.array(urls, pa.string()), pa.array(pages[: len(urls)], pa.string())
    values, origins = origins_of(url_col, valid_origin)
    page_values, page_origins = origins_of(page_col, valid_origin)
    from crawler.consent.verdict import PageVerdict

    # From the Python values, and from the Arrow columns (what the batch runner passes).
    for columns in ({}, {"url_column": url_col, "page_column": page_col}):
        decision = BatchDecider(CHECKS).decide(
            docs, values, origins, page_values, page_origins, **columns
        )
        for i, url in enumerate(values):
            url = url if isinstance(url, str) else ""
            signals = CHECKS.signals(docs, url, origins[i], page_values[i], page_origins[i])
            reasons, records = PageVerdict(()).row(CHECKS.own_reasons(origins[i]), signals)
            assert decision.reasons[i] == reasons, i
            assert decision.consent[i].as_py() == records, i
        assert decision.path_rows > 0 and decision.shared_rows > 0


_RULE_PATTERNS = ["/", "/a", "/a/", "/a/b", "/*.pdf$", "/*b", "*.jpg", "/a$", "/%61/", "/x*y$"]
_PATHS = ["/", "/a", "/a/", "/a/b.jpg", "/a/x.pdf", "/b", "/%61/c", "/x1y", "/x1y?z", "/é.jpg"]


@pytest.mark.parametrize("seed", range(16))
def test_decider_path_rules_same_as_row_by_row(seed: int) -> None:
    """Origins whose robots.txt (for our token and for AI tokens), ai.txt and tdmrep.json have
    path rules, and pages on them: image steps and pages decided once per set of matching
    patterns (on RE2 for the bigger groups), robots.txt records with paths too; every row as
    row by row, the aipref columns as the aipref family fills them."""
    import json
    import random

    from crawler.consent.verdict import PageVerdict

    rng = random.Random(seed)
    docs: dict = {}
    hosts = [f"h{k}.test" for k in range(4)]
    for host in hosts:
        lines = []
        for agent in rng.sample(["*", "GPTBot", "CCBot", "consentcrawl"], rng.randint(1, 3)):
            lines.append(f"User-agent: {agent}")
            for pattern in rng.sample(_RULE_PATTERNS, rng.randint(1, 5)):
                lines.append(f"{rng.choice(['Allow', 'Disallow'])}: {pattern}")
            if rng.random() < 0.3:
                prefs = rng.choice(["train-ai=n", "ai-use=n, search=y", "train-ai=y"])
                lines.append(f"Content-Usage: {rng.choice(['', '/a/ ', '/*.pdf$ '])}{prefs}")
            if rng.random() < 0.2:
                lines.append(f"Content-Signal: {rng.choice(['', '/a/b '])}ai-train=no")
            if rng.random() < 0.2:
                lines.append(f"DisallowAITraining: {rng.choice(_RULE_PATTERNS)}")
            lines.append("")
        aitxt = None
        if rng.random() < 0.6:
            aitxt = "User-Agent: *\n" + "".join(
                f"{rng.choice(['Allow', 'Disallow'])}: {p}\n"
                for p in rng.sample(_RULE_PATTERNS, rng.randint(1, 3))
            )
        tdmrep = None
        if rng.random() < 0.6:
            tdmrep = json.dumps(
                [
                    {"location": p, "tdm-reservation": rng.randint(0, 1)}
                    for p in rng.sample(_RULE_PATTERNS, rng.randint(1, 3))
                ]
            )
        docs.update(_docs(f"http://{host}", "\n".join(lines) + "\n", aitxt, tdmrep))

    def url() -> str:
        return f"http://{rng.choice(hosts)}{rng.choice(_PATHS)}{rng.choice(['', '#f'])}"

    urls = [url() for _ in range(300)]
    pages = [url() if rng.random() < 0.8 else None for _ in urls]
    values, origins = origins_of(pa.array(urls, pa.string()), valid_origin)
    page_values, page_origins = origins_of(pa.array(pages, pa.string()), valid_origin)
    checks = CHECKS_AIPREF
    decider = BatchDecider(checks)
    # What the decider remembers across batches (per origin and match set) is right for a
    # later batch: the rows decided last, in two batches, after a first batch of other rows.
    decider.decide(docs, values[::-1], origins[::-1], page_values[::-1], page_origins[::-1])
    halves = [
        decider.decide(docs, values[k::2], origins[k::2], page_values[k::2], page_origins[k::2])
        for k in (0, 1)
    ]
    decision = BatchDecider(checks).decide(docs, values, origins, page_values, page_origins)
    for k, half in enumerate(halves):
        assert half.reasons == decision.reasons[k::2]
        assert half.consent.to_pylist() == decision.consent.to_pylist()[k::2]
    tokens = ("consentcrawl", "GPTBot", "CCBot")
    columns = decision.columns or {}
    for i, url_i in enumerate(values):
        signals = checks.signals(docs, url_i, origins[i], page_values[i], page_origins[i])
        reasons, records = PageVerdict(()).row(checks.own_reasons(origins[i]), signals)
        assert decision.reasons[i] == reasons, (url_i, page_values[i])
        assert decision.consent[i].as_py() == records, (url_i, page_values[i])
        # The aipref columns as the aipref family computes them (its own functions).
        want: dict = dict.fromkeys(USAGE_COLUMNS)
        if origins[i] is not None:
            sources = [robots_preferences(docs["robots", origins[i]], url_i, tokens)]
            if page_origins[i] is not None:
                page_rules = docs["robots", page_origins[i]]
                sources.append(robots_preferences(page_rules, page_values[i], tokens))
            want = row_preferences(sources).columns()
        got = {name: (columns.get(name) or [None] * len(values))[i] for name in USAGE_COLUMNS}
        assert got == want, (url_i, page_values[i])
    # (The comparison covers filled columns: origins with Content-Usage records for our tokens.)
    if any(docs["robots", o].has_usage_records() for o in origins if o is not None):
        assert columns
