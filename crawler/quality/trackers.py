"""Known tracking-pixel hosts: an image from one of these is a beacon, not a picture.

Maintained by hand and kept small on purpose (it names beacons; it is not an ad blocker).
Provenance: entries marked ``corpus`` were seen serving a tracking image (a 0-2 px ``<img>``, a
``<noscript>`` beacon, or an image URL with beacon query strings) in ``shared/corpus/html-pages``
(2026-11, found by scanning the corpus for 0-2 px images and beacon URLs); the others are the
documented pixel endpoints of the same vendors' tag products (Google, Microsoft, LinkedIn,
Pinterest). Not copied from any blocklist. An entry is a host (matching itself and its
subdomains) or ``host/path-prefix``.
Extend it with the ``QUALITY_TRACKER_HOSTS`` setting rather than by editing this file.
"""

from __future__ import annotations

TRACKER_HOSTS: tuple[str, ...] = (
    "pixel.quantserve.com",  # corpus: Quantcast, alt "Quantcast" (rueda.wikidot.com)
    "pixel.wp.com",  # corpus: WordPress.com stats b.gif/g.gif
    "www.facebook.com/tr",  # corpus: Meta pixel <noscript> fallback
    "googleads.g.doubleclick.net",  # corpus: Google Ads conversion
    "cm.g.doubleclick.net",
    "www.google-analytics.com",
    "analytics.twitter.com",  # corpus
    "t.co/i/adsct",  # corpus: Twitter conversion pixel
    "scorecardresearch.com",  # corpus: comScore (sb.), alt "image beacon"
    "c.msn.com",  # corpus
    "web.vortex.data.msn.com",  # corpus
    "xiti.com",  # corpus: AT Internet (logs1242., logc2., logliberation.)
    "met.vgwort.de",  # corpus: VG Wort counting pixel (zeit., heise.)
    "2o7.net",  # corpus: Adobe Analytics
    "smetrics.aclu.org/b/ss",  # corpus: Adobe Analytics first-party
    "ib.adnxs.com",  # corpus: Xandr
    "beacon-us-east.rubiconproject.com",  # corpus
    "d.agkn.com",  # corpus
    "tag.yieldoptimizer.com",  # corpus
    "yjtag.yahoo.co.jp",  # corpus
    "s.clickability.com",  # corpus
    "dw.cbsi.com",  # corpus: CBS Interactive beacon (cnet)
    "sa.bbc.co.uk",  # corpus
    "ssc.api.bbc.com",  # corpus
    "pool.a8723.com",  # corpus
    "www.google.com/images/cleardot.gif",  # corpus
    "en.wikipedia.org/wiki/Special:CentralAutoLogin",  # corpus: MediaWiki login beacon
    "bat.bing.com",
    "px.ads.linkedin.com",
    "ct.pinterest.com",
)
