"""``hybrid eval`` helpers that need no server: finding or generating the catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from hybrid.cli.eval import ensure_catalog
from hybrid.errors import InvalidRequestError


def test_a_missing_catalogue_without_generate_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="pass --generate N"):
        ensure_catalog(tmp_path / "none", generate=None, seed=7, console=Console(quiet=True))


def test_a_missing_catalogue_is_generated_once(tmp_path: Path) -> None:
    catalog = tmp_path / "cat"
    ensure_catalog(catalog, generate=12, seed=3, console=Console(quiet=True))
    products = (catalog / "products.jsonl").read_text()
    assert len(products.splitlines()) == 12
    assert (catalog / "queries.jsonl").is_file()
    # Present now: a different size is not regenerated over it.
    ensure_catalog(catalog, generate=20, seed=3, console=Console(quiet=True))
    assert (catalog / "products.jsonl").read_text() == products
