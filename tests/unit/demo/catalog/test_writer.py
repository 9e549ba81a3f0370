"""Tests for writing a catalogue directory and the ``catalog`` command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from PIL import Image
from typer.testing import CliRunner

from hybrid.cli.catalog import catalog_app
from hybrid.demo.catalog import (
    iter_records,
    iter_truths,
    load_queries,
    read_truth,
    write_catalog,
    write_images,
)
from hybrid.errors import InvalidRequestError

N = 60
SIZE = 32


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_a_catalogue_has_records_truth_queries_and_images(tmp_path: Path) -> None:
    summary = write_catalog(tmp_path, N, 3, image_size=SIZE)
    records = list(iter_records(tmp_path))
    assert [r["id"] for r in records] == [f"sku-{i:06d}" for i in range(1, N + 1)]
    assert [t.id for t in read_truth(tmp_path / "truth.jsonl")] == [r["id"] for r in records]
    assert list(read_truth(tmp_path / "truth.jsonl")) == list(iter_truths(N, 3))
    for record in records:
        with Image.open(tmp_path / record["images"][0]) as image:
            assert image.size == (SIZE, SIZE)
    queries = load_queries(tmp_path / "queries.jsonl")
    assert summary.products == N == summary.images
    assert summary.groups == len({r["group_id"] for r in records})
    assert summary.queries == {
        kind: sum(q.type == kind for q in queries) for kind in summary.queries
    }
    assert sum(summary.queries.values()) == len(queries) > 0
    assert f"{N} products" in summary.line()


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    write_catalog(tmp_path / "a", N, 3, image_size=SIZE)
    write_catalog(tmp_path / "b", N, 3, image_size=SIZE)
    write_catalog(tmp_path / "c", N, 4, image_size=SIZE)
    first = _files(tmp_path / "a")
    assert len(first) == N + 3
    assert first == _files(tmp_path / "b")
    other = _files(tmp_path / "c")
    assert first["products.jsonl"] != other["products.jsonl"]
    assert first["images/sku-000001.png"] != other["images/sku-000001.png"]


def test_without_images_the_images_can_be_drawn_later_identically(tmp_path: Path) -> None:
    write_catalog(tmp_path / "eager", N, 8, image_size=SIZE)
    summary = write_catalog(tmp_path / "lazy", N, 8, with_images=False)
    assert summary.images == 0
    assert not (tmp_path / "lazy" / "images").exists()
    eager = _files(tmp_path / "eager")
    lazy = tmp_path / "lazy"
    assert _files(lazy)["products.jsonl"] == eager["products.jsonl"]
    assert write_images(lazy, image_size=SIZE) == N
    assert write_images(lazy, image_size=SIZE) == 0  # already there
    assert _files(lazy) == eager


def test_a_too_small_image_size_is_rejected_before_anything_is_written(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match="minimum is 16"):
        write_catalog(tmp_path / "out", 5, 1, image_size=4)
    assert not (tmp_path / "out").exists()


def test_cli_generate_writes_a_catalogue_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "cat"
    args = ["generate", "--n", "30", "--seed", "2", "--out", str(out), "--no-images"]
    result = CliRunner().invoke(catalog_app, args)
    assert result.exit_code == 0, result.output
    assert "30 products" in result.output
    lines = (out / "products.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30
    assert json.loads(lines[0])["id"] == "sku-000001"


def test_cli_rejects_a_negative_catalogue_size(tmp_path: Path) -> None:
    args = ["generate", "--n", "-1", "--out", str(tmp_path / "cat")]
    result = CliRunner().invoke(catalog_app, args)
    assert result.exit_code != 0
    assert not (tmp_path / "cat").exists()


def test_cli_images_draws_a_lazy_catalogue_when_mounted_as_a_sub_command(tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(catalog_app, name="catalog")
    out = str(tmp_path / "cat")
    runner = CliRunner()
    generated = runner.invoke(
        root, ["catalog", "generate", "--n", "5", "--out", out, "--no-images"]
    )
    assert generated.exit_code == 0, generated.output
    drawn = runner.invoke(root, ["catalog", "images", "--out", out, "--image-size", "16"])
    assert drawn.exit_code == 0, drawn.output
    assert "drew 5 images" in drawn.output
    assert len(list((tmp_path / "cat" / "images").glob("*.png"))) == 5
