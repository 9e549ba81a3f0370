"""hybrid.api.page: the search page and its files are served to anyone, and need nothing online."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hybrid.api import create_app
from hybrid.api.page import STATIC_DIR
from hybrid.settings import Settings
from hybrid.stack import procs


@pytest.fixture
def anonymous() -> Iterator[TestClient]:
    """An app with no key configured and anonymous search off: every data route says 401."""
    settings = Settings(es_url=f"http://127.0.0.1:{procs.free_port()}", warm_up=False)
    with TestClient(create_app(settings)) as client:
        yield client


def test_the_page_and_its_files_need_no_key(anonymous: TestClient) -> None:
    page = anonymous.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>Product search</title>" in page.text
    for path, kind in (("/static/app.js", "javascript"), ("/static/style.css", "text/css")):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert kind in response.headers["content-type"]
    # ...while what the page calls still needs the search scope: the page says how to open it.
    assert anonymous.post("/search", json={"text": "bag"}).status_code == 401
    assert anonymous.get("/thumbnails/sku-1").status_code == 401
    assert "HYBRID_API_ANONYMOUS_SEARCH" in anonymous.get("/static/app.js").text


def test_static_files_cannot_be_left_by_path_traversal(anonymous: TestClient) -> None:
    for path in ("/static/../page.py", "/static/%2e%2e/page.py", "/static/..%2fpage.py"):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert "install_page" not in response.text


def test_the_page_loads_nothing_from_another_origin() -> None:
    """Works offline: every src/href/url() and fetch is a path on the API itself."""
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        assert not re.search(r"(https?:)?//[a-z0-9]", text, flags=re.IGNORECASE), path.name
        for reference in re.findall(r'(?:src|href)="([^"]+)"', text):
            assert reference.startswith("/"), (path.name, reference)


def test_the_page_is_not_in_the_openapi_schema(anonymous: TestClient) -> None:
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert "/thumbnails/{product_id}" in paths
