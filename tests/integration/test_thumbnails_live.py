"""GET /thumbnails/{id} on the real Elasticsearch: only images a stored document names, loaded
under the image root's rules; never another file."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from PIL import Image
from support.catalogue import catalogue

from hybrid import es as es_ops
from hybrid.api import create_app
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.validation import validate_records
from hybrid.settings import Settings


@pytest.fixture
def indexed(settings: Settings, es: Elasticsearch, test_images: Path) -> Settings:
    """Three demo products, and three documents written straight to the index whose image
    references point outside the image root (what ingestion would refuse to store)."""
    valid, invalid = validate_records(catalogue(test_images, 3, seed=5))
    assert not invalid
    ingestor = Ingestor(settings)
    ingestor.ensure_index()
    assert len(ingestor.process(valid).indexed) == 3
    (test_images.parent / "secret.txt").write_text("root:x:0:0 not an image")
    escapes = {
        "evil-dots": "../../../../../../etc/passwd",
        "evil-absolute": "/etc/passwd",
        "evil-text": "secret.txt",  # inside the root, but not an image
    }
    for product_id, path in escapes.items():
        es.index(
            index=settings.index_alias,
            id=product_id,
            document={"id": product_id, "title": product_id, "images": [path]},
        )
    es_ops.refresh(es, settings.index_alias)
    return settings


@pytest.fixture
def client(indexed: Settings) -> Iterator[TestClient]:
    settings = indexed.model_copy(update={"api_anonymous_search": True, "warm_up": False})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_product_image_comes_back_as_a_small_jpeg(client: TestClient, test_images: Path) -> None:
    response = client.get("/thumbnails/sku-000001")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    with Image.open(test_images / "images" / "sku-000001.png") as original:
        shape = original.size[0] / original.size[1]
    assert image.format == "JPEG" and max(image.size) <= 320
    assert image.size[0] / image.size[1] == pytest.approx(shape, rel=0.02)


@pytest.mark.parametrize("product_id", ["evil-dots", "evil-absolute", "evil-text"])
def test_a_stored_reference_outside_the_rules_is_refused(
    client: TestClient, product_id: str
) -> None:
    response = client.get(f"/thumbnails/{product_id}")
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "image_rejected"
    assert response.headers["content-type"] == "application/json"
    # Neither the file's bytes nor where it is: the reason only.
    assert "root:" not in response.text and "/etc" not in response.text
    assert "/tmp" not in response.text


def test_unknown_products_and_positions_are_404(client: TestClient) -> None:
    assert client.get("/thumbnails/sku-nope").status_code == 404
    missing = client.get("/thumbnails/sku-000001", params={"n": 1})
    assert missing.status_code == 404 and "no image at position 1" in missing.json()["detail"]
