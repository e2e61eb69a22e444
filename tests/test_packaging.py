"""What the wheel ships: the product packages, never test scaffolding (issue 14).

Test-only site data and helpers live under ``tests/`` (``tests/sites``, ``tests/support``); the
wheel holds ``crawler`` and ``pipelines``, including what users and ``make demo`` run (the
simulated-web server, the demo web). Both checks are static, with no build and no network:

- no product module imports ``tests`` or ``bench`` (neither is in the wheel: the import would
  fail for every user);
- no shipped module is test-only: imported by ``tests/`` or ``bench/`` but unreachable from every
  entry point of the product (Scrapy settings and the components they name, the commands and
  spider modules, ``python -m`` scripts, console scripts).

The shipped package list is the one setuptools computes from ``[tool.setuptools.packages.find]``.
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

from setuptools import find_namespace_packages, find_packages

ROOT = Path(__file__).resolve().parents[1]
DEV_ONLY = ("tests", "bench")  # in the repository, not in the wheel
PRODUCT_NAME = re.compile(r"\b(?:crawler|pipelines)(?:\.\w+)+")
DEV_TARGET = re.compile(r"(?:tests|bench)(?:\.\w+)*(?::\w+)?")


def shipped_packages() -> list[str]:
    """The packages ``pip wheel .`` puts in the wheel, found as setuptools finds them."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    # In pyproject.toml, package discovery is namespace-aware unless ``namespaces = false``.
    finder = find_namespace_packages if find.get("namespaces", True) else find_packages
    where = ROOT / find.get("where", ["."])[0]
    return finder(
        where=str(where), include=find.get("include", ["*"]), exclude=find.get("exclude", ())
    )


def modules_in(packages: Iterable[str]) -> dict[str, Path]:
    """Module name -> file for every ``.py`` file directly in the given packages."""
    out: dict[str, Path] = {}
    for package in packages:
        folder = ROOT.joinpath(*package.split("."))
        for path in folder.glob("*.py"):
            name = package if path.stem == "__init__" else f"{package}.{path.stem}"
            out[name] = path
    return out


def shipped_modules() -> dict[str, Path]:
    return modules_in(shipped_packages())


def dev_modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for top in DEV_ONLY:
        for path in (ROOT / top).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring nodes (prose may name modules without using them)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def imported_names(module: str, path: Path) -> Iterator[str]:
    """Dotted names a module imports (absolute or relative), and the dotted names in its string
    constants (Scrapy settings and ``load_object`` name components as strings)."""
    tree = _tree(path)
    docs = _docstrings(tree)
    package = module if path.stem == "__init__" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) in docs:
                continue
            yield from PRODUCT_NAME.findall(node.value)
            if DEV_TARGET.fullmatch(node.value):
                yield node.value.partition(":")[0]


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The longest known module that ``name`` (a module or ``module.attribute``) lies in."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def entry_points(shipped: dict[str, Path]) -> set[str]:
    """Modules the product starts from."""
    from crawler import settings

    roots = {"crawler.settings"}
    # Scrapy imports every module of the command and spider packages.
    for package in [settings.COMMANDS_MODULE, *settings.SPIDER_MODULES]:
        roots |= {m for m in shipped if m == package or m.startswith(f"{package}.")}
    # ``python -m`` scripts (make demo, make docs-screenshot, the simweb server).
    for module, path in shipped.items():
        tests = [node.test for node in _tree(path).body if isinstance(node, ast.If)]
        if any("__main__" in ast.unparse(test) for test in tests):
            roots.add(module)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = [project.get("scripts", {}), *project.get("entry-points", {}).values()]
    for group in groups:
        for target in group.values():
            roots.add(target.partition(":")[0])
    return roots


def reachable(roots: Iterable[str], modules: dict[str, Path]) -> set[str]:
    seen: set[str] = set()
    todo = [r for r in roots if r in modules]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        imported = [_resolve(n, modules) for n in imported_names(module, modules[module])]
        todo += [m for m in [*parents, *imported] if m is not None and m not in seen]
    return seen


def test_the_shipped_list_is_the_product() -> None:
    shipped = shipped_modules()
    assert {"crawler.settings", "crawler.simweb.server", "crawler.demo", "pipelines.writer"} <= set(
        shipped
    )
    assert not [m for m in shipped if m.split(".")[0] in DEV_ONLY]
    # the test scaffolding moved out of the package is under tests/ now
    dev = dev_modules()
    assert {"tests.sites.signalweb", "tests.support.redisserver", "tests.support.workers"} <= set(
        dev
    )


def test_no_product_module_imports_tests_or_bench() -> None:
    offenders = []
    for module, path in sorted(shipped_modules().items()):
        for name in imported_names(module, path):
            if name.split(".")[0] in DEV_ONLY:
                offenders.append(f"{module} -> {name}")
    assert offenders == [], "the wheel has no tests/ or bench/: " + ", ".join(offenders)


def test_no_shipped_module_is_test_only() -> None:
    shipped = shipped_modules()
    live = reachable(entry_points(shipped), shipped)
    assert "pipelines.writer" in live and "crawler.simweb.server" in live  # the walk works
    used_by_dev: dict[str, set[str]] = {}
    for module, path in dev_modules().items():
        for name in imported_names(module, path):
            target = _resolve(name, shipped)
            if target is not None:
                used_by_dev.setdefault(target, set()).add(module)
    test_only = {m: sorted(users) for m, users in used_by_dev.items() if m not in live}
    assert test_only == {}, (
        "shipped modules only tests/ or bench/ use (move them under tests/): " + repr(test_only)
    )
