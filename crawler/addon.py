"""Scrapy add-on that settles consentcrawl's identity before the settings freeze.

The default ``USER_AGENT`` is ``consentcrawl/<version> (+<contact URL>)``: an honest, stable
token that site owners can address in robots.txt (peers.md §8: img2dataset users asked for
exactly this). Scrapy's own default contains ``Scrapy``, which is on public AI block lists.
"""

from __future__ import annotations

import logging

from scrapy.settings import BaseSettings

from crawler import __version__

logger = logging.getLogger(__name__)


def default_user_agent(contact_url: str | None) -> str:
    if contact_url:
        return f"consentcrawl/{__version__} (+{contact_url})"
    return f"consentcrawl/{__version__}"


class IdentityAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        contact = settings.get("CONSENTCRAWL_CONTACT_URL") or ""
        if not contact:
            logger.warning(
                "CONSENTCRAWL_CONTACT_URL is not set: site owners cannot reach you. "
                "Set it (-s CONSENTCRAWL_CONTACT_URL=https://...) before crawling real sites."
            )
        if not settings.get("USER_AGENT"):
            settings.set("USER_AGENT", default_user_agent(contact), priority="spider")
        drop_disabled_remote_control(settings)


REMOTE_CONTROL = "scrapy.extensions.remote_control.RemoteControl"


def drop_disabled_remote_control(settings: BaseSettings) -> None:
    """Take Scrapy's remote-control extension out of ``EXTENSIONS_BASE`` when
    ``REMOTE_CONTROL_ENABLED`` is off (our default): disabled, it is still imported, and with
    it aiohttp (~0.14 s of every command's start-up). Naming it None in ``EXTENSIONS`` would not
    help: Scrapy imports every key of ``EXTENSIONS`` to normalise it. On, or named in
    ``EXTENSIONS`` by the user, it stays."""
    if settings.getbool("REMOTE_CONTROL_ENABLED"):
        return
    base = settings.getdict("EXTENSIONS_BASE")
    if base.pop(REMOTE_CONTROL, None) is not None:
        settings.set("EXTENSIONS_BASE", base, priority=settings.getpriority("EXTENSIONS_BASE") or 0)


# The writer's place in ITEM_PIPELINES: after every pipeline that adds evidence to the rows.
WRITER_ORDER = 900


class WriterAddon:
    """Puts the run's writer, ``WRITER_PIPELINE``, last in ``ITEM_PIPELINES``.

    The writer is chosen by that one setting, never by editing ``ITEM_PIPELINES`` by class path:
    the crawl writes with ``pipelines.writer.IndexWriterPipeline`` (the default), the
    ``regenerate`` spider sets ``pipelines.regenwriter.RegenWriterPipeline`` in its
    ``custom_settings``, and ``scrapy consent`` sets none (it writes nothing).
    """

    def update_settings(self, settings: BaseSettings) -> None:
        writer = settings.get("WRITER_PIPELINE")
        if not writer:
            return
        pipelines = settings.getdict("ITEM_PIPELINES")
        pipelines[writer] = WRITER_ORDER
        settings.set(
            "ITEM_PIPELINES", pipelines, priority=settings.getpriority("ITEM_PIPELINES") or 0
        )
