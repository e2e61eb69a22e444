"""What a finished crawl or regeneration says about itself: causes, summary, card, report (pure)."""
