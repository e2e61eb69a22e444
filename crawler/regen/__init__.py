"""``scrapy regenerate``: re-check an existing image index (LAION, img2dataset, cc2dataset files).

The modules here are pure (no Scrapy): inputs, row keys, progress, resume state and the
batch book shared by the ``regenerate`` spider and its writer pipeline.
"""
