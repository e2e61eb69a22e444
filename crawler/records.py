"""The typed items that flow from the spiders through the pipelines to the writers (pure).

One item per page (``PageItem``: its rows as ``candidates``), or per chunk of input rows in
``scrapy regenerate`` (``RowsItem``), or per page that could not be used (``ExcludedPage``), or
per regeneration batch decided whole (``DecidedBatch``). Pipelines only append evidence to rows
(``signals``, ``reasons``) and fill what they own (``probe``, ``license_choice``, ``columns``);
the writer decides: a row with any reason or any disallowing signal (its own or its page's) is
excluded.

"Was the page fetched" has one answer, ``PageItem.fetched``: the page's own response is in the
item (status, headers, meta, tree), so robots.txt already allowed it (the middleware). A page
known only by its URL (``scrapy regenerate`` without ``--fetch-pages``) or one that failed
(``scrapy consent --page``) is not fetched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.consent.verdict import Decision, Signal
from crawler.extract import Candidate
from crawler.licenses.choose import LicenseChoice

if TYPE_CHECKING:
    from crawler.probe import ProbeResult

__all__ = [
    "LICENSE_COLUMNS",
    "CandidateRow",
    "CheckItem",
    "DecidedBatch",
    "ExcludedPage",
    "Item",
    "PageItem",
    "RowsItem",
    "Written",
    "license_columns",
]

# The licence columns of a row, in the index schema's order (crawler.output.shards).
LICENSE_COLUMNS = (
    "license",
    "license_url",
    "license_scope",
    "license_source",
    "license_conflict",
    "credit",
    "creator",
    "acquire_license_page",
)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class CandidateRow:
    """One image row: a candidate of a crawled page, or one input row of ``scrapy regenerate``.

    origin:         the image URL's origin; None: the URL must not be checked (unusable, or not
                    the public web), and ``reasons``/``signals`` say why.
    extracted:      how the image was found on its page (alt, title, sizes, srcset...); None for
                    a row that was not extracted (regenerate's input rows keep their caption).
    caption_source: which text became ``caption`` (the caption pipeline).
    page_url / page_origin: the row's own page, for rows that carry one (regenerate with a page
                    column); crawled rows use their item's page.
    input_row:      the row's index in its input batch (regenerate only).
    probe:          the image's own response, after the probe (None: not probed).
    license_choice: the licence pipeline's choice (None: licence detection off).
    columns:        values of columns a signal family contributes, by column name.
    """

    url: str
    origin: str | None
    caption: str | None = None
    signals: list[Signal] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    extracted: Candidate | None = None
    caption_source: str | None = None
    page_url: str | None = None
    page_origin: str | None = None
    input_row: int | None = None
    probe: ProbeResult | None = None
    license_choice: LicenseChoice | None = None
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def license(self) -> str | None:
        """The row's licence id (the ``license`` column), None when none was identified."""
        choice = self.license_choice
        return choice.license if choice is not None else None

    def refused(self) -> bool:
        """Already excluded by an earlier step: later, costlier checks can skip it."""
        return bool(self.reasons) or any(s.decision is Decision.DISALLOW for s in self.signals)


def license_columns(choice: LicenseChoice | None) -> dict[str, Any]:
    """A row's licence columns; all null when licence detection did not run."""
    if choice is None:
        return dict.fromkeys(LICENSE_COLUMNS)
    return {
        "license": choice.license,
        "license_url": choice.license_url,
        "license_scope": choice.license_scope or None,
        "license_source": choice.license_source or None,
        "license_conflict": choice.license_conflict,
        "credit": choice.credit,
        "creator": choice.creator,
        "acquire_license_page": choice.acquire_license_page,
    }


@dataclass(slots=True, kw_only=True)
class PageItem:
    """A page and its rows.

    url / origin:  the page; origin None skips every page-level check (no page, or rows that
                   carry their own page: ``CandidateRow.page_url``).
    fetched:       the page's response is in the item (see the module docstring).
    headers:       the response's signal headers, lower-case name -> every field line's value.
    meta:          lower-case meta name -> contents, in document order.
    root:          the parsed page (lxml), kept for licence detection; the writer drops it.
    page_signals:  apply to every row of the item.
    request_urls:  the URLs that redirected here (done with the page, for the crawl journal).
    frontier_claim: distributed crawl: the claim of the request that produced the item, which
                   the writer acknowledges once the item's rows are on disk.
    """

    url: str | None
    origin: str | None
    fetched: bool
    candidates: list[CandidateRow] = field(default_factory=list)
    status: int | None = None
    fetched_at: datetime = field(default_factory=_now)
    headers: dict[str, list[str]] = field(default_factory=dict)
    meta: dict[str, list[str]] = field(default_factory=dict)
    root: Any = None
    page_signals: list[Signal] = field(default_factory=list)
    request_urls: list[str] = field(default_factory=list)
    frontier_claim: str | None = None


@dataclass(slots=True, kw_only=True)
class RowsItem(PageItem):
    """Input rows of one regeneration batch (``scrapy regenerate``), with their page if any."""

    batch: int


@dataclass(slots=True, kw_only=True)
class CheckItem(PageItem):
    """The one row ``scrapy consent`` explains, with what it must say about the page.

    page_reasons:  why the page given with ``--page`` could not be used (empty: it was, or none
                   was given).
    found_on_page: whether the image is on that page (None: no page was fetched).
    """

    page_reasons: list[str] = field(default_factory=list)
    found_on_page: bool | None = None


@dataclass(slots=True)
class ExcludedPage:
    """A page that was refused or could not be fetched: one ``excluded/`` row of kind page.

    ``signals`` are the evidence of its reasons (the robots.txt rule that refused it...);
    ``frontier_claim`` as in ``PageItem``.
    """

    url: str
    reasons: list[str]
    signals: list[Signal] = field(default_factory=list)
    fetched_at: datetime = field(default_factory=_now)
    frontier_claim: str | None = None


@dataclass(slots=True)
class DecidedBatch:
    """A regeneration batch whose rows the batch path decided whole: the writer writes it."""

    batch: int


@dataclass(slots=True)
class Written:
    """What a writer hands on (to ``item_scraped`` and the log) in place of the item it wrote:
    the rows are on disk, the item (its tree, its signals) is dropped."""

    page_url: str | None = None
    batch: int | None = None
    rows: int = 0


Item = PageItem | ExcludedPage | DecidedBatch
