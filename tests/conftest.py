"""Session fixtures: a real Elasticsearch and Redis on free loopback ports.

Never the user's 9200/6379. Each test gets its own index name, deleted afterwards. When a service
cannot start, the test run fails with the reason under ``CI=true`` and skips with it locally.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from hybrid.errors import HybridSearchError, StackError
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node
from hybrid.stack import procs
from hybrid.stack import redis as redis_node

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_DIR = Path(__file__).parent
# Session-scoped services live in a world-traversable temp dir: as root, ES runs as another user.
_SCRATCH_ROOT = Path(tempfile.gettempdir())


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/integration is marked ``integration``."""
    for item in items:
        if "integration" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach a model hub: every model is local (the demo CLIP) or must fail."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


def service_unavailable(what: str, exc: BaseException) -> None:
    """Fail under CI (a missing service is a failure there), skip with the reason locally."""
    message = f"{what} could not start: {exc}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _scratch_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=_SCRATCH_ROOT))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="session")
def base_settings() -> Settings:
    """Settings shared by the session's services (the ES distribution cache is the user's)."""
    return Settings()


@pytest.fixture(scope="session")
def es_node_handle(base_settings: Settings) -> Iterator[es_node.EsNode]:
    """The session's Elasticsearch node itself (for tests that stop and restart it)."""
    node = es_node.EsNode(
        instance_dir=_scratch_dir("hybrid-test-es-"),
        http_port=procs.free_port(),
        transport_port=procs.free_port(),
        heap="512m",
        cluster_name="hybrid-test",
    )
    try:
        es_node.start(node, base_settings)
    except HybridSearchError as exc:
        es_node.stop(node)
        service_unavailable("Elasticsearch", exc)
    yield node
    es_node.stop(node)
    shutil.rmtree(node.instance_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def es_url(es_node_handle: es_node.EsNode) -> str:
    """URL of the real single-node Elasticsearch started for this test session."""
    return es_node_handle.url


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """URL of a real Redis (no persistence) started for this test session."""
    node = redis_node.RedisNode(_scratch_dir("hybrid-test-redis-"), procs.free_port(), False)
    try:
        redis_node.start(node)
    except HybridSearchError as exc:
        service_unavailable("Redis", exc)
    yield node.url
    redis_node.stop(node)
    shutil.rmtree(node.instance_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def es(es_url: str) -> Iterator[Elasticsearch]:
    """A client for the session's Elasticsearch."""
    client = Elasticsearch(es_url, request_timeout=60)
    yield client
    client.close()


@pytest.fixture
def index_name(es: Elasticsearch) -> Iterator[str]:
    """A fresh index (or alias) name for one test; everything under it is deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    # ES 9 refuses wildcard deletes (action.destructive_requires_name): resolve names first.
    found = es.indices.get(index=f"{name}*", expand_wildcards="all", allow_no_indices=True)
    for index in found:
        es.options(ignore_status=404).indices.delete(index=index)
    templates = es.options(ignore_status=404).indices.get_index_template(name=f"{name}*")
    for template in (
        templates.body.get("index_templates", []) if templates.meta.status == 200 else []
    ):
        es.indices.delete_index_template(name=template["name"])


@pytest.fixture(scope="session")
def image_root() -> Iterator[Path]:
    """The image root shared by the session's worker and the tests (one subdirectory a test)."""
    path = _scratch_dir("hybrid-test-images-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def test_images(image_root: Path, index_name: str) -> Path:
    """This test's own directory under the shared image root."""
    path = image_root / index_name
    path.mkdir()
    return path


@pytest.fixture
def settings(es_url: str, redis_url: str, index_name: str, image_root: Path) -> Settings:
    """Settings pointing at the session's services, with this test's own index and queue."""
    return Settings(
        es_url=es_url,
        redis_url=redis_url,
        index_alias=index_name,
        ingest_queue=f"q-{index_name}",
        home=image_root / ".home",
        model="demo",
        image_root=image_root,
        image_allow_private_networks=True,
        max_retries=30,
        retry_backoff_max=2,
    )


@dataclass
class WorkerProcess:
    """A real ``celery worker`` process serving the session; tests add their own queues."""

    process: subprocess.Popen[bytes]
    name: str
    log: Path


@pytest.fixture(scope="session")
def celery_worker(es_url: str, redis_url: str, image_root: Path) -> Iterator[WorkerProcess]:
    """Start one real Celery worker process (prefork, concurrency 1) for the session."""
    from hybrid.stack.worker import start_worker

    name = f"test-{uuid.uuid4().hex[:8]}@localhost"
    log = image_root / "worker.log"
    worker_settings = Settings(
        es_url=es_url,
        redis_url=redis_url,
        model="demo",
        image_root=image_root,
        image_allow_private_networks=True,
        max_retries=30,
        retry_backoff_max=2,
        ingest_queue="q-session",
        worker_concurrency=1,
    )
    try:
        process = start_worker(
            worker_settings, name=name, log=log, extra_env={"HF_HUB_OFFLINE": "1"}
        )
    except StackError as exc:
        service_unavailable("Celery worker", exc)
        raise
    yield WorkerProcess(process, name, log)
    process.terminate()  # a warm shutdown finishes the task in hand: bounded, then killed
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@pytest.fixture
def worker(celery_worker: WorkerProcess, settings: Settings) -> Iterator[WorkerProcess]:
    """The session worker, consuming this test's own queue for the duration of the test."""
    from hybrid.indexing.queue import make_celery

    app = make_celery(settings)
    app.control.add_consumer(settings.ingest_queue, destination=[celery_worker.name], reply=True)
    yield celery_worker
    app.control.cancel_consumer(settings.ingest_queue, destination=[celery_worker.name], reply=True)
