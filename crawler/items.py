"""Page items: the one object per page that flows through the consent pipelines.

See pipelines/base.py for the contract. Built here so the ``images`` spider and ``scrapy consent``
make them the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import DNSLookupError, TCPTimedOutError
from twisted.internet.error import TimeoutError as TxTimeoutError

from crawler.consentdocs import origin_of
from crawler.extract import Candidate, PageExtract, extract_page
from crawler.httpheaders import signal_headers
from crawler.middlewares import ConsentIgnoreRequest


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


def candidate_dict(c: Candidate) -> dict[str, Any]:
    return {
        "url": c.url,
        "origin": origin_of(c.url),
        "caption": c.caption,
        "title": c.title,
        "figcaption": c.figcaption,
        "width": c.width,
        "height": c.height,
        "srcset": c.srcset,
        "signals": [],
        "reasons": [],
    }


def page_item(response: Response, keep_root: bool) -> tuple[dict[str, Any], PageExtract | None]:
    """The page item of a response (no candidates for a non-HTML one) and its extraction."""
    page_url = response.url
    content_type = (response.headers.get(b"Content-Type") or b"").lower()
    is_html = not content_type or b"html" in content_type or b"xml" in content_type
    extract = None
    if is_html:
        extract = extract_page(
            response.body, page_url, declared_encoding(response), keep_root=keep_root
        )
    item = {
        "type": "page",
        "page_url": page_url,
        "page_origin": origin_of(page_url),
        "status": response.status,
        "fetched_at": datetime.now(UTC),
        "headers": signal_headers(response),
        "meta": extract.meta if extract else {},
        "candidates": [candidate_dict(c) for c in (extract.candidates if extract else ())],
        "page_signals": [],
        "root": extract.root if extract else None,
    }
    return item, extract


def failure_reasons(exc: BaseException) -> list[str]:
    """Why a page could not be used: consent refusals keep their reasons, fetch errors get one."""
    if isinstance(exc, ConsentIgnoreRequest):
        return exc.reasons
    if isinstance(exc, HttpError):
        return [f"fetch:http-{exc.response.status}"]
    if isinstance(exc, TxTimeoutError | TCPTimedOutError):
        return ["fetch:timeout"]
    if isinstance(exc, DNSLookupError):
        return ["fetch:dns"]
    if "max redirections" in str(exc).lower():
        return ["fetch:redirect-limit"]
    return [f"fetch:error={type(exc).__name__}"]
