"""The synthetic web of ``make bench``: a SimWeb factory; each answer a pure function of its URL.

Nothing is held per page: each response is generated on demand from an RNG seeded with the host
and path, so 20,000 pages cost no memory and two server runs serve identical bytes. Only per-host
facts (consent documents, profile) are memoised, and those are bounded by the number of hosts.

Host families (all answered by one resolver):

- ``h000.bench.test`` … page hosts: ``/`` and ``/p/1.html`` … ``/p/{pages-1}.html``. Page ``n``
  links to its children ``9n+1 … 9n+9``, so every page is reachable from the front page within
  3 hops; the rest of its ~10 links go to random same-host pages, another host's page, and now
  and then a ``/private/`` page that some robots.txt files disallow.
- ``img00.cdn.bench.test`` … shared image hosts (about 60 % of a page's images).
- ``m0000.media.bench.test`` … the image hosts of the regeneration parquet (see bench.regen).

Consent documents are realistic in shape and share: every host has a robots.txt of 30-60 lines
(some disallow paths, some refuse AI tokens, some carry Content-Usage / Content-Signal), about a
third have ai.txt, a fifth tdmrep.json; some images carry X-Robots-Tag or Content-Usage headers.
"""

from __future__ import annotations

import functools
import json
import random
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from crawler.simweb.server import Route

__all__ = [
    "AITXT_SHARE",
    "TDMREP_SHARE",
    "HostProfile",
    "build",
    "cdn_host",
    "media_host",
    "page_host",
    "page_path",
    "profile",
    "resolve",
    "seed_urls",
]

DOMAIN = "bench.test"
AITXT_SHARE = 0.33
TDMREP_SHARE = 0.2
PAGE_TARGET_BYTES = 15_000
IMAGES_PER_PAGE = 10
IMAGE_POOL = 400  # distinct images per page host: pages share some, as real sites do
CHILDREN = 9

_HTML = (("Content-Type", "text/html; charset=utf-8"),)
_TEXT = (("Content-Type", "text/plain; charset=utf-8"),)
_JSON = (("Content-Type", "application/json"),)
_JPEG = (("Content-Type", "image/jpeg"), ("Cache-Control", "max-age=86400"))
_NOT_FOUND = Route(404, _TEXT, b"not found")

_HOST_RE = re.compile(
    r"^(?:h(?P<page>\d{3})\.bench\.test|img(?P<cdn>\d{2})\.cdn\.bench\.test"
    r"|m(?P<media>\d{4})\.media\.bench\.test)$"
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_NOUNS = _words(
    "river mountain harbour market garden lantern bicycle window street meadow forest bridge "
    "winter summer autumn spring morning evening portrait village castle station library "
    "museum festival kitchen orchard island valley canyon desert glacier lighthouse cathedral "
    "workshop painter farmer sailor dancer musician children family friends travellers"
)
_ADJ = _words(
    "old new small large quiet busy bright dark golden silver red blue green yellow wooden "
    "stone ancient modern rainy sunny misty snowy crowded empty narrow wide distant nearby"
)
_WORDS = (
    _NOUNS
    + _ADJ
    + _words(
        "walking sitting standing reading cooking playing fishing climbing singing waiting "
        "under over beside behind near across along through above below with without"
    )
)


def page_host(i: int) -> str:
    return f"h{i:03d}.{DOMAIN}"


def cdn_host(i: int) -> str:
    return f"img{i:02d}.cdn.{DOMAIN}"


def media_host(i: int) -> str:
    return f"m{i:04d}.media.{DOMAIN}"


def page_path(n: int) -> str:
    return "/" if n == 0 else f"/p/{n}.html"


def seed_urls(hosts: range | list[int]) -> list[str]:
    """Front pages of the given page hosts: the crawl seeds (each host is its own scope)."""
    return [f"http://{page_host(i)}/" for i in hosts]


def _rng(*parts: object) -> random.Random:
    # str seeds are hashed with SHA-512 by random.Random: stable across processes and runs.
    return random.Random("|".join(map(str, parts)))


def _sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(_WORDS, k=words))
    return text[0].upper() + text[1:] + "."


# A fixed pool of paragraphs, built once: a page is a cheap join of some of them.
_PARAGRAPHS = tuple(
    "<p>" + " ".join(_sentence(r, r.randint(9, 16)) for _ in range(r.randint(6, 9))) + "</p>\n"
    for r in (random.Random(f"para|{k}") for k in range(256))
)


@dataclass(frozen=True, slots=True)
class HostProfile:
    """What a host says about consent, decided once per host from its name."""

    host: str
    robots: bytes
    robots_lines: int
    disallow_private: bool
    ai_tokens_refused: bool
    aitxt: bytes | None
    tdmrep: bytes | None


_AI_GROUPS = ("GPTBot", "CCBot", "Google-Extended", "ClaudeBot", "anthropic-ai", "img2dataset")
_OTHER_GROUPS = ("Bingbot", "DuckDuckBot", "Applebot", "YandexBot", "Baiduspider", "SemrushBot")
_DISALLOW_PATHS = ("/cgi-bin/", "/tmp/", "/admin/", "/search", "/cart/", "/login", "/*.pdf$")


