"""The proxy environment read once (issue 16): urllib's answers, from a snapshot taken at start.

Scrapy's HttpProxyMiddleware and the address guard asked ``urllib.request.proxy_bypass`` per
request, which re-reads the whole environment each time. ``ProxyEnv`` must answer exactly as
urllib does for the environment it was taken from, and keep answering so when it changes.
"""

from __future__ import annotations

import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scrapy import Request
from scrapy.downloadermiddlewares.httpproxy import HttpProxyMiddleware

from crawler.httpproxy import CachedProxyMiddleware
from crawler.proxyenv import ProxyEnv

_PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY")

NAMES = st.sampled_from(
    ["example.test", "a.example.test", "EXAMPLE.test", "other.test", "localhost", "10.0.0.1", ""]
)
HOSTS = st.builds(
    lambda name, port: name + port, NAMES, st.sampled_from(["", ":80", ":8080", ":x"])
)
NO_PROXY = st.one_of(
    st.just("*"),
    st.lists(
        st.builds(
            lambda dot, name, port: dot + name + port,
            st.sampled_from(["", "."]),
            NAMES,
            st.sampled_from(["", ":8080"]),
        ),
        max_size=3,
    ).map(lambda names: " , ".join(names)),
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@settings(max_examples=300, deadline=None)
@given(no_proxy=NO_PROXY, hosts=st.lists(HOSTS, min_size=1, max_size=5))
def test_bypass_is_urllibs_answer(no_proxy: str, hosts: list[str]) -> None:
    with pytest.MonkeyPatch.context() as env:
        for name in _PROXY_VARS:
            env.delenv(name, raising=False)
        env.setenv("http_proxy", "http://proxy.test:3128")
        env.setenv("no_proxy", no_proxy)
        snapshot = ProxyEnv.from_environ()
        for host in hosts:
            assert snapshot.bypass(host) == bool(urllib.request.proxy_bypass(host)), host
            assert snapshot.proxied("http", host) == (not urllib.request.proxy_bypass(host))
            assert not snapshot.proxied("https", host)  # no https_proxy set


def test_no_proxy_variable_means_direct(clean_env: pytest.MonkeyPatch) -> None:
    snapshot = ProxyEnv.from_environ()
    assert not snapshot.proxied("http", "example.test")
    assert snapshot.bypass("example.test") == bool(urllib.request.proxy_bypass("example.test"))


def test_snapshot_keeps_the_start_settings(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("http_proxy", "http://proxy.test:3128")
    clean_env.setenv("no_proxy", "direct.test")
    snapshot = ProxyEnv.from_environ()
    clean_env.setenv("no_proxy", "*")
    assert snapshot.proxied("http", "example.test")
    assert not snapshot.proxied("http", "direct.test")


def _proxy_of(mw: HttpProxyMiddleware, url: str, **meta: str | None) -> tuple:
    request = Request(url, meta=dict(meta))
    mw.process_request(request)
    return (
        request.meta.get("proxy"),
        request.meta.get("_scheme_proxy"),
        request.headers.get(b"Proxy-Authorization"),
    )


def test_middleware_sets_what_scrapys_sets(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("http_proxy", "http://user:pw@proxy.test:3128")
    clean_env.setenv("https_proxy", "http://proxy.test:3129")
    clean_env.setenv("no_proxy", "direct.test,.inside.test")
    ours, scrapys = CachedProxyMiddleware(), HttpProxyMiddleware()
    urls = [
        "http://example.test/a",
        "https://example.test/a",
        "http://direct.test/robots.txt",
        "http://a.inside.test:8080/x",
        "https://DIRECT.test/",
        "ftp://example.test/file",
    ]
    for url in urls:
        assert _proxy_of(ours, url) == _proxy_of(scrapys, url), url
        for meta_proxy in ("http://other.test:1", None):
            assert _proxy_of(ours, url, proxy=meta_proxy) == _proxy_of(
                scrapys, url, proxy=meta_proxy
            )
    assert _proxy_of(ours, "http://example.test/")[0] == "http://proxy.test:3128"
    assert _proxy_of(ours, "http://direct.test/")[0] is None


def test_middleware_reads_the_environment_once(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("http_proxy", "http://proxy.test:3128")
    mw = CachedProxyMiddleware()
    reads = 0
    real = urllib.request.getproxies_environment

    def counted() -> dict[str, str]:
        nonlocal reads
        reads += 1
        return real()

    clean_env.setattr(urllib.request, "getproxies_environment", counted)
    for k in range(50):
        _proxy_of(mw, f"http://h{k % 5}.example.test/{k}")
    assert reads == 0
