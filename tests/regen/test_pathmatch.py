"""Column-at-a-time pattern matching (issue 16) against the scalar matcher it stands for.

``PathPattern.regex()`` on RE2 (pyarrow) must accept exactly the paths ``PathPattern.matches``
accepts, ``normalized_paths`` must be ``normalize_path`` row for row, and ``match_sets`` must
give two rows of an origin the same set exactly when the same patterns match them.
"""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawler.consent.patterns import PathPattern, normalize_path, path_pattern
from crawler.regen.pathmatch import (
    VECTOR_MIN_ROWS,
    PatternIndex,
    coded_match_sets,
    match_sets,
    normalized_paths,
)

# Small alphabets so that random patterns and paths meet often, with every operator and the
# characters that need escaping or encoding.
PATTERN_CHARS = st.sampled_from([*"/ab.*$?=%2A-é ", "%2a", "%41", "%24", ".pdf"])
PATH_CHARS = st.sampled_from([*"/ab.?=$*%-é ", "%2A", "%41", ".pdf", "#"])
PATTERNS = st.lists(PATTERN_CHARS, max_size=8).map("".join)
PATHS = st.lists(PATH_CHARS, max_size=10).map("".join)
URLS = st.one_of(
    st.builds(lambda p: "http://h.test" + p, PATHS),
    st.builds(lambda p: "HTTPS://h.test:8080" + p, PATHS),
    st.builds(lambda p: "http://h.test/" + p, PATHS),
    PATHS,
    st.sampled_from(["", "http://h.test", "http://h.test?x=1", "ftp://f.test/a.pdf", " /a "]),
)


def _re2(paths: list[str], pattern: PathPattern) -> list[bool]:
    return pc.match_substring_regex(pa.array(paths, pa.string()), pattern.regex()).to_pylist()


@settings(max_examples=400, deadline=None)
@given(raw=PATTERNS, urls=st.lists(URLS, min_size=1, max_size=12))
@example(raw="/*.pdf$", urls=["http://h.test/a.pdf", "http://h.test/a.pdf?x", "/x.pdf"])
@example(raw="/a*b$", urls=["/ab", "/a", "/abab", "/ba"])
@example(raw="*.jpg", urls=["/x.jpg", "/x.jpeg", "/"])
def test_regex_matches_what_matches_matches(raw: str, urls: list[str]) -> None:
    pattern = PathPattern(raw)
    paths = [normalize_path(u) for u in urls]
    want = [pattern.matches(p) for p in paths]
    assert _re2(paths, pattern) == want
    assert [re.search(pattern.regex(), p) is not None for p in paths] == want


@settings(max_examples=400, deadline=None)
@given(urls=st.lists(st.one_of(URLS, st.none(), st.integers()), max_size=20))
def test_normalized_paths_is_normalize_path(urls: list) -> None:
    want = [normalize_path(u if isinstance(u, str) else "") for u in urls]
    assert normalized_paths(urls).to_pylist() == want
    # The same from the Arrow column (nulls for the non-strings): what the batch path passes.
    column = pa.array([u if isinstance(u, str) else None for u in urls], pa.string())
    assert normalized_paths(column).to_pylist() == want


@settings(max_examples=150, deadline=None)
@given(
    origin_patterns=st.lists(st.lists(PATTERNS, min_size=1, max_size=5), min_size=1, max_size=3),
    urls=st.lists(URLS, min_size=1, max_size=40),
    scale=st.sampled_from([1, VECTOR_MIN_ROWS]),  # Python matches, and the RE2 kernel
)
def test_match_sets_group_rows_by_matching_patterns(
    origin_patterns: list[list[str]], urls: list[str], scale: int
) -> None:
    urls = urls * scale
    paths = normalized_paths(urls).to_pylist()
    groups: dict[int, list[int]] = {}
    for row in range(len(paths)):
        groups.setdefault(row % len(origin_patterns), []).append(row)
    patterns = {g: [path_pattern(p) for p in origin_patterns[g]] for g in groups}
    sets = match_sets(paths, groups, patterns)
    for group, rows in groups.items():
        own = patterns[group]
        for a in rows[:12]:
            for b in rows[:12]:
                same = [p.matches(paths[a]) for p in own] == [p.matches(paths[b]) for p in own]
                assert (sets[a] == sets[b]) == same


@pytest.mark.parametrize("distinct", [5, 63, 64, 130])
def test_match_sets_with_many_patterns(distinct: int) -> None:
    """Up to 63 distinct patterns the sets are or-ed in uint64 words, from 64 on in Python
    integers: both give rows of a group the same set exactly when the same patterns match."""
    patterns = [path_pattern(f"/d{k}/") for k in range(distinct)] + [path_pattern("/*.jpg$")]
    paths = [f"/d{k % (distinct + 3)}/x.{'jpg' if k % 2 else 'png'}" for k in range(400)]
    groups = {"a": list(range(0, 400, 2)), "b": list(range(1, 400, 2))}
    sets = match_sets(paths, groups, {"a": patterns, "b": patterns[::2]})
    for group, rows in groups.items():
        own = patterns if group == "a" else patterns[::2]
        for a in rows[:60]:
            for b in rows[:60]:
                same = [p.matches(paths[a]) for p in own] == [p.matches(paths[b]) for p in own]
                assert (sets[a] == sets[b]) == same


def test_match_sets_are_stable_across_calls() -> None:
    """A group's bits are its own patterns' positions: the same path gets the same set in any
    call (the batch path remembers per (origin, set) across batches), whatever other groups and
    rows the call has."""
    mine = [path_pattern(p) for p in ("/a/", "*.jpg", "/a/b", "/*.pdf$")]
    other = [path_pattern(p) for p in ("/z/", "*.jpg", "/a/")]
    paths = ["/a/b.jpg", "/a/x.pdf", "/q.jpg", "/", "/a/b"]
    alone = match_sets(paths, {"me": range(5)}, {"me": mine})
    mixed_paths = ["/z/1", *paths] * 40  # above VECTOR_MIN_ROWS: the RE2 kernel
    rows = [k for k in range(len(mixed_paths)) if k % 6]
    sets = match_sets(
        mixed_paths,
        {"me": rows, "other": [k for k in range(len(mixed_paths)) if not k % 6]},
        {"me": mine, "other": other},
    )
    assert [sets[k] for k in rows[:5]] == alone
    assert alone == [0b0111, 0b1001, 0b0010, 0, 0b0101]


def test_match_sets_past_16_bit_pattern_numbers() -> None:
    """Pattern numbers are sorted as 16-bit integers (radix) while they fit, as int64 past
    65,535: a group whose patterns are numbered past it gets the sets it gets numbered low."""
    mine = [path_pattern(p) for p in ("/a/", "*.jpg", "/a/b", "/*.pdf$")]
    paths = ["/a/b.jpg", "/a/x.pdf", "/q.jpg", "/", "/a/b"] * 10  # RE2 kernel and Python
    low = PatternIndex()
    want = coded_match_sets(paths, np.zeros(len(paths), np.int64), [low.numbers(mine)], low)
    high = PatternIndex()
    high.numbers([path_pattern(f"/filler{k}") for k in range(1 << 16)])  # numbers 0..65535
    numbers = high.numbers(mine)
    assert numbers.min() >= 1 << 16
    assert coded_match_sets(paths, np.zeros(len(paths), np.int64), [numbers], high) == want
    assert want[:5] == [0b0111, 0b1001, 0b0010, 0, 0b0101]
