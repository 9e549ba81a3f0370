"""The in-process app with a fake searcher; Elasticsearch and Redis on closed ports.

The ``client`` presents a key with every scope: these tests are about what the routes do;
who may call them is tests/unit/api/test_auth_matrix.py's subject.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from support.api import MAX_IMAGE, FakeSearcher
from support.apikeys import auth_header, configured

from hybrid.api import create_app
from hybrid.settings import Settings
from hybrid.stack import procs


@pytest.fixture
def settings() -> Settings:
    return Settings(
        es_url=f"http://127.0.0.1:{procs.free_port()}",
        redis_url=f"redis://127.0.0.1:{procs.free_port()}/0",
        max_image_bytes=MAX_IMAGE,
        search_timeout=3.0,
        max_size=50,
        max_num_candidates=500,
        api_keys=configured(),
    )


@pytest.fixture
def fake(settings: Settings) -> Iterator[FakeSearcher]:
    searcher = FakeSearcher(settings)
    yield searcher
    searcher.release.set()  # let a hung search thread finish


@pytest.fixture
def client(settings: Settings, fake: FakeSearcher) -> Iterator[TestClient]:
    app = create_app(settings, service=fake)
    with TestClient(app, headers=auth_header("all")) as test_client:
        yield test_client
