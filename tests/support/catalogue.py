"""Generated demo records for integration tests, with image paths under the session image root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.demo.catalog import iter_records, write_catalog
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.validation import validate_records
from hybrid.settings import Settings


def catalogue(test_images: Path, n: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` generated records whose image paths are relative to the session's image root."""
    write_catalog(test_images, n, seed)
    records = list(iter_records(test_images))
    for record in records:
        record["images"] = [f"{test_images.name}/{path}" for path in record["images"]]
    return records


def index_demo_products(
    settings: Settings, es: Elasticsearch, root: Path, n: int, *, seed: int
) -> None:
    """``n`` demo products with images under ``root``, written inline into ``settings``' index."""
    write_catalog(root, n, seed=seed)
    records = list(iter_records(root))
    for record in records:
        record["images"] = [f"{root.name}/{path}" for path in record["images"]]
    valid, invalid = validate_records(records)
    assert not invalid
    ingestor = Ingestor(settings)
    ingestor.ensure_index()
    assert len(ingestor.process(valid).indexed) == n
    es_ops.refresh(es, settings.index_alias)
