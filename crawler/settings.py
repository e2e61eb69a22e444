"""Scrapy settings for consentcrawl.

Every consentcrawl setting below has a documented default; ``configs/default.toml`` repeats them
key by key. Override with ``-a config=configs/NAME.toml`` or ``-s NAME=VALUE`` (which wins).
"""

import os

# Scrapy's cookie middleware builds a default TLDExtract that downloads the Public Suffix List
# on first use; the crawler must stay offline-capable and deterministic (scrapy notes).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from crawler import __version__
from crawler.consent.registry import setting_defaults as _family_settings

BOT_NAME = "consentcrawl"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- identity -----------------------------------------------------------------------------
# Our robots.txt product token: selects our group in robots.txt and ai.txt.
ROBOTSTXT_USER_AGENT = "consentcrawl"
# Contact URL shown in the User-Agent; a warning is logged at start-up while it is unset.
CONSENTCRAWL_CONTACT_URL = ""
# None: built as "consentcrawl/<version> (+<contact URL>)" at start-up.
USER_AGENT = None
CONSENTCRAWL_VERSION = __version__
# Set by -a config=FILE (recorded in the manifest).
CONSENTCRAWL_CONFIG = ""

# --- safety -------------------------------------------------------------------------------
# Scrapy 2.19 opens a code-executing RemoteControl server by default: never on a crawler.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Scrapy's RobotsTxtMiddleware fails open; ours (below) replaces it.
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = False

# --- politeness and performance -----------------------------------------------------------
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0.0
DOWNLOAD_TIMEOUT = 20
RETRY_TIMES = 1
REDIRECT_MAX_TIMES = 5
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DEPTH_LIMIT = 3
# Scrapy's HTTP/1.1 handler, its connection pool keeping CONCURRENT_REQUESTS idle connections per
# key instead of CONCURRENT_REQUESTS_PER_DOMAIN: through a proxy every request shares one key,
# and the smaller pool closed and reopened connections all the time (crawler/download.py).
DOWNLOAD_HANDLERS = {
    "http": "crawler.download.PooledHTTPDownloadHandler",
    "https": "crawler.download.PooledHTTPDownloadHandler",
}
# Scrapy 2.19 starts CONCURRENT_ITEMS asyncio workers for *every* callback's output, however
# short; with one item per page a few are plenty, and the default 100 costs ~1.4 ms per page.
CONCURRENT_ITEMS = 4
# The cyclic garbage collector's youngest-generation threshold while the engine runs
# (crawler/extensions/gctune.py): CPython's 700 cost ~13% of a crawl's CPU. 0: CPython's own.
GC_THRESHOLD = 50000
LOG_LEVEL = "INFO"
LOG_FORMATTER = "crawler.logformatter.QuietLogFormatter"
# Breadth-first: seeds' own pages first, and a bounded queue at any depth.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.ConsentRobotsMiddleware": 100,
}

# One item per page flows through these in order. The consent engine runs every signal family
# of the registry (crawler/consent/registry.py) in two phases around the image probe: checks that
# need no request to the image first, so that the probe only runs for rows still in the index.
ITEM_PIPELINES = {
    "pipelines.caption.CaptionPipeline": 100,
    "pipelines.consent.ConsentBeforeProbePipeline": 300,
    "pipelines.probe.ProbePipeline": 500,
    "pipelines.consent.ConsentAfterProbePipeline": 600,
    "pipelines.license.LicensePipeline": 800,
    "pipelines.quality.QualityPipeline": 850,
}
# The item pipeline that writes the rows; crawler.addon.WriterAddon puts it last in
# ITEM_PIPELINES. The regenerate spider sets pipelines.regenwriter.RegenWriterPipeline;
# `scrapy consent` sets none (it writes nothing).
WRITER_PIPELINE = "pipelines.writer.IndexWriterPipeline"

# Scrapy's in-memory stats without the per-attribute shim Scrapy 2.13+ added (~15x cheaper
# calls; crawler/statscollector.py).
STATS_CLASS = "crawler.statscollector.StatsCollector"

