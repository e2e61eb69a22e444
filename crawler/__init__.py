"""consentcrawl: a consent-aware image/alt-text crawler built on Scrapy."""

__version__ = "0.1.0"
