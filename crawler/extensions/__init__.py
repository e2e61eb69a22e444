"""Scrapy extensions of consentcrawl (thin plumbing around pure modules)."""
