"""hybrid.api.openapi: the documented request and response models."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient


def test_openapi_documents_request_and_response_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert {"SearchRequest", "Filters", "ImageRef", "ProductRecord", "SearchResponse"} <= set(
        schemas
    )
    search = spec["paths"]["/search"]["post"]
    body_schema = search["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema == {"$ref": "#/components/schemas/SearchRequest"}
    assert search["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SearchResponse"
    }
    assert {"413", "422", "503", "504"} <= set(search["responses"])
    assert set(spec["paths"]) >= {
        "/search",
        "/search/image",
        "/health",
        "/products",
        "/products/{product_id}",
    }
    refs = json.dumps(spec)
    for ref in set(part.split('"')[0] for part in refs.split("#/components/schemas/")[1:]):
        assert ref in schemas, f"dangling $ref {ref}"