def _robots(host: str, rng: random.Random) -> tuple[list[str], bool, bool]:
    disallow_private = rng.random() < 0.5
    ai_refused = rng.random() < 0.25
    lines = [f"# robots.txt for {host}", "# generated for the benchmark", ""]
    lines.append("User-agent: *")
    if disallow_private:
        lines.append("Disallow: /private/")
    for path in rng.sample(_DISALLOW_PATHS, rng.randint(2, 5)):
        lines.append(f"Disallow: {path}")
    lines += ["Allow: /p/", "Allow: /img/", ""]
    if rng.random() < 0.1:
        lines += ["Content-Usage: train-ai=n", ""]
    if rng.random() < 0.1:
        lines += ["Content-Signal: search=yes, ai-input=yes, ai-train=no", ""]
    if ai_refused:
        for token in rng.sample(_AI_GROUPS, rng.randint(2, 5)):
            lines += [f"User-agent: {token}", "Disallow: /", ""]
    for token in rng.sample(_OTHER_GROUPS, rng.randint(1, 4)):
        lines += [f"User-agent: {token}", f"Disallow: {rng.choice(_DISALLOW_PATHS)}", ""]
    lines.append(f"Sitemap: http://{host}/sitemap.xml")
    target = rng.randint(max(30, len(lines)), 60)
    filler = 0
    while len(lines) < target:  # comments, as real files have, between the header and rules
        filler += 1
        lines.insert(3, f"# note {filler}: {_sentence(rng, rng.randint(4, 9))}")
    return lines, disallow_private, ai_refused


def _aitxt(rng: random.Random) -> bytes:
    if rng.random() < 0.4:
        body = "# Spawning AI\nUser-Agent: *\nDisallow: *.jpg\nDisallow: *.png\nAllow: *.html\n"
    else:
        body = "# Spawning AI\nUser-Agent: *\nAllow: /\n"
    return body.encode()


def _tdmrep(host: str, rng: random.Random) -> bytes:
    rules = [
        {
            "location": "/img/*",
            "tdm-reservation": 1,
            "tdm-policy": f"http://{host}/tdm-policy.json",
        },
        {"location": "/*", "tdm-reservation": int(rng.random() < 0.3)},
    ]
    return json.dumps(rules).encode()


@functools.lru_cache(maxsize=8192)
def profile(host: str) -> HostProfile:
    """The host's consent documents and switches (memoised per host: bounded, cheap)."""
    rng = _rng("host", host)
    lines, disallow_private, ai_refused = _robots(host, rng)
    aitxt = _aitxt(rng) if rng.random() < AITXT_SHARE else None
    tdmrep = _tdmrep(host, rng) if rng.random() < TDMREP_SHARE else None
    return HostProfile(
        host=host,
        robots=("\n".join(lines) + "\n").encode(),
        robots_lines=len(lines),
        disallow_private=disallow_private,
        ai_tokens_refused=ai_refused,
        aitxt=aitxt,
        tdmrep=tdmrep,
    )


@functools.lru_cache(maxsize=8192)
def _documents(host: str) -> dict[str, Route]:
    prof = profile(host)
    docs = {"/robots.txt": Route(200, _TEXT, prof.robots)}
    if prof.aitxt is not None:
        docs["/ai.txt"] = Route(200, _TEXT, prof.aitxt)
    if prof.tdmrep is not None:
        docs["/.well-known/tdmrep.json"] = Route(200, _JSON, prof.tdmrep)
    return docs


def _caption(rng: random.Random) -> str:
    return (
        f"{rng.choice(_ADJ).capitalize()} {rng.choice(_NOUNS)} {rng.choice(_WORDS)} "
        f"the {rng.choice(_NOUNS)} in {rng.choice(_ADJ)} light"
    )


def _image_url(host_index: int, host: str, image_id: int, cdn_hosts: int) -> str:
    # 60 % on a shared CDN host picked by the image, the rest on the page's own host.
    if cdn_hosts and zlib.crc32(f"{host}/{image_id}".encode()) % 10 < 6:
        cdn = cdn_host((host_index * 7 + image_id) % cdn_hosts)
        return f"http://{cdn}/{host.split('.')[0]}/{image_id}.jpg"
    return f"/img/{image_id}.jpg"


