"""Names are checked at connection time, on the address actually connected to.

The middleware never sees these: the crawl runs without it and without a proxy, so the only
thing between the crawler and 127.0.0.1 is the resolver (``TWISTED_DNS_RESOLVER``). glibc
resolves ``2130706433`` to 127.0.0.1 without any DNS server, as a rebinding name would.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import subprocess
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.statscollectors import MemoryStatsCollector
from scrapy.utils.test import get_crawler
from twisted.internet import defer
from twisted.python.failure import Failure

from crawler.demo import PROJECT_ROOT, crawl_command
from crawler.guard import (
    AddressGuardMiddleware,
    AddressRefused,
    GuardedResolver,
    NonPublicAddressError,
)
from crawler.netguard import AddressPolicy
from crawler.simweb.control import SimWeb

NO_MIDDLEWARE = json.dumps({"crawler.middlewares.ConsentRobotsMiddleware": 100})
SITES = {
    "hosts": {},
    "default": {"status": 200, "headers": {"Content-Type": "text/html"}, "body": "<p>inside</p>"},
}


def _direct_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}


def _crawl(
    web: SimWeb, out: Path, *extra: str, host: str = "2130706433", guard: bool = False
) -> subprocess.CompletedProcess[str]:
    seed = f"http://{host}:{web.port}/"
    middlewares = [] if guard else ["-s", f"DOWNLOADER_MIDDLEWARES={NO_MIDDLEWARE}"]
    cmd = crawl_command(out, [seed], [*middlewares, "-s", "RETRY_TIMES=0", *extra])
    return subprocess.run(
        cmd, cwd=PROJECT_ROOT, env=_direct_env(), capture_output=True, text=True, timeout=300
    )


def test_a_name_resolving_to_loopback_is_refused_at_connection_time(tmp_path: Path) -> None:
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=120, max_requests=100) as web:
        refused = _crawl(web, tmp_path / "refused")
        # The only origin cannot be reached (the resolver refuses it): exit 3, outputs written.
        assert refused.returncode == 3, refused.stderr[-3000:]
        assert web.requests() == []
        opened = _crawl(web, tmp_path / "opened", "-s", "ALLOWED_NETWORKS=127.0.0.0/8")
        assert opened.returncode == 0, opened.stderr[-3000:]
        assert web.requests(), "with 127.0.0.0/8 opened the same crawl reaches the server"
    manifest = json.loads((tmp_path / "refused" / "manifest.json").read_text())
    # Without the middleware even robots.txt could not be fetched: the page fails closed.
    assert manifest["counts"]["pages_excluded"] == 1
    assert manifest["counts"]["pages_fetched"] == 0


def test_allowed_networks_from_a_config_file_reach_the_resolver(tmp_path: Path) -> None:
    """The resolver is built per process (from -s only); the middleware hands it the crawl's
    policy, config file included. ``localhost`` passes the name check once 127/8 is opened,
    so only the resolver (which sees 127.0.0.1) decides."""
    config = tmp_path / "intranet.toml"
    config.write_text('allowed_networks = ["127.0.0.0/8"]\n')
    with SimWeb(SITES, workdir=tmp_path / "web", max_seconds=120, max_requests=100) as web:
        refused = _crawl(web, tmp_path / "refused", host="localhost", guard=True)
        assert refused.returncode == 0, refused.stderr[-3000:]
        assert web.requests() == []
        opened = _crawl(
            web, tmp_path / "opened", "-a", f"config={config}", host="localhost", guard=True
        )
        assert opened.returncode == 0, opened.stderr[-3000:]
        assert web.requests(), "a config file opens ranges as -s does"
    manifest = json.loads((tmp_path / "refused" / "manifest.json").read_text())
    assert manifest["counts"]["excluded_by_reason"] == {"address:non-public": 1}
    assert "CRITICAL" not in refused.stderr


class _Resolved(GuardedResolver):
    """The resolver with the system lookup replaced by a fixed answer (a rebinding DNS)."""

    answer = "10.0.0.1"

    def __init__(self, policy: AddressPolicy) -> None:
        super().__init__(None, 0, 5.0, policy)
        self.proxy_hosts = {"proxy.internal"}


@pytest.fixture
def fixed_answer(monkeypatch: pytest.MonkeyPatch):
    from scrapy.resolver import CachingThreadedResolver

    def lookup(self, name, timeout=()):
        return defer.succeed(self.answer)

    monkeypatch.setattr(CachingThreadedResolver, "getHostByName", lookup)


def _outcome(d: defer.Deferred) -> object:
    box: list[object] = []
    d.addBoth(box.append)
    return box[0]


@pytest.mark.parametrize("answer", ["10.0.0.1", "169.254.169.254", "127.0.0.1", "::1", "x"])
def test_private_answers_are_refused(fixed_answer, answer: str) -> None:
    resolver = _Resolved(AddressPolicy())
    resolver.answer = answer
    outcome = _outcome(resolver.getHostByName("rebind.example"))
    assert isinstance(outcome, Failure) and outcome.check(NonPublicAddressError)
    assert outcome.value.reasons == ["address:non-public"]


def test_public_answers_opened_ranges_and_proxies_pass(fixed_answer) -> None:
    resolver = _Resolved(AddressPolicy.from_cidrs(["10.0.0.0/8"]))
    assert _outcome(resolver.getHostByName("intranet.example")) == "10.0.0.1"
    resolver = _Resolved(AddressPolicy())
    resolver.answer = "93.184.215.14"
    assert _outcome(resolver.getHostByName("example.org")) == "93.184.215.14"
    resolver.answer = "10.0.0.1"
    assert _outcome(resolver.getHostByName("proxy.internal")) == "10.0.0.1"
    assert ipaddress.ip_address(resolver.answer)


def _middleware(resolver: GuardedResolver, **settings: object) -> AddressGuardMiddleware:
    crawler = get_crawler(settings_dict={"HTTPPROXY_ENABLED": False, **settings})
    crawler.stats = MemoryStatsCollector(crawler)
    middleware = AddressGuardMiddleware(crawler)
    middleware.resolver = resolver
    return middleware


def test_the_middleware_refuses_a_name_resolving_inside_before_anything_is_fetched(
    fixed_answer,
) -> None:
    middleware = _middleware(_Resolved(AddressPolicy()))
    with pytest.raises(AddressRefused) as refused:
        asyncio.run(middleware.process_request(Request("http://rebind.example/robots.txt")))
    assert refused.value.reasons == ["address:non-public"]
    assert "10.0.0.1" in str(refused.value)
    assert (
        middleware.crawler.stats.get_value("consentcrawl/requests_refused/address:non-public") == 1
    )


def test_the_middleware_lets_public_names_and_data_urls_through(fixed_answer) -> None:
    resolver = _Resolved(AddressPolicy())
    resolver.answer = "93.184.215.14"
    middleware = _middleware(resolver)
    assert asyncio.run(middleware.process_request(Request("http://example.org/"))) is None
    assert asyncio.run(middleware.process_request(Request("data:,"))) is None


@pytest.mark.parametrize(
    "url",
    ["http://169.254.169.254/", "https://0x7f000001/", "file:///etc/passwd", "ftp://10.0.0.1/"],
)
def test_the_middleware_refuses_literal_targets_and_local_schemes(url: str) -> None:
    middleware = _middleware(_Resolved(AddressPolicy()))
    with pytest.raises(AddressRefused):
        asyncio.run(middleware.process_request(Request(url)))
