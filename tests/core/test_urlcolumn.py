"""crawler.urlcolumn: per-authority answers over an Arrow column, and the bounded memo."""

from __future__ import annotations

import pyarrow as pa

from crawler.regen.inputs import valid_origin
from crawler.urlcolumn import authority_codes, bounded_memo, by_authority


def test_bounded_memo_answers_as_the_function_and_stays_bounded() -> None:
    calls: list[object] = []

    def origin(value: object) -> str | None:
        calls.append(value)
        return valid_origin(value)

    memo = bounded_memo(origin, limit=3)
    urls = ["http://a.test/", "http://b.test/", "http://a.test/", "http://c.test/"]
    assert [memo(u) for u in urls] == [valid_origin(u) for u in urls]
    assert calls == ["http://a.test/", "http://b.test/", "http://c.test/"]  # a.test once
    memo("http://d.test/")  # the fourth distinct value: everything is forgotten first
    memo("http://a.test/")
    assert calls[-2:] == ["http://d.test/", "http://a.test/"]
    assert memo(None) is None and memo(7) is None  # non-strings pass through, never kept
    assert calls[-2:] == [None, 7]


def test_by_authority_with_a_memo_is_the_function_row_by_row() -> None:
    values = ["http://a.test/x", "HTTP://A.test:80/y", None, "ftp://a.test/", "http://u@h/x"]
    column = pa.array(values * 3, pa.string())
    memo = bounded_memo(valid_origin)
    for _ in range(2):  # the second time from the memo
        got, origins = by_authority(column, memo)
        assert got == values * 3
        assert origins == [valid_origin(v) for v in values * 3]


def test_authority_codes_are_by_authority_with_one_call_per_distinct_authority() -> None:
    odd = ["ftp://a.test/", "http://u@h/x", "http://[::1]/x", "http://h.test/\u00e9", ""]
    plain = ["http://a.test/x", "HTTP://A.test:80/y", "https://a.test/z?q", "http://a.test#f"]
    values = [*plain, *odd, None] * 3
    calls: list[object] = []

    def origin(value: object) -> str | None:
        calls.append(value)
        return valid_origin(value)

    text = pa.array(values, pa.string())
    with_null_value = pa.DictionaryArray.from_arrays(  # null in the dictionary, not the indices
        pa.array(range(len(values)), pa.int32()), pa.array(values, pa.string())
    )
    for column in (
        text,
        pa.array(values, pa.large_string()),
        pa.chunked_array([values[:7], values[7:]], pa.string()),
        text.dictionary_encode(),  # null indices
        with_null_value,
    ):
        calls.clear()
        codes, labels = authority_codes(column, origin)
        assert [labels[c] for c in codes.tolist()] == by_authority(column, valid_origin)[1]
        # once per distinct prefix (a.test three ways: two share "http://a.test"), odd value
        assert len(calls) == 3 + len(odd) + 1 == len(set(map(str, calls)))
    for column in (
        pa.array([], pa.string()),
        pa.array([None, None], pa.string()).dictionary_encode(),  # an empty dictionary
        pa.array([1, None, 1], pa.int64()),  # not text: fn of every value
    ):
        codes, labels = authority_codes(column, origin)
        want = by_authority(column, valid_origin)[1]
        assert [labels[c] for c in codes.tolist()] == want
