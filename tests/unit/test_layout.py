"""The layout rules of docs/architecture.md, checked on the source tree.

Production code never imports demo tooling, the evaluation harness or the CLI; ``hybrid`` never
imports ``workers``; no module grows past 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOOLING = ("hybrid.demo", "hybrid.evaluation", "hybrid.cli")
MAX_LINES = 400


def _module(path: Path, root: Path) -> str:
    return ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _within(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def violations(root: Path) -> list[str]:
    """Every import that breaks the direction rules, as ``module -> imported``."""
    found = []
    for path in sorted(root.glob("hybrid/**/*.py")):
        module = _module(path, root)
        for name in _imports(path):
            if _within(name, TOOLING) and not _within(module, TOOLING):
                found.append(f"{module} -> {name}")
            if _within(name, ("workers",)):
                found.append(f"{module} -> {name}")
    return found


def oversized(root: Path) -> list[str]:
    """Modules of hybrid/ and workers/ over :data:`MAX_LINES` lines."""
    paths = [*root.glob("hybrid/**/*.py"), *root.glob("workers/**/*.py")]
    return [
        f"{p.relative_to(root)}: {n}"
        for p in sorted(paths)
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    ]


def test_production_code_never_imports_tooling_or_workers() -> None:
    assert violations(ROOT) == []


def test_no_module_is_over_400_lines() -> None:
    assert oversized(ROOT) == []


def test_the_checks_find_what_they_look_for(tmp_path: Path) -> None:
    (tmp_path / "hybrid" / "query").mkdir(parents=True)
    (tmp_path / "hybrid" / "demo").mkdir()
    (tmp_path / "workers").mkdir()
    (tmp_path / "hybrid" / "query" / "bad.py").write_text("from hybrid.demo.catalog import x\n")
    (tmp_path / "hybrid" / "demo" / "ok.py").write_text("from hybrid.cli import app\n")
    (tmp_path / "hybrid" / "worse.py").write_text("import workers.tasks\n")
    (tmp_path / "workers" / "big.py").write_text("x = 1\n" * 401)
    assert violations(tmp_path) == [
        "hybrid.query.bad -> hybrid.demo.catalog",
        "hybrid.worse -> workers.tasks",
    ]
    assert oversized(tmp_path) == ["workers/big.py: 401"]
