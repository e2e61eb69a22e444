"""W3C TDMRep (consent-signals.md §2): tdmrep.json, headers, HTML meta, precedence."""

from __future__ import annotations

import json

import pytest

from crawler.consent.tdmrep import (
    TdmRepFile,
    TdmValue,
    parse_tdmrep_json,
    tdmrep_from_fetch,
    tdmrep_signal,
)
from crawler.consent.verdict import Decision, Signal
from tests.corpus import CORPUS

TDM_DIR = CORPUS / "tdmrep"
FILE_URL = "https://example.com/.well-known/tdmrep.json"
PAGE = "https://example.com/page"
POLICY = "https://provider.com/policies/policy.json"


def corpus_bytes(relative: str) -> bytes:
    path = TDM_DIR / relative
    if not path.is_file():
        pytest.skip(f"shared corpus not available: {path} (expected ../shared/corpus)")
    return path.read_bytes()


def tdm(rules: object) -> TdmRepFile:
    return parse_tdmrep_json(json.dumps(rules).encode(), FILE_URL)


# --- digest §2 examples, verbatim -------------------------------------------------------------


def test_example_1_site_wide_reservation_excludes() -> None:
    # 1. `[{"location":"/","tdm-reservation":1}]` and no header: every URL is reserved, so
    #    **exclude**.
    file = parse_tdmrep_json(b'[{"location":"/","tdm-reservation":1}]', FILE_URL)
    for url in ("https://example.com/", "https://example.com/img/a.jpg", PAGE):
        signal = tdmrep_signal(url, file, None, None, url)
        assert signal.decision is Decision.DISALLOW
        assert signal.reason == "tdmrep:reserved"
        assert signal.source == FILE_URL
        assert signal.value == "1; location=/"  # the matched entry is the evidence


def test_example_2_first_match_in_array_order() -> None:
    # 2. `[{"location":"/images/*.jpg","tdm-reservation":0},{"location":"/","tdm-reservation":1}]`:
    #    `/images/a.jpg` matches the first rule, so it is not reserved. Swap the order and it
    #    becomes reserved.
    rules = [
        {"location": "/images/*.jpg", "tdm-reservation": 0},
        {"location": "/", "tdm-reservation": 1},
    ]
    file = tdm(rules)
    assert file.lookup("/images/a.jpg") == TdmValue(0, None, "/images/*.jpg")
    allowed = tdmrep_signal("https://example.com/images/a.jpg", file, None, None, "")
    assert allowed.decision is Decision.ALLOW
    assert tdmrep_signal("https://example.com/x.jpg", file, None, None, "").decision is (
        Decision.DISALLOW
    )
    swapped = tdm(list(reversed(rules)))
    assert swapped.lookup("/images/a.jpg") == TdmValue(1, None, "/")
    signal = tdmrep_signal("https://example.com/images/a.jpg", swapped, None, None, "")
    assert signal.decision is Decision.DISALLOW


def test_example_3_header_reservation_with_policy() -> None:
    # 3. An image response with `tdm-reservation: 1` and a `tdm-policy` URL: **exclude**, and
    #    store the policy URL for licensing follow-up.
    image = "https://cdn.example.com/a.jpg"
    headers = {"tdm-reservation": ["1"], "tdm-policy": [POLICY]}
    signal = tdmrep_signal(image, None, headers, None, image)
    assert signal.decision is Decision.DISALLOW
    assert signal.reason == "tdmrep:reserved"
    assert signal.value == f"1; policy={POLICY}"
    assert signal.source == f"header:{image}"


def test_example_4_protocol_error_keeps_file_value_and_meta_overrides() -> None:
    # 4. The file says 1 and the header says `yes`: the header is a protocol error, so 1 still
    #    stands and the URL is excluded. The file says 1 but the page's meta says 0: that page
    #    is not reserved.
    file = parse_tdmrep_json(b'[{"location":"/","tdm-reservation":1}]', FILE_URL)
    bad_header = tdmrep_signal(PAGE, file, {"tdm-reservation": ["yes"]}, None, PAGE)
    assert bad_header.decision is Decision.DISALLOW
    assert bad_header.source == FILE_URL
    meta_zero = tdmrep_signal(PAGE, file, None, {"tdm-reservation": ["0"]}, PAGE)
    assert meta_zero.decision is Decision.ALLOW
    assert meta_zero.source == f"meta:{PAGE}"
    assert meta_zero.value == "0"