def page_html(
    host: str, host_index: int, n: int, *, hosts: int, pages: int, cdn: int, path: str = ""
) -> bytes:
    """One page: ~15 KB, 10 captioned images, ~10 links (children, same host, other hosts)."""
    path = path or page_path(n)
    rng = _rng("page", host, path)
    title = _caption(rng)
    links: list[str] = []
    children = [c for c in range(CHILDREN * n + 1, CHILDREN * n + CHILDREN + 1) if c < pages]
    links += [page_path(c) for c in children]
    if n:
        links.append(page_path(0))
    while len(links) < 8:
        links.append(page_path(rng.randrange(pages)))
    if hosts > 1:
        for _ in range(rng.randint(1, 2)):
            other = rng.randrange(hosts)
            links.append(f"http://{page_host(other)}{page_path(rng.randrange(pages))}")
    if rng.random() < 0.15:
        links.append(f"/private/{rng.randrange(20)}.html")
    parts = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f"<title>{title}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<link rel="canonical" href="http://{host}{path}">',
        "</head><body>\n<header><h1>",
        title,
        "</h1><nav>",
        " | ".join(f'<a href="{href}">{_caption(rng)}</a>' for href in links),
        "</nav></header>\n<main>\n",
    ]
    paras = rng.choices(range(len(_PARAGRAPHS)), k=24)
    images = rng.sample(range(IMAGE_POOL), IMAGES_PER_PAGE)
    size = sum(len(p) for p in parts)
    target = PAGE_TARGET_BYTES + rng.randint(-1500, 1500)
    for k, image_id in enumerate(images):
        src = _image_url(host_index, host, image_id, cdn)
        w, h = rng.choice(((640, 480), (800, 600), (1024, 768), (480, 640)))
        alt = _caption(rng)
        fig = (
            f'<figure><img src="{src}" alt="{alt}" width="{w}" height="{h}" loading="lazy">'
            f"<figcaption>{_caption(rng)}</figcaption></figure>\n"
        )
        parts.append(fig)
        size += len(fig)
        # Spread the text between the figures until the page reaches its target size.
        share = (target - size - 400) // max(1, IMAGES_PER_PAGE - k)
        while share > 0 and paras:
            para = _PARAGRAPHS[paras.pop()]
            parts.append(para)
            size += len(para)
            share -= len(para)
    parts.append(
        f'</main>\n<footer><p>&copy; {host}. <a href="/">Home</a></p>'
        '<p class="legal">Images may not be used without permission.</p></footer>\n'
        "</body></html>\n"
    )
    return "".join(parts).encode()


_PAD = bytes(range(251)) * 6


def _jpeg_body(key: str) -> bytes:
    """A small JPEG-looking body (SOI, JFIF, comment, EOI); distinct bytes per image."""
    comment = key.encode()[:200]
    start = zlib.crc32(key.encode()) % 251
    pad = _PAD[start : start + 1200]
    return (
        b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xfe"
        + (len(comment) + 2).to_bytes(2, "big")
        + comment
        + pad
        + b"\xff\xd9"
    )


def image_route(host: str, path: str) -> Route:
    """An image: ~1.3 KB; about 8 % carry X-Robots-Tag, 5 % Content-Usage (seeded by URL)."""
    key = f"{host}{path}"
    roll = zlib.crc32(key.encode()) % 100
    headers = list(_JPEG)
    if roll < 5:
        headers.append(("X-Robots-Tag", "noai, noimageai"))
    elif roll < 8:
        headers.append(("X-Robots-Tag", "noimageindex"))
    elif roll < 13:
        headers.append(("Content-Usage", "train-ai=n"))
    return Route(200, headers, _jpeg_body(key))


def resolve(
    host: str, path: str, *, hosts: int = 200, pages: int = 100, cdn: int = 20, media: int = 2000
) -> Route | None:
    """The answer for one request; None for hosts outside the bench web (SimWeb sends 502)."""
    m = _HOST_RE.match(host)
    if m is None:
        return None
    if m["page"] is not None:
        index, limit = int(m["page"]), hosts
    elif m["cdn"] is not None:
        index, limit = int(m["cdn"]), cdn
    else:
        index, limit = int(m["media"]), media
    if index >= limit:
        return None
    bare = path.partition("?")[0]
    doc = _documents(host).get(bare)
    if doc is not None:
        return doc
    if bare.endswith(".jpg"):
        return image_route(host, bare)
    if m["page"] is None:
        return _NOT_FOUND
    if bare == "/":
        n = 0
    elif bare.startswith("/p/") and bare.endswith(".html"):
        num = bare[3:-5]
        if not num.isdigit() or not 0 < int(num) < pages:
            return _NOT_FOUND
        n = int(num)
    elif bare.startswith("/private/") and bare.endswith(".html"):
        # Reachable only where robots.txt allows it; a leaf page linking back home.
        body = page_html(host, index, 0, hosts=1, pages=1, cdn=cdn, path=bare)
        return Route(200, _HTML, body)
    else:
        return _NOT_FOUND
    return Route(200, _HTML, page_html(host, index, n, hosts=hosts, pages=pages, cdn=cdn))


def build(
    hosts: int = 200, pages: int = 100, cdn: int = 20, media: int = 2000
) -> Callable[[str, str], Route | None]:
    """The SimWeb factory (``bench.web:build``): returns the ``(host, path)`` resolver."""
    return functools.partial(resolve, hosts=hosts, pages=pages, cdn=cdn, media=media)
