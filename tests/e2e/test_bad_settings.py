"""A mistyped -s name or a bad -s value stops the run before any request: one line, exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from crawler.demo import PROJECT_ROOT, run_crawl
from crawler.simweb.control import SimWeb

SITES = {
    "hosts": {
        "settings.test": {
            "routes": {
                "/robots.txt": {"status": 200, "body": "User-agent: *\nAllow: /\n"},
                "/": {
                    "status": 200,
                    "headers": {"Content-Type": "text/html"},
                    "body": '<img src="/a.png" alt="an image">',
                },
            }
        }
    }
}
CASES = [
    (["-s", "IMAGE_PROB=off"], "-s IMAGE_PROB: no such setting (did you mean IMAGE_PROBE?)"),
    (["-s", "LICENCE_ALLOW=cc-any"], "did you mean LICENSE_ALLOW?"),
    (["-s", "DEPTH_LIMTI=1"], "did you mean DEPTH_LIMIT?"),
    (["-s", "CAPTION_REQUIRED=maybe"], "CAPTION_REQUIRED must be true or false"),
    (["-s", "CONSENT_POLICY=lax"], "CONSENT_POLICY must be one of robots-only, standard, strict"),
    (["-s", "DEPTH_LIMIT=abc"], "DEPTH_LIMIT must be a whole number"),
    (["-s", "INDEX_COMPRESSION=lz77"], "INDEX_COMPRESSION must be one of zstd"),
]


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory):
    with SimWeb(SITES, workdir=tmp_path_factory.mktemp("web"), max_seconds=300) as sim:
        yield sim


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.parametrize(("args", "message"), CASES)
def test_crawl_refuses_a_bad_setting_before_any_request(web, tmp_path, args, message) -> None:
    before = len(web.requests())
    result = run_crawl(web, tmp_path / "out", ["http://settings.test/"], args)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = error_lines(result.stderr)
    assert lines[-1].startswith("consentcrawl: error: ") and message in lines[-1], lines
    assert "Traceback" not in result.stderr
    assert len(web.requests()) == before  # nothing was fetched
    assert not (tmp_path / "out").exists()


def test_a_bad_compression_in_a_config_file_is_refused_too(web, tmp_path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('index_compression = "lz77"\n')
    result = run_crawl(web, tmp_path / "out", ["http://settings.test/"], ["-a", f"config={config}"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "INDEX_COMPRESSION='lz77' is not a Parquet codec" in result.stderr


@pytest.mark.parametrize(("args", "message"), CASES[:2] + CASES[4:])
def test_regenerate_refuses_a_bad_setting(web, tmp_path, args, message) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"url": ["http://settings.test/a.png"], "caption": ["x"]}), source)
    cmd = [sys.executable, "-m", "scrapy", "regenerate", str(source), "-o", str(tmp_path / "o")]
    result = subprocess.run(
        [*cmd, *args, "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT_ROOT,
        env=web.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert message in error_lines(result.stderr)[-1]


def test_regenerate_knows_its_own_settings(web, tmp_path) -> None:
    source = tmp_path / "in.parquet"
    pq.write_table(pa.table({"url": ["http://settings.test/a.png"], "caption": ["x"]}), source)
    cmd = [sys.executable, "-m", "scrapy", "regenerate", str(source), "-o", str(tmp_path / "o")]
    result = subprocess.run(
        [*cmd, "-s", "REGEN_BATCH_ROWS=5", "-s", "REGEN_PROGRESS=false", "-s", "LOG_LEVEL=WARNING"],
        cwd=PROJECT_ROOT,
        env=web.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "o" / "manifest.json").exists()


def test_config_file_keys_get_the_close_match_too(tmp_path: Path) -> None:
    from crawler.config import ConfigError, load_config
    from crawler.runtime import known_settings

    config = tmp_path / "c.toml"
    config.write_text("image_prob = 'off'\n")
    with pytest.raises(ConfigError, match="did you mean IMAGE_PROBE"):
        load_config(config, known_settings())