# --- precedence and carriers ------------------------------------------------------------------


def test_header_overrides_file() -> None:
    file = tdm([{"location": "/", "tdm-reservation": 1}])
    signal = tdmrep_signal(PAGE, file, {"tdm-reservation": ["0"]}, None, PAGE)
    assert signal.decision is Decision.ALLOW
    assert signal.source == f"header:{PAGE}"


def test_meta_overrides_header() -> None:
    signal = tdmrep_signal(PAGE, None, {"tdm-reservation": ["0"]}, {"tdm-reservation": ["1"]}, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.source == f"meta:{PAGE}"


def test_absent_values_never_reset() -> None:
    file = tdm([{"location": "/", "tdm-reservation": 1, "tdm-policy": POLICY}])
    signal = tdmrep_signal(PAGE, file, {"content-type": ["text/html"]}, {"robots": ["x"]}, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == f"1; policy={POLICY}; location=/"
    assert signal.source == FILE_URL


def test_header_policy_without_reservation_updates_policy_only() -> None:
    file = tdm([{"location": "/", "tdm-reservation": 1, "tdm-policy": POLICY}])
    other = "https://example.com/tdm-policy.json"
    signal = tdmrep_signal(PAGE, file, {"tdm-policy": [other]}, None, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == f"1; policy={other}; location=/"


def test_invalid_meta_value_is_ignored() -> None:
    signal = tdmrep_signal(
        PAGE, None, {"tdm-reservation": ["1"]}, {"tdm-reservation": ["true"]}, PAGE
    )
    assert signal.decision is Decision.DISALLOW
    assert signal.source == f"header:{PAGE}"


def test_header_names_are_case_insensitive() -> None:
    signal = tdmrep_signal(PAGE, None, {"TDM-Reservation": [" 1 "]}, None, PAGE)
    assert signal.decision is Decision.DISALLOW


def test_conflicting_header_instances_resolve_restrictively() -> None:
    signal = tdmrep_signal(PAGE, None, {"tdm-reservation": ["0", "1"]}, None, PAGE)
    assert signal.decision is Decision.DISALLOW


def test_nothing_at_all_is_unknown() -> None:
    signal = tdmrep_signal(PAGE, None, None, None, PAGE)
    assert signal.decision is Decision.UNKNOWN
    assert signal.family == "tdmrep"
    assert signal.source == PAGE


def test_no_matching_location_is_unset() -> None:
    file = tdm([{"location": "/private/", "tdm-reservation": 1}])
    assert file.lookup("/public/a.jpg") is None
    assert tdmrep_signal(PAGE, file, None, None, PAGE).decision is Decision.UNKNOWN


def test_policy_ignored_when_not_reserved() -> None:
    file = tdm([{"location": "/", "tdm-reservation": 0, "tdm-policy": POLICY}])
    assert file.lookup("/x") == TdmValue(0, None, "/")


# --- tolerant parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"location": "/", "tdm-reservation": 1}',  # bare object
        b'{"tdm_reservation": 1}',  # snake_case, no location
        b'[{"location": "/", "tdm-reservation": "1"}]',  # string
        b'[{"location": "/", "tdm-reservation": true}]',  # boolean
        b'[{"location": "/", "tdm_reservation": 1}]',  # snake_case in an array
    ],
)
def test_nonconformant_reservations_are_recorded(body: bytes) -> None:
    file = parse_tdmrep_json(body, FILE_URL)
    value = file.lookup("/anything.jpg")
    assert value is not None
    assert value.reservation == 1
    assert value.nonconformant
    assert file.nonconformant
    signal = tdmrep_signal("https://example.com/a.jpg", file, None, None, "")
    assert signal.decision is Decision.DISALLOW
    assert signal.value.endswith("nonconformant")


@pytest.mark.parametrize(
    "body",
    [
        b'[{"location": "/", "tdm-reservation": "yes"}]',
        b'[{"location": "/", "tdm-reservation": 2}]',
        b'[{"location": "/", "tdm-reservation": "0"}]',  # a malformed allow counts for nothing
        b'[{"location": "/"}]',
        b'{"tdm-reservation": 0}',
        b"[1, 2, 3]",
    ],
)
def test_invalid_rules_are_unset(body: bytes) -> None:
    file = parse_tdmrep_json(body, FILE_URL)
    assert file.lookup("/a.jpg") is None
    assert tdmrep_signal(PAGE, file, None, None, PAGE).decision is Decision.UNKNOWN


def test_invalid_rule_is_skipped_not_fatal() -> None:
    file = tdm(
        [{"location": "/a/", "tdm-reservation": "maybe"}, {"location": "/", "tdm-reservation": 1}]
    )
    assert file.lookup("/a/x") == TdmValue(1, None, "/")


@pytest.mark.parametrize("body", [b"", b"<html>not found</html>", b'[{"location": "/",}]'])
def test_unparseable_json_sets_error(body: bytes) -> None:
    file = parse_tdmrep_json(body, FILE_URL)
    assert file.error
    assert file.rules == ()
    assert file.lookup("/") is None


def test_bom_and_location_patterns() -> None:
    body = b'\xef\xbb\xbf[{"location": "/*.pdf$", "tdm-reservation": 1}]'
    file = parse_tdmrep_json(body, FILE_URL)
    assert file.error is None
    assert file.lookup("https://example.com/docs/a.pdf") is not None
    assert file.lookup("https://example.com/docs/a.pdf?x=1") is None
    assert file.lookup("/docs/a.html") is None


def test_location_is_case_sensitive_and_percent_normalized() -> None:
    file = tdm([{"location": "/Caf%c3%a9/", "tdm-reservation": 1}])
    assert file.lookup("https://example.com/Café/a.jpg") is not None
    assert file.lookup("https://example.com/café/a.jpg") is None


# --- fetch outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", [None, 301, 404, 410, 500, 503])
def test_fetch_failure_means_not_implemented(status: int | None) -> None:
    assert tdmrep_from_fetch(status, b'[{"location":"/","tdm-reservation":1}]', FILE_URL) is None


def test_fetch_success_parses() -> None:
    file = tdmrep_from_fetch(200, b'[{"location":"/","tdm-reservation":1}]', FILE_URL)
    assert file is not None
    assert file.source_url == FILE_URL
    assert file.lookup("/") == TdmValue(1, None, "/")


def test_fetch_soft_404_html_is_no_file() -> None:
    assert tdmrep_from_fetch(200, b"<!doctype html><p>Not found</p>", FILE_URL) is None


# --- W3C spec examples and real-world files (shared/corpus/tdmrep) -----------------------------


def test_w3c_example_01() -> None:
    file = parse_tdmrep_json(corpus_bytes("w3c-spec-examples/example-01-tdmrep.json"), FILE_URL)
    assert file.lookup("/any/thing.jpg") == TdmValue(1, None, "/")


def test_w3c_example_02_three_rules() -> None:
    file = parse_tdmrep_json(corpus_bytes("w3c-spec-examples/example-02-tdmrep.json"), FILE_URL)
    assert len(file.rules) == 3
    assert file.lookup("/directory-a/x.html") == TdmValue(1, None, "/directory-a/")
    assert file.lookup("/directory-b/html/p.html") == TdmValue(1, POLICY, "/directory-b/html/")
    assert file.lookup("/directory-b/images/a.jpg") == TdmValue(
        0, None, "/directory-b/images/*.jpg"
    )
    assert file.lookup("/directory-b/images/a.png") is None
    assert file.lookup("/elsewhere") is None
    signal = tdmrep_signal("https://example.com/directory-b/html/p.html", file, None, None, "")
    assert signal.value == f"1; policy={POLICY}; location=/directory-b/html/"
    image = tdmrep_signal("https://example.com/directory-b/images/a.jpg", file, None, None, "")
    assert (image.decision, image.value) == (
        Decision.ALLOW,
        "0; location=/directory-b/images/*.jpg",
    )


def parse_header_block(text: str) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for line in text.splitlines()[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return headers


def test_w3c_example_03_header() -> None:
    text = corpus_bytes("w3c-spec-examples/example-03-http-response-headers.txt").decode()
    signal = tdmrep_signal(PAGE, None, parse_header_block(text), None, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == "1"


def test_w3c_example_04_header_with_policy() -> None:
    text = corpus_bytes("w3c-spec-examples/example-04-http-response-headers-with-policy.txt")
    signal = tdmrep_signal(PAGE, None, parse_header_block(text.decode()), None, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == f"1; policy={POLICY}"
    assert signal.source == f"header:{PAGE}"


def test_w3c_example_05_html_meta() -> None:
    from lxml import html

    doc = html.fromstring(corpus_bytes("w3c-spec-examples/example-05-html-meta.html"))
    meta: dict[str, list[str]] = {}
    for element in doc.iter("meta"):
        if element.get("name"):
            meta.setdefault(element.get("name").lower(), []).append(element.get("content", ""))
    signal = tdmrep_signal(PAGE, None, None, meta, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.value == f"1; policy={POLICY}"
    assert signal.source == f"meta:{PAGE}"


@pytest.mark.parametrize(
    "name",
    ["example-18-tdm-policy-full.json", "example-19-tdm-policy-full.json", "tdmrep.jsonld"],
)
def test_w3c_policies_are_not_tdmrep_files(name: str) -> None:
    file = parse_tdmrep_json(corpus_bytes(f"w3c-spec-examples/{name}"), FILE_URL)
    assert file.rules == ()
    assert file.error  # 19 is invalid JSON (trailing comma); 18 has no reservation
    signal = tdmrep_signal(PAGE, file, None, None, PAGE)
    if name.startswith("example-19"):
        # served as a tdmrep.json, a body that is not JSON cannot be read: fail closed
        assert file.unreadable and signal.reason == "tdmrep:unreadable"
    else:
        assert not file.unreadable and signal.decision is Decision.UNKNOWN


# file -> (reservation, policy, nonconformant) for every URL of the site
REAL_WORLD = {
    "Debats__debats": (1, "https://debats.co/mentions-legales", False),
    "FormosanBank__FormosanBank": (
        1,
        "https://ai4commsci.gitbook.io/formosanbank/additional-resources/terms-of-use",
        False,
    ),
    "Jan64X__janpetrlik.com": (1, "https://janpetrlik.com/legal", True),
    "RogerPielkeJr__scenarios": (1, "https://thehonestbroker.org/terms/", False),
    "TechNextSG__TechNext-Website": (1, "https://technext.asia/terms#content-use", False),
    "Thibault-Santonja__licence-photos": (1, "https://licence.thibaultsan.com/", False),
    "andersenbetul-alt__BETA-ART": (1, "https://hximusic.com/.well-known/tdmrep.json", False),
    "cad-polito-it__byron": (1, None, True),
    "healsdata__ai-training-opt-out": (1, None, False),
    "itcop__internet-transparency-code-of-practice": (
        1,
        "https://itcop.org/licence/0pn-mrt-1.0.json",
        False,
    ),
    "koji__blog": (1, "https://maango.io/policy/baxin.pages.dev", True),
    "lorenzocestaro__website": (1, None, False),
    "maiksensi__maikfigura.de": (1, None, True),
    "nineplus-sh__nineplus.sh": (1, "https://www.nineplus.sh/legal/tdm.json", False),
    "sebastien-riviere__sebastien-riviere.github.io": (
        1,
        "https://sebastien-riviere.github.io/opt-out-ia/",
        False,
    ),
    "xlr8harder__xlr8harder.github.io": (0, None, False),
}


@pytest.mark.parametrize("name", sorted(REAL_WORLD))
def test_real_world_file(name: str) -> None:
    reservation, policy, nonconformant = REAL_WORLD[name]
    body = corpus_bytes(f"real-world/{name}.tdmrep.json")
    file = tdmrep_from_fetch(200, body, FILE_URL)
    assert file is not None and file.error is None
    for url in ("https://example.com/images/photo.jpg", "https://example.com/blog/post"):
        value = file.lookup(url)
        assert value is not None
        assert (value.reservation, value.policy, value.nonconformant) == (
            reservation,
            policy,
            nonconformant,
        )
        signal = tdmrep_signal(url, file, None, None, url)
        assert signal.source == FILE_URL
        if reservation == 1:
            assert signal.decision is Decision.DISALLOW
            assert signal.reason == "tdmrep:reserved"
            assert (f"policy={policy}" in signal.value) is (policy is not None)
        else:
            assert signal.decision is Decision.ALLOW


def test_real_world_covers_every_file() -> None:
    folder = TDM_DIR / "real-world"
    if not folder.is_dir():
        pytest.skip(f"shared corpus not available: {folder}")
    names = {p.name.removesuffix(".tdmrep.json") for p in folder.glob("*.tdmrep.json")}
    assert names == set(REAL_WORLD)


def test_real_world_zero_is_overridden_by_a_page_meta() -> None:
    body = corpus_bytes("real-world/xlr8harder__xlr8harder.github.io.tdmrep.json")
    file = parse_tdmrep_json(body, FILE_URL)
    signal = tdmrep_signal(PAGE, file, None, {"tdm-reservation": ["1"]}, PAGE)
    assert signal.decision is Decision.DISALLOW
    assert signal.source == f"meta:{PAGE}"


# --- issue 9: hostile and oversized files, percent-encoding, evidence ---------------------------


def test_bare_object_not_reserved_counts_as_unknown() -> None:
    # A malformed allow counts for nothing: a bare object (not an array) with reservation 0.
    file = parse_tdmrep_json(b'{"location":"/","tdm-reservation":0}', FILE_URL)
    assert file.lookup("/a.jpg") is None
    assert tdmrep_signal(PAGE, file, None, None, PAGE).decision is Decision.UNKNOWN
    # ...while a bare object that reserves is honoured (nonconformant), as before
    reserved = parse_tdmrep_json(b'{"location":"/","tdm-reservation":1}', FILE_URL)
    assert tdmrep_signal(PAGE, reserved, None, None, PAGE).decision is Decision.DISALLOW


# TDMRep "Use of regular expressions": "If TDM Agents match special characters verbatim in the
# URI, they MUST use "%" encoding" - the spec's table, and RFC 9309 §2.2.2's that it refers to.
@pytest.mark.parametrize(
    ("location", "url", "matches"),
    [
        ("/path/foo-%24", "https://www.example.com/path/foo-$", True),
        ("/path/foo-%24", "https://www.example.com/path/foo-", False),
        ("/path/file-with-a-%2A.html", "https://www.example.com/path/file-with-a-*.html", True),
        ("/foo/bar/%E3%83%84", "https://www.example.com/foo/bar/ツ", True),
        ("/foo/bar/ツ", "https://www.example.com/foo/bar/%E3%83%84", True),
        ("/foo/bar/%62%61%7A", "https://www.example.com/foo/bar/baz", True),
        ("/this/path/exactly$", "https://www.example.com/this/path/exactly", True),
        ("/this/path/exactly$", "https://www.example.com/this/path/exactly/not", False),
        ("/this/*/then", "https://www.example.com/this/a/b/then/x", True),
    ],
)
def test_spec_percent_encoding_table(location: str, url: str, matches: bool) -> None:
    file = tdm([{"location": location, "tdm-reservation": 1}])
    assert (file.lookup(url) is not None) is matches


def test_file_evidence_names_the_matched_entry() -> None:
    file = tdm(
        [
            {"location": "/images/*.jpg", "tdm-reservation": 0},
            {"location": "/", "tdm-reservation": 1, "tdm-policy": POLICY},
        ]
    )
    reserved = tdmrep_signal(PAGE, file, None, None, PAGE)
    assert reserved.value == f"1; policy={POLICY}; location=/"
    allowed = tdmrep_signal("https://example.com/images/a.jpg", file, None, None, "")
    assert allowed.value == "0; location=/images/*.jpg"
    # header/meta values have no entry to name
    header = tdmrep_signal(PAGE, file, {"tdm-reservation": ["0"]}, None, PAGE)
    assert header.value == "0"


def _big_array(first: dict, size: int) -> bytes:
    filler = [{"location": f"/filler/{i:06d}/*.png", "tdm-reservation": 0} for i in range(40000)]
    body = json.dumps([first, *filler]).encode()
    assert len(body) > size
    return body


def test_oversized_file_honours_the_entries_within_the_cap() -> None:
    # 600 KiB > the 512 KiB parse cap: the cut used to make it invalid JSON, i.e. "no file".
    body = _big_array({"location": "/", "tdm-reservation": 1}, 600 * 1024)
    file = tdmrep_from_fetch(200, body, FILE_URL)
    assert file is not None and file.truncated and not file.unreadable
    signal = tdmrep_signal(PAGE, file, None, None, PAGE)
    assert (signal.decision, signal.reason) == (Decision.DISALLOW, "tdmrep:reserved")
    assert "truncated" in signal.value


def test_download_cut_inside_an_entry_keeps_the_complete_ones() -> None:
    # What the store hands over when a download stopped at its size cap: the first bytes.
    body = b'[{"location": "/private/", "tdm-reservation": 1},\n {"location": "/", "tdm-rese'
    file = tdmrep_from_fetch(200, body, FILE_URL, truncated=True)
    assert file is not None and file.truncated and len(file.rules) == 1
    private = tdmrep_signal("https://example.com/private/a.jpg", file, None, None, "")
    assert private.reason == "tdmrep:reserved"


@pytest.mark.parametrize(
    ("body", "truncated"),
    [
        (b'[{"location": "/", "tdm-reservation": 1', True),  # cut before the first entry ends
        (b'{"location": "/", "tdm-reservation": 1', True),  # a cut bare object
        (b'[{"location": "/a/", "tdm-reservation": 1} {"location": "/"}]', False),
        (b"[" * 100_000, False),  # hostile nesting
        (b"\x00\x01\x02\xff\xfe garbage", False),
        (b"42", False),
    ],
)
def test_a_file_that_cannot_be_read_is_unreadable(body: bytes, truncated: bool) -> None:
    file = tdmrep_from_fetch(200, body, FILE_URL, truncated=truncated)
    assert file is not None and file.unreadable and file.error
    strict = tdmrep_signal(PAGE, file, None, None, PAGE)
    assert (strict.decision, strict.reason, strict.source) == (
        Decision.DISALLOW,
        "tdmrep:unreadable",
        FILE_URL,
    )
    standard = tdmrep_signal(PAGE, file, None, None, PAGE, unreadable_excludes=False)
    assert standard.decision is Decision.UNKNOWN
    assert standard.value.startswith("unreadable")
    # a header or meta value still decides: it overrides the file (TDMRep "Precedence")
    header = tdmrep_signal(PAGE, file, {"tdm-reservation": ["0"]}, None, PAGE)
    assert header.decision is Decision.ALLOW


def test_broken_json_keeps_its_leading_reservations_but_not_its_allows() -> None:
    # A trailing comma: the reservation before it is clear, what follows the error is not.
    body = (
        b'[{"location": "/a/", "tdm-reservation": 1}, {"location": "/b/", "tdm-reservation": 0},]'
    )
    file = tdmrep_from_fetch(200, body, FILE_URL)
    assert file is not None and file.unreadable
    a = tdmrep_signal("https://example.com/a/x.jpg", file, None, None, "")
    assert a.reason == "tdmrep:reserved"
    b = tdmrep_signal("https://example.com/b/x.jpg", file, None, None, "")
    assert b.reason == "tdmrep:unreadable"  # a malformed allow counts for nothing
    other = tdmrep_signal("https://example.com/c", file, None, None, "")
    assert other.reason == "tdmrep:unreadable"


@pytest.mark.parametrize("body", [b"", b"  \n", b"<!doctype html><p>Not found</p>"])
def test_empty_or_html_soft_404_is_no_file(body: bytes) -> None:
    # A 200 HTML page at the well-known URL is a soft 404, not an unreadable tdmrep.json.
    assert tdmrep_from_fetch(200, body, FILE_URL) is None


@pytest.mark.parametrize("headers", [None, {}, {"x-other": ["1"]}, {"tdm-policy": []}])
@pytest.mark.parametrize("meta", [None, {}])
@pytest.mark.parametrize("source", ["", PAGE, "http://other.example/"])
def test_the_no_file_no_carrier_shortcut_says_what_the_full_reading_says(
    headers: dict[str, list[str]] | None, meta: dict[str, list[str]] | None, source: str
) -> None:
    # tdmrep_signal answers "unknown" at once when there is neither a file nor a carrier; a
    # carrier without a reservation goes the long way and must say the same.
    signal = tdmrep_signal(PAGE, None, headers, meta, source)
    assert signal == Signal.unknown("tdmrep", source or PAGE)
