"""Page items built from responses (the types are in crawler.records).

Built here so the ``images`` spider, ``scrapy regenerate --fetch-pages`` and ``scrapy consent``
make them the same way.
"""

from __future__ import annotations

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawler.consent.rsl import license_required
from crawler.consent.verdict import Signal
from crawler.consentdocs import origin_of
from crawler.extract import Candidate, PageExtract, extract_page
from crawler.guard import NonPublicAddressError
from crawler.httpheaders import signal_headers
from crawler.middlewares import ConsentIgnoreRequest
from crawler.netguard import PUBLIC_ONLY, AddressPolicy
from crawler.records import CandidateRow, PageItem
from crawler.urls import split_http_url


def declared_encoding(response: Response) -> str | None:
    """The charset the server or the page declares; utf-8 when neither does.

    Scrapy's ``response.encoding`` may decode the whole body to sniff it; lxml finds a
    ``<meta charset>`` itself, so only the header and the no-declaration default are decided here.
    """
    content_type = response.headers.get(b"Content-Type") or b""
    lowered = content_type.lower()
    pos = lowered.find(b"charset=")
    if pos != -1:
        charset = lowered[pos + 8 :].split(b";")[0].strip(b" \"'")
        if charset:
            return charset.decode("ascii", "replace")
    if b"charset" in response.body[:2048].lower():
        return None
    return "utf-8"


# image URL -> (the address policy, origin, reasons, signals) of candidate_target (candidate_row)
_TARGETS: dict[str, tuple[AddressPolicy, str | None, tuple[str, ...], tuple[Signal, ...]]] = {}
_TARGETS_SIZE = 16384


def candidate_row(c: Candidate, addresses: AddressPolicy = PUBLIC_ONLY) -> CandidateRow:
    """The row of one candidate. Its URL is parsed here, once: an unusable URL, or one that is
    not the public web, makes an excluded row (origin None: no document is fetched for it)."""
    known = _TARGETS.get(c.url)
    if known is None or known[0] is not addresses:
        # A site's pages repeat their images: each URL is split and judged once (bounded).
        if len(_TARGETS) >= _TARGETS_SIZE:
            _TARGETS.clear()
        origin, reasons, signals = candidate_target(c.url, addresses)
        known = _TARGETS[c.url] = (addresses, origin, tuple(reasons), tuple(signals))
    _, origin, reasons_t, signals_t = known
    reasons, signals = list(reasons_t), list(signals_t)  # each row's own lists
    return CandidateRow(
        url=c.url,
        origin=origin,
        caption=c.caption,
        signals=signals,
        reasons=reasons,
        extracted=c,
        caption_source="alt" if c.caption else None,
    )


def candidate_target(
    url: str, addresses: AddressPolicy = PUBLIC_ONLY
) -> tuple[str | None, list[str], list[Signal]]:
    """(origin, reasons, signals) of a row's image URL: origin None when it must not be checked.

    A non-public target is a disallowing ``address`` signal (its value says why, in the row's
    consent records and in ``scrapy consent``); an unusable URL is ``input:invalid-url``.
    """
    parsed = split_http_url(url)
    if parsed is None:
        return None, ["input:invalid-url"], []
    if parsed.address is not None:
        refusal = addresses.address_refusal(parsed.address)
    else:
        refusal = addresses.host_refusal(parsed.host)
    if refusal is None:
        return parsed.origin, [], []
    if refusal.reason != "address:non-public":
        return None, [refusal.reason], []
    return None, [], [Signal.disallow("address", "non-public", url[:300], str(refusal))]


def page_item(
    response: Response,
    keep_root: bool,
    addresses: AddressPolicy = PUBLIC_ONLY,
    max_candidates: int | None = None,
) -> tuple[PageItem, PageExtract | None]:
    """The page item of a response (no candidates for a non-HTML one) and its extraction."""
    page_url = response.url
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    is_html = not content_type or b"html" in content_type or b"xml" in content_type
    extract = None
    if is_html:
        extract = extract_page(
            response.body,
            page_url,
            declared_encoding(response),
            keep_root=keep_root,
            max_candidates=max_candidates,
        )
    item = PageItem(
        url=page_url,
        origin=origin_of(page_url),
        fetched=True,
        status=response.status,
        headers=signal_headers(response),
    )
    if extract is not None:
        item.meta = extract.meta
        item.root = extract.root
        item.candidates = [candidate_row(c, addresses) for c in extract.candidates]
        item.candidates.extend(bound_rows(extract, page_url, max_candidates))
    return item, extract


def bound_rows(
    extract: PageExtract, page_url: str, max_candidates: int | None
) -> list[CandidateRow]:
    """One excluded row per bound a page hit, so that what was not checked is on record.

    - ``input:candidate-cap``: the first ``<img>`` past MAX_CANDIDATES_PER_PAGE stands for all
      of them; its consent record counts them (they are neither extracted nor probed).
    - ``input:page-cut``: the parser stopped early (nesting too deep); the row is the page.
    """
    rows = []
    if extract.over_cap:
        first = extract.first_over_cap or Candidate(url=page_url, caption="")
        row = candidate_row(first)
        row.origin, row.reasons = None, ["input:candidate-cap"]
        row.signals = [
            Signal.disallow(
                "input",
                "candidate-cap",
                page_url[:300],
                f"{extract.over_cap} <img> past MAX_CANDIDATES_PER_PAGE={max_candidates} "
                "on this page were not checked",
            )
        ]
        rows.append(row)
    if extract.cut:
        row = candidate_row(Candidate(url=page_url, caption=""))
        row.origin, row.reasons = None, ["input:page-cut"]
        row.signals = [
            Signal.disallow(
                "input",
                "page-cut",
                page_url[:300],
                f"{extract.cut}: images and links after this point were not seen",
            )
        ]
        rows.append(row)
    return rows


def failure_reasons(exc: BaseException) -> list[str]:
    """Why a page could not be used: consent refusals keep their reasons, fetch errors get one."""
    if isinstance(exc, ConsentIgnoreRequest | NonPublicAddressError):
        return exc.reasons
    if isinstance(exc, HttpError):
        response = exc.response
        challenges = [v.decode("latin-1") for v in response.headers.getlist("WWW-Authenticate")]
        if license_required(response.status, {"www-authenticate": challenges}):
            return ["rsl:license-required"]  # RSL CAP: a refusal, not a fetch failure
        return [f"fetch:http-{response.status}"]
    if isinstance(exc, TxTimeoutError | TCPTimedOutError):
        return ["fetch:timeout"]
    if isinstance(exc, DNSLookupError):
        return ["fetch:dns"]
    if "max redirections" in str(exc).lower():
        return ["fetch:redirect-limit"]
    return [f"fetch:error={type(exc).__name__}"]