EXTENSIONS = {
    # Scrapy's LogStats counts every request (robots.txt, probes) as a page: replaced by ours.
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.progress.CrawlProgress": 500,
    "crawler.extensions.progress.ShutdownNotice": 510,
    "crawler.extensions.publish.PublishOnClose": 900,
    "crawler.extensions.gctune.GcThreshold": 0,
}

ADDONS = {"crawler.addon.IdentityAddon": 0, "crawler.addon.WriterAddon": 5}

# --- scope --------------------------------------------------------------------------------
# Extra domains (and their subdomains) to follow links into, besides the seeds' own.
SCOPE_ALLOWED_DOMAINS: list[str] = []
# Domains (and subdomains) never to crawl, even when a seed is in them.
SCOPE_DENIED_DOMAINS: list[str] = []
# Follow links at all (false: crawl the seed pages only).
FOLLOW_LINKS = True

# --- consent ------------------------------------------------------------------------------
# strict | standard | robots-only (see README "Consent policy").
CONSENT_POLICY = "strict"
# Per-family switches (<NAME>_ENABLED) and the families' own settings, declared with their docs
# by each family module and generated from the family registry (crawler/consent/registry.py;
# `python -m crawler.consent.registry --toml` lists them, README "Consent policy" has the
# table). A switch unset (None, the default) follows the CONSENT_POLICY preset; true or false
# overrides it for that family.
globals().update(_family_settings())
# noindex / noimageindex / none exclude image rows (strict: yes, standard: no).
NOINDEX_EXCLUDES = None
# A failed image probe (timeout, 5xx) excludes the row (strict: yes, standard: no).
PROBE_FAILURE_EXCLUDES = None
# A 2xx ai.txt / tdmrep.json that cannot be read or parsed excludes its rows as
# <family>:unreadable (strict: yes, standard: no, recorded as unknown).
UNREADABLE_EXCLUDES = None
# Image probe: head (one HEAD per kept candidate, ranged GET when HEAD is refused),
# range (GET of the first IMAGE_PROBE_BYTES: also feeds XMP licence and IPTC checks), off.
# Unset follows the preset (strict/standard: head, robots-only: off).
IMAGE_PROBE = None
IMAGE_PROBE_BYTES = 65536
# How many probe results are remembered (an image shown on many pages is probed once).
IMAGE_PROBE_CACHE_SIZE = 200_000
# AI-crawler tokens whose robots.txt refusals count as an AI-training opt-out.
AI_TOKENS = [
    "CCBot",
    "GPTBot",
    "Google-Extended",
    "ClaudeBot",
    "anthropic-ai",
    "Applebot-Extended",
    "meta-externalagent",
    "img2dataset",
    "LAIONDownloader",
]
# Upper bound in seconds on a robots.txt Crawl-delay (a larger value is capped to this).
CRAWL_DELAY_MAX = 60.0
# Seconds a fetched consent document (robots.txt, ai.txt, tdmrep.json) stays valid.
ROBOTSTXT_CACHE_TTL = 24 * 3600.0
# Bytes of a consent document that are parsed and stored (RFC 9309 asks for >= 500 KiB).
CONSENT_DOCUMENT_MAX_BYTES = 512 * 1024
# Fetch consent documents with a lean HTTP/1.1 client when the answer is plain (2xx/4xx, not
# compressed, no redirect or retry), asking Scrapy's downloader for everything else; used only
# when the downloader would do nothing more to such an answer (crawler/directdocs.py says when:
# no WARC capture or replay, no custom downloader middleware, no DOWNLOAD_DELAY...).
CONSENT_DOCUMENTS_DIRECT = True
# A candidate without alt text is excluded as caption:missing.
CAPTION_REQUIRED = True

