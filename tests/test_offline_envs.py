"""No test may reach a public host: a subprocess environment that drops the proxy variables must
set both schemes again (tests.support.cli.offline_env, or a local server of the test's own).

The one exception resolves names on purpose: tests/guard/test_resolver.py crawls without a proxy
so that only the guarded resolver stands between the crawler and 127.0.0.1, and its seeds are
spellings of the loopback address that glibc resolves without a DNS query.
"""

from __future__ import annotations

import re
from pathlib import Path

TESTS = Path(__file__).resolve().parent
DIRECT_BY_DESIGN = {"guard/test_resolver.py"}
# An environment built from os.environ without its proxy variables.
DROPS_PROXIES = re.compile(
    r"""proxy["']\s+not\s+in\s+\w+\.lower\(\)|endswith\(\s*["']_proxy["']\s*\)"""
)
SETS_BOTH = (re.compile(r"""["']http_proxy["']"""), re.compile(r"""["']https_proxy["']"""))


def offenders(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        name = path.relative_to(root).as_posix()
        if name in DIRECT_BY_DESIGN or name == "test_offline_envs.py":
            continue
        text = path.read_text(encoding="utf-8")
        if DROPS_PROXIES.search(text) and not all(p.search(text) for p in SETS_BOTH):
            found.append(name)
    return found


def test_no_test_environment_drops_the_proxies_without_setting_both_schemes() -> None:
    assert offenders(TESTS) == []


def test_the_check_finds_an_environment_without_proxies(tmp_path: Path) -> None:
    (tmp_path / "test_direct.py").write_text(
        "env = {k: v for k, v in os.environ.items() if not k.lower().endswith('_proxy')}\n"
    )
    (tmp_path / "test_offline.py").write_text(
        "env = {k: v for k, v in os.environ.items() if 'proxy' not in k.lower()}\n"
        "env['http_proxy'] = env['https_proxy'] = DEAD\n"
    )
    assert offenders(tmp_path) == ["test_direct.py"]
