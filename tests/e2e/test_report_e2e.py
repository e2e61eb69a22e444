"""A crawl and a regeneration end with a summary, a loadable dataset card, a report whose kept
count is the manifest's, a progress line that names the host held back by Crawl-delay, and
exit status 3 when every origin was unreachable (issue 15)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.demo import PROJECT_ROOT, run_crawl
from crawler.regen.demo import demo_rows
from crawler.simweb.control import SimWeb
from crawler.simweb.demo import DEMO_SEEDS, demo_sites
from tests.support.cli import offline_env

SLOW = "slow.progress.test"
HTML = {"Content-Type": "text/html"}


def _slow_web() -> dict:
    """One host with Crawl-delay 1 and eight pages linked from its home page."""
    links = "".join(f'<a href="/p{i}.html">{i}</a>' for i in range(8))
    routes = {
        "/robots.txt": {"status": 200, "body": "User-agent: *\nCrawl-delay: 1\n"},
        "/": {"status": 200, "headers": HTML, "body": f"<html><body>{links}</body></html>"},
    }
    for i in range(8):
        routes[f"/p{i}.html"] = {"status": 200, "headers": HTML, "body": "<p>slow</p>"}
    return {"hosts": {SLOW: {"routes": routes}}}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("report") / "demo"
    with SimWeb(demo_sites(), max_seconds=120, max_requests=5000) as web:
        result = run_crawl(web, out, DEMO_SEEDS, ["-s", "DOWNLOAD_TIMEOUT=5"])
    assert result.returncode == 0, result.stderr[-3000:]
    return out, json.loads((out / "manifest.json").read_text()), result


def test_crawl_prints_the_summary_with_labels_matching_the_files(demo) -> None:
    out, manifest, result = demo
    counts = manifest["counts"]
    assert re.search(rf"kept image rows\s+{counts['kept']}\s+index/", result.stdout)
    assert re.search(rf"excluded image rows\s+{counts['excluded']}\s", result.stdout)
    assert re.search(rf"excluded pages\s+{counts['pages_excluded']}\s", result.stdout)
    causes = counts["excluded_by_cause"]
    assert sum(causes.values()) == counts["excluded"] + counts["pages_excluded"]
    # robots:unreachable (down.demo.test: 503) is unverifiable, never a refusal
    assert causes["unverifiable"] >= counts["excluded_by_reason"]["robots:unreachable"]
    assert causes["refused"] > 0
    again = subprocess.run(
        [sys.executable, "-m", "scrapy", "summary", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0
    assert "kept image rows" in again.stdout and "excluded by cause" in again.stdout


def test_card_loads_with_datasets_and_report_matches_manifest(demo) -> None:
    datasets = pytest.importorskip("datasets", reason="datasets (dev extra) not installed")
    out, manifest, _ = demo
    kept = datasets.load_dataset(str(out), split="train", cache_dir=str(out.parent / ".hf"))
    assert kept.num_rows == manifest["counts"]["kept"]
    excluded = datasets.load_dataset(
        str(out), "excluded", split="train", cache_dir=str(out.parent / ".hf")
    )
    assert excluded.num_rows == sum(manifest["counts"]["excluded_by_cause"].values())
    html = (out / "report.html").read_text()
    shown = re.search(r'<strong id="kept-count">([\d,]+)</strong> kept', html)
    assert shown and int(shown.group(1).replace(",", "")) == manifest["counts"]["kept"]
    assert (out / "domains.parquet").is_file()
    assert manifest["published"]["card"] == "README.md"


def test_report_command_rebuilds_card_and_report(demo, tmp_path: Path) -> None:
    out, _, _ = demo
    (out / "README.md").unlink()
    (out / "report.html").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "report", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert (out / "README.md").is_file() and (out / "report.html").is_file()
    missing = subprocess.run(
        [sys.executable, "-m", "scrapy", "report", str(tmp_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 2 and "manifest.json" in missing.stderr


def test_progress_names_the_host_held_back_by_crawl_delay(tmp_path: Path) -> None:
    with SimWeb(_slow_web(), max_seconds=120, max_requests=500) as web:
        result = run_crawl(
            web,
            tmp_path / "slow",
            [f"http://{SLOW}/"],
            [
                "-s",
                "LOG_LEVEL=INFO",
                "-s",
                "CRAWL_PROGRESS_LOG_INTERVAL=0.5",
                "-s",
                "IMAGE_PROBE=off",
            ],
        )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if "progress" in line]
    assert lines, result.stderr[-3000:]
    assert any(f"held back: {SLOW} (" in line and "Crawl-delay 1s" in line for line in lines)
    final = next(line for line in lines if "progress (final)" in line)
    # 9 pages; the robots.txt request is a consent document, not a page (no images: no
    # ai.txt or tdmrep.json needed)
    assert "pages 9 fetched" in final and "consent docs 1," in final
    assert "Crawled" not in result.stderr  # Scrapy's LogStats line is replaced


def test_offline_regeneration_warns_writes_outputs_and_exits_3(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(demo_rows(40), source)
    out = tmp_path / "off"
    env = offline_env()  # nothing listens: offline, over both schemes
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "regenerate",
            str(source),
            "-o",
            str(out),
            "--probe",
            "off",
            "-s",
            "RETRY_TIMES=0",
            "-s",
            "DOWNLOAD_TIMEOUT=5",
            "-s",
            "CONSENTCRAWL_CONTACT_URL=http://consentcrawl.demo.test/contact",
            "-s",
            "REGEN_PROGRESS=false",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 3, result.stderr[-3000:]
    assert "offline? proxy? DNS?" in result.stderr
    assert " ERROR: " not in result.stderr  # summarised, not one ERROR line per host
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["kept"] == 0
    assert manifest["origins"]["unreachable"] == manifest["origins"]["contacted"] > 0
    assert manifest["counts"]["excluded_by_cause"]["unverifiable"] == 39
    assert "refused" not in manifest["counts"]["excluded_by_cause"]
    assert (out / "README.md").is_file() and (out / "report.html").is_file()
    # Nothing kept is still a dataset: index/ holds one empty part with the output schema.
    import pyarrow.parquet as pq

    index = pq.read_table(out / "index")
    assert index.num_rows == 0
    assert {"consent", "license"} <= set(index.schema.names)
    assert [p["rows"] for p in manifest["parts"]["index"]] == [0]


def test_regeneration_progress_advances_within_a_batch(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    source = tmp_path / "in.parquet"
    pq.write_table(demo_rows(200), source)
    with SimWeb(demo_sites(), max_seconds=120, max_requests=5000) as web:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "scrapy",
                "regenerate",
                str(source),
                "-o",
                str(tmp_path / "out"),
                "--probe",
                "off",
                "-s",
                "CONSENTCRAWL_CONTACT_URL=http://consentcrawl.demo.test/contact",
                "-s",
                "DOWNLOAD_TIMEOUT=5",
                "-s",
                "REGEN_PROGRESS_INTERVAL=0",
                "-s",
                "REGEN_ITEM_ROWS=20",
                # The item path's progress (the batch path decides a batch at once).
                "-s",
                "REGEN_BATCH_PATH=false",
                "-s",
                "LOG_LEVEL=WARNING",
            ],
            cwd=PROJECT_ROOT,
            env=web.env(),
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    done = [
        int(m.group(1).replace(",", ""))
        for m in re.finditer(r"^rows ([\d,]+)/200 ", result.stderr, re.M)
    ]
    # one batch of 200 rows (REGEN_BATCH_ROWS 10,000) in items of 20: the line moved before
    # the batch was written
    assert any(0 < n < 200 for n in done), done
    assert done[-1] == 200


def test_ctrl_c_says_what_it_waits_for_and_how_to_force(tmp_path: Path) -> None:
    import signal

    from crawler.demo import crawl_command

    out = tmp_path / "interrupted"
    web_sites = _slow_web()
    web_sites["hosts"][SLOW]["routes"]["/robots.txt"]["body"] = "User-agent: *\nCrawl-delay: 3\n"
    with SimWeb(web_sites, max_seconds=120, max_requests=500) as web:
        cmd = crawl_command(
            out,
            [f"http://{SLOW}/"],
            ["-s", "LOG_LEVEL=INFO", "-s", "CRAWL_PROGRESS_LOG_INTERVAL=0.3"],
        )
        proc = subprocess.Popen(
            cmd,
            cwd=PROJECT_ROOT,
            env=web.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        seen = []
        assert proc.stderr is not None
        for line in proc.stderr:  # wait until the slow host holds the crawl back
            seen.append(line)
            if "held back:" in line:
                break
        proc.send_signal(signal.SIGINT)
        _, rest_err = proc.communicate(timeout=120)
    stderr = "".join(seen) + rest_err
    notice = next(line for line in stderr.splitlines() if "Ctrl-C: stopping gracefully" in line)
    assert f"{SLOW} " in notice and "Crawl-delay 3s" in notice
    assert "Press Ctrl-C again to force" in notice
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["finish_reason"] == "shutdown"


def test_offline_crawl_exits_3_and_still_writes_its_outputs(tmp_path: Path) -> None:

    from crawler.demo import crawl_command

    out = tmp_path / "offline"
    env = offline_env()  # nothing listens: offline, over both schemes
    result = subprocess.run(
        crawl_command(
            out,
            ["http://one.offline.test/", "http://two.offline.test/"],
            ["-s", "RETRY_TIMES=0", "-s", "DOWNLOAD_TIMEOUT=5"],
        ),
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 3, result.stderr[-3000:]
    assert "offline? proxy? DNS?" in result.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["pages_excluded"] == 2
    assert manifest["counts"]["excluded_by_cause"] == {"unverifiable": 2}
    assert manifest["proxy"]["http_proxy"] == "http://127.0.0.1:9"
    assert re.search(r"excluded pages\s+2\s+excluded/, kind=page", result.stdout)