# --- licences -----------------------------------------------------------------------------
# Detect licence evidence (rel=license, JSON-LD, microdata, RDFa, Link headers, XMP).
LICENSE_DETECTION_ENABLED = True
# Licence filter: empty = none (licence recorded only), or a comma list of SPDX ids and the
# groups permissive, cc-any, public-domain.
LICENSE_ALLOW = ""
# Which evidence counts for the filter: any (image first, then page) or image (image only).
LICENSE_SCOPE = "any"

# --- reproducible crawls (WARC capture and replay) ----------------------------------------
# Write every HTTP exchange (pages, consent documents, redirects, probes, failures) to
# INDEX_DIR/warc/*.warc.gz, indexed as INDEX_DIR/warc/index.cdxj and listed in the manifest.
WARC_ENABLED = False
# Start a new WARC file once the current one reaches this many bytes.
WARC_MAX_BYTES = 1024**3
# Also package the WARCs, CDXJ and a datapackage as INDEX_DIR/archive.wacz (WARC_ENABLED only).
WACZ = False
# Set by `scrapy replay`: the archived run being replayed (empty: a live run).
REPLAY_ARCHIVE = ""
# Closer to the downloader than decompression (590), redirects (600) and retries (550): raw
# responses, every hop. Off unless WARC_ENABLED.
DOWNLOADER_MIDDLEWARES["crawler.warc.capture.WarcCaptureMiddleware"] = 950
# First in line: rows take the recorded time of their exchange (capture and replay only).
ITEM_PIPELINES["crawler.warc.stamp.ArchiveTimePipeline"] = 10

# --- output -------------------------------------------------------------------------------
# Where the index dataset is written; required.
INDEX_DIR = ""
# Allow writing into a non-empty INDEX_DIR (its old part files are removed first).
INDEX_OVERWRITE = False
# Rows per Parquet part file.
INDEX_ROWS_PER_SHARD = 100_000
# Parquet compression codec.
INDEX_COMPRESSION = "zstd"

# --- captions and quality (issue 11) ------------------------------------------------------
# Where a caption may come from, in order: the first non-empty one is the row's caption and its
# name the caption_source column. Names: alt, figcaption, thumbcaption (MediaWiki), title,
# og:image:alt, twitter:image:alt. ["alt"] is LAION's alt-only rule.
CAPTION_SOURCES = ["alt", "figcaption", "thumbcaption", "og:image:alt", "twitter:image:alt"]
# Quality filters (quality:* reasons, never consent): off | standard | strict (adds icon-url).
QUALITY = "standard"
# Filters to add to / remove from the preset: tracker, pixel, small, placeholder,
# filename-caption, caption-short, caption-long, icon-url.
QUALITY_ENABLE: list[str] = []
QUALITY_DISABLE: list[str] = []
# quality:small when a declared width or height is at most this many pixels.
QUALITY_SMALL_MAX_PX = 32
# quality:pixel when every declared side is at most this many pixels (1x1 beacons).
QUALITY_PIXEL_MAX_PX = 2
# quality:placeholder when one URL carries this many different captions on one page.
QUALITY_PLACEHOLDER_REPEATS = 3
# quality:caption-short below this many characters (LAION-5B's threshold is 5).
QUALITY_CAPTION_MIN_CHARS = 5
# quality:caption-long above this many characters (our choice; LAION publishes no maximum).
QUALITY_CAPTION_MAX_CHARS = 1000
# Extra tracking-pixel hosts (host or host/path-prefix) beside the shipped list.
QUALITY_TRACKER_HOSTS: list[str] = []

# --- the public web only (SSRF guard, crawler/guard.py) -----------------------------------
# Every request (pages, consent documents, probes, each redirect hop) whose target is not a
# public address is refused, and the row excluded as address:non-public. CIDRs listed here
# (e.g. ["10.0.0.0/8"]) are opened, for intranet crawls.
ALLOWED_NETWORKS: list[str] = []
DOWNLOADER_MIDDLEWARES["crawler.guard.AddressGuardMiddleware"] = 50
# Scrapy's proxy middleware with the proxy environment read once, not per request (issue 16).
DOWNLOADER_MIDDLEWARES["scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware"] = None
DOWNLOADER_MIDDLEWARES["crawler.httpproxy.CachedProxyMiddleware"] = 750
# Names are checked on the address they resolve to, at connection time (DNS rebinding).
TWISTED_DNS_RESOLVER = "crawler.guard.GuardedResolver"

