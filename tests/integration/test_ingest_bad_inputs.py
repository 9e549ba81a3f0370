"""Every class of bad input, through the inline pipeline into the real index: the good product of
the batch is indexed, the bad one lands in ``<alias>-rejects`` with its stage and reason."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from PIL import Image
from rich.console import Console
from support.http import png_handler, serving

from hybrid import es as es_ops
from hybrid.demo.catalog import iter_records, write_catalog
from hybrid.indexing.producer import IngestReport, ingest_inline
from hybrid.mapping import rejects_index
from hybrid.settings import Settings

PNG_SIDE = 1200  # with max_image_pixels = 1_000_000 below, too many pixels


def _png(size: tuple[int, int] = (64, 64)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _truncated_png() -> bytes:
    """A noisy photo (so the pixel data is long) cut off half way through its pixel data."""
    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 60).convert("RGB").save(buffer, format="PNG")
    data = buffer.getvalue()
    return data[: len(data) // 2]


def _tiff() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (20, 30, 200)).save(buffer, format="TIFF")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def image_server() -> Iterator[str]:
    """A loopback HTTP server answering every GET with a PNG (a private address)."""
    with serving(png_handler(_png())) as url:
        yield url


def _file(name: str, data: bytes) -> Callable[[Path], str]:
    def write(test_images: Path) -> str:
        (test_images / name).write_bytes(data)
        return f"{test_images.name}/{name}"

    return write


# case: (how to make the bad record's image reference, expected stage, expected reason)
IMAGE_CASES: dict[str, tuple[Callable[[Path], str], str]] = {
    "truncated": (_file("truncated.png", _truncated_png()), "corrupt"),
    "not_an_image": (
        _file("notes.png", b"these are not the pixels you want\n"),
        "unsupported_format",
    ),
    "unsupported_format": (_file("photo.tiff", _tiff()), "unsupported_format"),
    "too_many_pixels": (_file("huge.png", _png((PNG_SIDE, PNG_SIDE))), "too_many_pixels"),
    "path_traversal": (lambda d: f"{d.name}/../../../../etc/hostname", "path_outside_root"),
    "missing_file": (lambda d: f"{d.name}/nowhere.png", "not_found"),
    "metadata_address": (lambda d: "http://169.254.169.254/latest/meta-data", "forbidden_address"),
}


def _good_record(test_images: Path) -> dict[str, Any]:
    write_catalog(test_images, 1, 3)
    record = next(iter_records(test_images))
    record["images"] = [f"{test_images.name}/{path}" for path in record["images"]]
    return record


def _ingest(settings: Settings, test_images: Path, records: list[dict[str, Any]]) -> IngestReport:
    feed = test_images / "feed.jsonl"
    feed.write_text("".join(json.dumps(record) + "\n" for record in records))
    return ingest_inline(settings, feed, console=Console(quiet=True))


def _only_reject(es: Elasticsearch, alias: str) -> dict[str, Any]:
    es_ops.refresh(es, alias, rejects_index(alias))
    hits = es.search(index=rejects_index(alias))["hits"]["hits"]
    assert len(hits) == 1, hits
    source: dict[str, Any] = hits[0]["_source"]
    return source


@pytest.mark.parametrize("case", sorted(IMAGE_CASES))
def test_a_bad_image_is_rejected_with_its_reason(
    case: str, settings: Settings, es: Elasticsearch, test_images: Path
) -> None:
    settings = settings.model_copy(update={"max_image_pixels": 1_000_000})
    make_ref, reason = IMAGE_CASES[case]
    good = _good_record(test_images)
    bad = {**good, "id": f"bad-{case}", "images": [make_ref(test_images)]}
    report = _ingest(settings, test_images, [good, bad])
    assert report.indexed == 1
    assert [(r["id"], r["stage"], r["reason"]) for r in report.rejected] == [
        (bad["id"], "image", reason)
    ]
    reject = _only_reject(es, settings.index_alias)
    assert (reject["product_id"], reject["stage"], reject["reason"]) == (bad["id"], "image", reason)
    assert bad["id"] in reject["message"]
    assert es_ops.count(es, settings.index_alias) == 1


def test_a_private_address_is_refused_unless_the_settings_allow_it(
    settings: Settings, es: Elasticsearch, test_images: Path, image_server: str
) -> None:
    good = _good_record(test_images)
    remote = {**good, "id": "remote", "images": [f"{image_server}/remote.png"]}
    strict = settings.model_copy(update={"image_allow_private_networks": False})
    report = _ingest(strict, test_images, [good, remote])
    assert [(r["id"], r["reason"]) for r in report.rejected] == [("remote", "forbidden_address")]
    assert "127.0.0.1" in _only_reject(es, settings.index_alias)["message"]
    # The same record with the settings of an intranet deployment is fetched and indexed.
    report = _ingest(settings, test_images, [remote])
    assert (report.indexed, report.rejected) == (1, [])
    assert es.exists(index=settings.index_alias, id="remote")


def test_an_invalid_record_is_rejected_at_validation(
    settings: Settings, es: Elasticsearch, test_images: Path
) -> None:
    good = _good_record(test_images)
    invalid = {**good, "id": "bad-record", "price": -3, "colourway": "red"}
    report = _ingest(settings, test_images, [good, invalid])
    assert report.indexed == 1
    reject = _only_reject(es, settings.index_alias)
    assert (reject["product_id"], reject["stage"], reject["reason"]) == (
        "bad-record",
        "validate",
        "invalid_record",
    )
    assert "price: Input should be greater than or equal to 0" in reject["message"]
    assert "colourway: unknown field" in reject["message"]
    assert reject["record"]["colourway"] == "red"  # the raw record is kept for a fix and replay
