"""WARC capture and offline replay (issue 12): every HTTP exchange of a run, as ISO 28500 WARC.

- ``records``: writing WARC files with warcio (pure): request/response pairs, failures,
  warcinfo, rotation, CDXJ index, WACZ packaging.
- ``archive``: reading them back (pure): the manifest's sha256 check and the replay index.
- ``capture``: the Scrapy downloader middleware that records what the downloader saw.
- ``replay``: the Scrapy download handler that answers requests from the archive.
- ``verify``: comparing two output directories row by row (pure).
- ``demo``: the capture and replay part of ``make demo``.
"""
