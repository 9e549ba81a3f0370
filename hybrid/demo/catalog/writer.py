"""Writing a demo catalogue to disk.

A catalogue directory holds::

    products.jsonl   the ingestion records, one per line
    truth.jsonl      the ground truth per product (never shown to the search engine)
    queries.jsonl    the judged query set
    images/          one PNG per product (``images/sku-000001.png``)

Everything streams: a million records are written without holding them in memory. With
``with_images=False`` the records still name their image paths; :func:`write_images` draws the
missing images later from ``truth.jsonl``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from hybrid.demo.catalog.generate import iter_truths
from hybrid.demo.catalog.plan import QUERY_TYPES, plan_queries, queries_per_type
from hybrid.demo.catalog.queries import judge_queries, write_queries
from hybrid.demo.catalog.records import image_path, iter_products
from hybrid.demo.catalog.render import MIN_IMAGE_SIZE, render_image
from hybrid.demo.catalog.truth import ProductTruth, read_truth
from hybrid.errors import InvalidRequestError

PRODUCTS_FILE = "products.jsonl"
TRUTH_FILE = "truth.jsonl"
QUERIES_FILE = "queries.jsonl"
IMAGES_DIR = "images"

# Queries are planned from this many leading products: enough variety, bounded memory.
_PLAN_SAMPLE_SIZE = 2000


@dataclass(frozen=True)
class CatalogSummary:
    """What :func:`write_catalog` wrote.

    Attributes:
        out_dir: the catalogue directory.
        seed: the seed used.
        products: how many products.
        groups: how many variant groups.
        images: how many images were drawn.
        queries: how many judged queries per type.
        seconds: wall time taken.
    """

    out_dir: Path
    seed: int
    products: int
    groups: int
    images: int
    queries: dict[str, int]
    seconds: float

    def line(self) -> str:
        """A one-line human summary."""
        per_type = ", ".join(f"{count} {kind}" for kind, count in self.queries.items())
        return (
            f"wrote {self.products} products in {self.groups} groups, {self.images} images, "
            f"{sum(self.queries.values())} queries ({per_type}) to {self.out_dir} "
            f"(seed {self.seed}, {self.seconds:.1f} s)"
        )


def write_catalog(
    out_dir: Path,
    n: int,
    seed: int,
    *,
    with_images: bool = True,
    image_size: int = 128,
) -> CatalogSummary:
    """Generate a demo catalogue of ``n`` products into ``out_dir``.

    The same ``(n, seed, image_size)`` writes byte-identical files. Existing files of the same
    names are overwritten; other files in ``out_dir`` are left alone. Each query keeps at most
    ``DEFAULT_MAX_JUDGMENTS`` judgments, best grades first, which bounds memory at 1M products.

    Args:
        out_dir: the catalogue directory, created if missing.
        n: how many products.
        seed: fixes every random choice.
        with_images: draw the product images now (False for very large catalogues).
        image_size: the side of the square images in pixels.

    Raises:
        InvalidRequestError: if ``n`` is negative or ``image_size`` too small.
    """
    started = time.perf_counter()
    if with_images and image_size < MIN_IMAGE_SIZE:
        raise InvalidRequestError(
            f"image size is {image_size} px; the minimum is {MIN_IMAGE_SIZE} px"
        )
    products = iter_products(n, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    if with_images:
        (out_dir / IMAGES_DIR).mkdir(exist_ok=True)
    size = image_size if with_images else None
    sample, groups, images = _write_products(out_dir, products, image_size=size)
    specs = plan_queries(sample, seed=seed, per_type=queries_per_type(n))
    judged = judge_queries(specs, iter_truths(n, seed))
    write_queries(out_dir / QUERIES_FILE, judged)
    counts: dict[str, int] = {kind: sum(q.type == kind for q in judged) for kind in QUERY_TYPES}
    return CatalogSummary(
        out_dir=out_dir,
        seed=seed,
        products=n,
        groups=groups,
        images=images,
        queries=counts,
        seconds=time.perf_counter() - started,
    )


def write_images(out_dir: Path, *, image_size: int = 128, overwrite: bool = False) -> int:
    """Draw the images of a catalogue written without them, from its ``truth.jsonl``.

    Args:
        out_dir: the catalogue directory.
        image_size: the side of the square images in pixels.
        overwrite: redraw images that already exist.

    Returns:
        How many images were drawn.
    """
    (out_dir / IMAGES_DIR).mkdir(exist_ok=True)
    drawn = 0
    for truth in read_truth(out_dir / TRUTH_FILE):
        if overwrite or not (out_dir / image_path(truth.id)).exists():
            _save_image(out_dir, truth, size=image_size)
            drawn += 1
    return drawn


def iter_records(out_dir: Path) -> Iterator[dict[str, Any]]:
    """Stream the records of a catalogue's ``products.jsonl``."""
    with (out_dir / PRODUCTS_FILE).open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _write_products(
    out_dir: Path,
    products: Iterator[tuple[dict[str, Any], ProductTruth]],
    *,
    image_size: int | None,
) -> tuple[list[ProductTruth], int, int]:
    """Stream records, truths and images to disk; return the planning sample and counts."""
    sample: list[ProductTruth] = []
    groups = images = 0
    last_group = ""
    with _open(out_dir / PRODUCTS_FILE) as records, _open(out_dir / TRUTH_FILE) as truths:
        for record, truth in products:
            records.write(_json_line(record))
            truths.write(_json_line(truth.to_dict()))
            groups += truth.group_id != last_group
            last_group = truth.group_id
            if len(sample) < _PLAN_SAMPLE_SIZE:
                sample.append(truth)
            if image_size is not None:
                _save_image(out_dir, truth, size=image_size)
                images += 1
    return sample, groups, images


def _save_image(out_dir: Path, truth: ProductTruth, *, size: int) -> None:
    # PNG without metadata or optimisation passes: the same pixels give the same bytes.
    render_image(truth, size).save(out_dir / image_path(truth.id), format="PNG")


def _open(path: Path) -> TextIO:
    return path.open("w", encoding="utf-8", newline="\n")


def _json_line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"
