"""Only hybrid/es/ imports ``elasticsearch``: every other module goes through it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _imports_elasticsearch(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        if any(name == "elasticsearch" or name.startswith("elasticsearch.") for name in names):
            lines.append(node.lineno)
    return lines


def offenders(root: Path) -> list[str]:
    """``path:line`` of every import of elasticsearch under hybrid/ and workers/, outside es/."""
    found = []
    for package in ("hybrid", "workers"):
        for path in sorted((root / package).rglob("*.py")):
            if (root / "hybrid" / "es") in path.parents:
                continue
            for line in _imports_elasticsearch(path.read_text()):
                found.append(f"{path.relative_to(root)}:{line}")
    return found


def test_only_hybrid_es_imports_elasticsearch() -> None:
    assert offenders(ROOT) == []


def test_the_check_finds_a_violation(tmp_path: Path) -> None:
    (tmp_path / "hybrid" / "es").mkdir(parents=True)
    (tmp_path / "workers").mkdir()
    (tmp_path / "hybrid" / "es" / "ok.py").write_text("from elasticsearch import helpers\n")
    (tmp_path / "hybrid" / "bad.py").write_text(
        "import os\nfrom elasticsearch.helpers import scan\n"
    )
    (tmp_path / "workers" / "bad.py").write_text("import elasticsearch\n")
    assert offenders(tmp_path) == ["hybrid/bad.py:2", "workers/bad.py:1"]
