"""The API tests' fake searcher and request helpers (the API's one injection point)."""

from __future__ import annotations

import io
import threading
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image

from hybrid.images import ImageLimits, load_image
from hybrid.query.request import SearchRequest
from hybrid.settings import Settings

MAX_IMAGE = 40_000

RESPONSE: dict[str, Any] = {
    "took": 3,
    "timed_out": False,
    "hits": {
        "total": {"value": 1, "relation": "gte"},
        "max_score": 0.5,
        "hits": [{"_index": "products", "_id": "sku-1", "_score": 0.5, "_source": {"id": "sku-1"}}],
    },
    "understanding": {"mode": "boost"},
    "fusion": {"method": "rrf", "legs": {"bm25": 1}},
}


class FakeSearcher:
    """Records requests; decodes images like the real executor; can fail or hang on demand."""

    def __init__(self, settings: Settings) -> None:
        self.limits = ImageLimits.from_settings(settings)
        self.requests: list[SearchRequest] = []
        self.error: Exception | None = None
        self.release = threading.Event()
        self.hang = False

    def search(self, request: SearchRequest) -> dict[str, Any]:
        self.requests.append(request)
        if self.hang:
            self.release.wait(10)
        if self.error is not None:
            raise self.error
        if request.image is not None:
            load_image(request.image, root=None, limits=self.limits)
        return RESPONSE


def png(colour: tuple[int, int, int] = (200, 30, 30), size: int = 32) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def post_json(client: TestClient, path: str, body: str) -> Any:
    return client.post(path, content=body, headers={"content-type": "application/json"})


def assert_error(response: Any, status: int, code: str, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code
    for fragment in fragments:
        assert fragment in body["detail"]
    return body