# --- bounded work per page and per host ---------------------------------------------------
# <img> past this many candidates on one page are not extracted nor probed: one excluded row
# (input:candidate-cap) records how many. Pages nested deeper than the HTML parser allows are
# recorded as input:page-cut.
MAX_CANDIDATES_PER_PAGE = 1000
# Image probes (HEAD / ranged GET) sent to one host over a whole run; past it, that host's
# images count as not probed (probe:failed under the strict policy). 0: no limit.
IMAGE_PROBE_HOST_BUDGET = 50_000

# --- reporting and progress ---------------------------------------------------------------
# At the end of a run write INDEX_DIR/README.md (dataset card), report.html, domains.parquet.
PUBLISH_ON_CLOSE = True
# Print the summary (the one `scrapy summary INDEX_DIR` prints) at the end of a run.
SUMMARY_ON_CLOSE = True
# An unreachable host is one line at INFO at the end (count and examples), not one ERROR per
# request: every failure is in the outputs (reasons, consent/ error column). Scrapy's setting.
RETRY_GIVE_UP_LOG_LEVEL = "DEBUG"
# Warn "offline? proxy? DNS?" when at least this share of the origins contacted was unreachable.
UNREACHABLE_WARN_SHARE = 0.5
# The crawl's progress line on stderr (rewritten in place on a terminal).
CRAWL_PROGRESS = True
# Seconds between progress updates on a terminal, and between progress log lines otherwise.
CRAWL_PROGRESS_INTERVAL = 1.0
CRAWL_PROGRESS_LOG_INTERVAL = 30.0

# Seconds between flushes of the rows gathered so far to disk (the part being filled is
# rewritten and renamed into place): a hard kill loses at most this interval. 0: only when a
# shard is full and at the end.
INDEX_FLUSH_SECONDS = 30.0
# Ctrl-C / SIGTERM: drop requests queued behind a Crawl-delay instead of waiting for them.
EXTENSIONS = {**EXTENSIONS, "crawler.shutdown.PromptShutdown": 500}
# --- distributed (issue 13; README "Distributed crawling") --------------------------------
# redis://HOST:PORT/DB of a Redis >= 6 / Valkey >= 7 server: shared frontier, seen-set and
# consent-document cache. Empty: one process, nothing shared (the default).
REDIS_URL = ""
# Prefix of every key this crawl uses in Redis (two crawls on one server need two prefixes).
REDIS_KEY_PREFIX = "consentcrawl"
# This worker's name in Redis and in its part file names. Empty: "<host name>-<pid>".
WORKER_ID = ""
# A worker exits once no host has queued requests and every worker has been idle this long.
IDLE_EXIT_SECONDS = 10.0
# A worker whose heartbeat is older than this is dead: its requests go back to the frontier.
DISTRIBUTED_WORKER_TIMEOUT = 30.0
# Seen-set: exact (a set of 8-byte URL digests) or bloom (a bitmap Bloom filter, see README).
SEEN_SET = "exact"
SEEN_BLOOM_CAPACITY = 100_000_000
SEEN_BLOOM_ERROR_RATE = 0.001
# Seconds a distributed regeneration worker holds a claimed input batch before others reclaim it.
REGEN_LEASE_SECONDS = 300.0
# With REDIS_URL, the crawl's requests go through the shared Redis frontier. The regenerate
# spider turns it off: its unit of work is an input batch, leased from Redis.
REDIS_FRONTIER = True
ADDONS = {**ADDONS, "crawler.distributed.addon.DistributedAddon": 10}
