"""Quality filters: is a candidate a useful picture with a useful caption? (pure, no Scrapy)

Every filter adds one ``quality:<name>`` reason. Quality is kept apart from consent: a quality
reason never changes a consent signal, and the crawl still records every consent signal of a
row excluded for quality (the quality pipeline runs after the consent pipelines).

Filters (``QUALITY_FILTERS``) and their thresholds (settings with documented defaults):

* ``tracker``: the URL is on a known tracking-pixel host (``crawler.quality.trackers``).
* ``pixel``: every declared side is at most ``QUALITY_PIXEL_MAX_PX`` (default 2): 1x1 beacons.
* ``small``: a declared side is at most ``QUALITY_SMALL_MAX_PX`` (default 32): icons, buttons.
  Only declared sizes (``width``/``height`` attributes, ``og:image:width``) are known here;
  undeclared images pass.
* ``placeholder``: the URL is a recognised placeholder (the page names no better one), or it
  carries ``QUALITY_PLACEHOLDER_REPEATS`` (default 3) or more different captions on one page.
* ``filename-caption``: the caption is a file name (``IMG_8299.jpeg``, ``0119_selena_main``).
* ``caption-short`` / ``caption-long``: fewer than ``QUALITY_CAPTION_MIN_CHARS`` (default 5,
  LAION-5B's threshold: Schuhmann et al. 2022, "LAION-5B", NeurIPS Datasets and Benchmarks,
  section 3.1, drops alt texts shorter than 5 characters) or more than
  ``QUALITY_CAPTION_MAX_CHARS`` (default 1000; our choice, not a LAION figure: far beyond
  CLIP's 77-token context, it catches whole paragraphs pasted into ``alt``).
* ``icon-url`` (strict only): SVGs and URLs that say icon, logo, sprite, avatar, emoji, badge.

Presets (``QUALITY``): ``off`` (none), ``standard`` (all but ``icon-url``), ``strict`` (all).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from crawler.quality.trackers import TRACKER_HOSTS

QUALITY_FILTERS = (
    "tracker",
    "pixel",
    "small",
    "placeholder",
    "filename-caption",
    "caption-short",
    "caption-long",
    "icon-url",
)
PRESETS: dict[str, tuple[str, ...]] = {
    "off": (),
    "standard": tuple(f for f in QUALITY_FILTERS if f != "icon-url"),
    "strict": QUALITY_FILTERS,
}
DEFAULT_ICON_URL_PATTERNS = (
    r"\.svg(?:$|\?)",
    r"/icons?/",
    r"icon",
    r"logo",
    r"sprite",
    r"avatar",
    r"emoji",
    r"badge",
)

_IMAGE_EXTENSION = r"\.(?:jpe?g|png|gif|webp|avif|svg|bmp|tiff?|heic|ico)"
_FILENAME_CAPTION = re.compile(
    rf"^(?:\S+{_IMAGE_EXTENSION}"  # one token ending in an image extension
    r"|(?:img|dsc|dscn|dscf|pxl|p|dji|gopr|screenshot|scan|image|photo|pic)[-_ ]?\d[\w-]*"
    r"|\w*\d\w*_\w+|\w+_\w*\d\w*"  # snake_case with a digit: 0119_selena_main, hero_2x
    r"|[0-9a-f]{8,}(?:-[0-9a-f]+)*"  # a hash or uuid
    r")$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class QualityConfig:
    """Which filters run, and their thresholds (see the module docstring)."""

    filters: frozenset[str]
    small_max_px: int = 32
    pixel_max_px: int = 2
    placeholder_repeats: int = 3
    caption_min_chars: int = 5
    caption_max_chars: int = 1000
    icon_url_patterns: tuple[str, ...] = DEFAULT_ICON_URL_PATTERNS
    tracker_hosts: tuple[str, ...] = TRACKER_HOSTS

    @classmethod
    def preset(
        cls,
        name: str,
        enable: Iterable[str] = (),
        disable: Iterable[str] = (),
        **thresholds: object,
    ) -> QualityConfig:
        """The filters of preset ``name`` plus ``enable`` minus ``disable``."""
        key = (name or "off").strip().lower()
        if key not in PRESETS:
            raise ValueError(f"QUALITY must be one of {', '.join(PRESETS)}, not {name!r}")
        enable, disable = list(enable), list(disable)
        unknown = [f for f in (*enable, *disable) if f not in QUALITY_FILTERS]
        if unknown:
            raise ValueError(
                f"unknown quality filter(s) {', '.join(unknown)}; "
                f"known: {', '.join(QUALITY_FILTERS)}"
            )
        filters = (frozenset(PRESETS[key]) | frozenset(enable)) - frozenset(disable)
        return cls(filters, **thresholds)  # type: ignore[arg-type]

    def compiled_icon_patterns(self) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in self.icon_url_patterns), re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class QualityInput:
    """What the filters look at in one candidate."""

    url: str
    caption: str
    width: int | None = None
    height: int | None = None
    placeholder: bool = False
    same_url_captions: int = 1


def quality_config(settings: Any) -> QualityConfig:
    """The ``QUALITY*`` settings (a Scrapy ``Settings``) as a config; ValueError when one is bad."""
    return QualityConfig.preset(
        settings.get("QUALITY") or "off",
        enable=settings.getlist("QUALITY_ENABLE"),
        disable=settings.getlist("QUALITY_DISABLE"),
        small_max_px=settings.getint("QUALITY_SMALL_MAX_PX"),
        pixel_max_px=settings.getint("QUALITY_PIXEL_MAX_PX"),
        placeholder_repeats=settings.getint("QUALITY_PLACEHOLDER_REPEATS"),
        caption_min_chars=settings.getint("QUALITY_CAPTION_MIN_CHARS"),
        caption_max_chars=settings.getint("QUALITY_CAPTION_MAX_CHARS"),
        tracker_hosts=(*TRACKER_HOSTS, *settings.getlist("QUALITY_TRACKER_HOSTS")),
    )


_TRACKER_MEMO = 16384  # URLs whose tracker answer a QualityFilter remembers


class QualityFilter:
    """A ``QualityConfig`` ready to judge rows (patterns and host sets built once)."""

    def __init__(self, config: QualityConfig) -> None:
        self.config = config
        self.on = config.filters
        self.icon_pattern = config.compiled_icon_patterns() if config.icon_url_patterns else None
        self.hosts = frozenset(h.lower() for h in config.tracker_hosts if "/" not in h)
        self.prefixes = tuple(h.lower() for h in config.tracker_hosts if "/" in h)
        self._trackers: dict[str, bool] = {}

    def reasons(self, row: QualityInput) -> list[str]:
        """The ``quality:*`` reasons of one row, in ``QUALITY_FILTERS`` order."""
        on, cfg = self.on, self.config
        out: list[str] = []
        if not on:
            return out
        sides = [s for s in (row.width, row.height) if s is not None]
        if "tracker" in on and self.is_tracker(row.url):
            out.append("quality:tracker")
        if "pixel" in on and sides and max(sides) <= cfg.pixel_max_px:
            out.append("quality:pixel")
        if "small" in on and sides and min(sides) <= cfg.small_max_px:
            out.append("quality:small")
        if "placeholder" in on and (
            row.placeholder or row.same_url_captions >= cfg.placeholder_repeats
        ):
            out.append("quality:placeholder")
        caption = row.caption
        if caption:
            if "filename-caption" in on and looks_like_filename(caption):
                out.append("quality:filename-caption")
            if "caption-short" in on and len(caption) < cfg.caption_min_chars:
                out.append("quality:caption-short")
            if "caption-long" in on and len(caption) > cfg.caption_max_chars:
                out.append("quality:caption-long")
        if "icon-url" in on and self.icon_pattern is not None:
            path = row.url.split("?", 1)[0]
            if self.icon_pattern.search(path):
                out.append("quality:icon-url")
        return out

    def is_tracker(self, url: str) -> bool:
        # Pages of a site repeat their images: remember the answer per URL (bounded).
        known = self._trackers.get(url)
        if known is None:
            if len(self._trackers) >= _TRACKER_MEMO:
                self._trackers.clear()
            known = self._trackers[url] = self._is_tracker(url)
        return known

    def _is_tracker(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower()
        except ValueError:
            return False
        labels = host.split(".")
        for i in range(len(labels) - 1):
            if ".".join(labels[i:]) in self.hosts:
                return True
        if self.prefixes:
            target = host + parts.path
            return target.startswith(self.prefixes)
        return False


def looks_like_filename(caption: str) -> bool:
    """Whether a caption is a file name rather than words (``IMG_8299.jpeg``, ``DSC01234``)."""
    return " " not in caption and _FILENAME_CAPTION.match(caption) is not None
