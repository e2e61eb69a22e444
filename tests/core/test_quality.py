"""Quality filters (crawler.quality): junk rows get quality:* reasons, each filter switchable."""

from __future__ import annotations

import pytest

from crawler.quality.filters import (
    PRESETS,
    QUALITY_FILTERS,
    QualityConfig,
    QualityFilter,
    QualityInput,
    looks_like_filename,
)


def reasons(preset: str = "standard", **row) -> list[str]:
    fields = {"url": "https://img.test/photo.jpg", "caption": "A red fox in the snow", **row}
    return QualityFilter(QualityConfig.preset(preset)).reasons(QualityInput(**fields))


def test_a_good_row_has_no_reasons() -> None:
    assert reasons(width=640, height=480) == []
    assert reasons("strict") == []


def test_tracking_pixels() -> None:
    # issue 11: Quantcast's pixel, alt "Quantcast", was kept and licensed CC-BY-NC-SA-3.0
    assert reasons(url="http://pixel.quantserve.com/pixel/p-edL3gsnUjJzw-.gif") == [
        "quality:tracker"
    ]
    assert reasons(url="https://www.facebook.com/tr?id=1&ev=PageView") == ["quality:tracker"]
    assert reasons(url="https://www.facebook.com/photo.jpg") == []
    assert reasons(url="https://logs1242.xiti.com/hit.xiti?s=1") == ["quality:tracker"]
    assert reasons(width=1, height=1) == ["quality:pixel", "quality:small"]
    assert reasons(width=1) == ["quality:pixel", "quality:small"]


def test_small_declared_sizes() -> None:
    assert reasons(width=16, height=16) == ["quality:small"]
    assert reasons(width=32, height=300) == ["quality:small"]
    assert reasons(width=33, height=33) == []
    assert reasons(width=None, height=None) == []  # undeclared: nothing known


def test_placeholders() -> None:
    assert reasons(placeholder=True) == ["quality:placeholder"]
    assert reasons(same_url_captions=3) == ["quality:placeholder"]
    assert reasons(same_url_captions=2) == []


@pytest.mark.parametrize(
    "caption", ["IMG_8299.jpeg", "0119_selena_main", "DSC01234", "photo.PNG", "e3b0c44298fc1c14"]
)
def test_filename_captions(caption: str) -> None:
    # issue 11: 246 corpus captions look like file names
    assert looks_like_filename(caption)
    assert reasons(caption=caption) == ["quality:filename-caption"]


@pytest.mark.parametrize("caption", ["Gmail", "A red fox", "Facebook Messenger", "snake_case"])
def test_words_are_not_filenames(caption: str) -> None:
    assert not looks_like_filename(caption)


def test_caption_length_thresholds() -> None:
    # LAION-5B drops alt texts shorter than 5 characters
    assert reasons(caption="Logo") == ["quality:caption-short"]
    assert reasons(caption="Gmail") == []
    assert reasons(caption="x " * 600) == ["quality:caption-long"]
    assert reasons(caption="") == []  # no caption is caption:missing, not a quality matter


def test_icon_urls_only_in_strict() -> None:
    for url in (
        "https://a.test/icons/share.png",
        "https://a.test/site-logo.png",
        "https://a.test/x.svg",
    ):
        assert reasons(url=url) == []
        assert reasons("strict", url=url) == ["quality:icon-url"]


def test_presets_and_switches() -> None:
    assert reasons("off", width=1, height=1, caption="IMG_1.jpg") == []
    assert set(PRESETS["strict"]) == set(QUALITY_FILTERS)
    config = QualityConfig.preset("standard", disable=["small"], enable=["icon-url"])
    assert "small" not in config.filters and "icon-url" in config.filters
    with pytest.raises(ValueError, match="QUALITY"):
        QualityConfig.preset("lenient")
    with pytest.raises(ValueError, match="unknown quality filter"):
        QualityConfig.preset("standard", disable=["smal"])


def test_thresholds_are_settings() -> None:
    config = QualityConfig.preset("standard", small_max_px=100, caption_min_chars=2)
    row = QualityInput("https://img.test/a.jpg", "Ox", width=90, height=90)
    assert QualityFilter(config).reasons(row) == ["quality:small"]


def test_extra_tracker_hosts() -> None:
    config = QualityConfig.preset("standard", tracker_hosts=("beacon.test", "a.test/hit"))
    check = QualityFilter(config)
    assert check.is_tracker("https://x.beacon.test/p.gif")
    assert check.is_tracker("https://a.test/hit?x=1")
    assert not check.is_tracker("https://a.test/photo.jpg")
    assert not check.is_tracker("http://[::1")


def test_remembered_tracker_answers_equal_fresh_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    # QualityFilter remembers is_tracker per URL (bounded): the same answers, in any order,
    # also across a clear.
    import random

    from crawler.quality import filters

    monkeypatch.setattr(filters, "_TRACKER_MEMO", 5)
    urls = [
        "http://pixel.quantserve.com/pixel/p.gif",
        "https://www.facebook.com/tr?id=1",
        "https://www.facebook.com/photo.jpg",
        "https://logs1242.xiti.com/hit.xiti?s=1",
        "https://img.test/a.jpg",
        "http://[::1/x.gif",
        "https://sub.doubleclick.net/x.gif",
        "not a url",
    ]
    config = QualityConfig.preset("standard")
    remembering = QualityFilter(config)
    rng = random.Random(7)
    for url in rng.choices(urls, k=200):
        assert remembering.is_tracker(url) == QualityFilter(config).is_tracker(url), url
        assert len(remembering._trackers) <= 5
