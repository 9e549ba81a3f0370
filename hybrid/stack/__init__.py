"""The embedded default stack: a local Elasticsearch and a Redis on loopback.

``up`` is idempotent and waits until both answer; services given by ``HYBRID_ES_URL`` /
``HYBRID_REDIS_URL`` are used as they are and never started or stopped here. ``hybrid demo``
adds the HTTP API (:mod:`hybrid.stack.api`) beside them; ``down`` stops it first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from hybrid.errors import HybridSearchError
from hybrid.settings import Settings
from hybrid.stack import api as api_node
from hybrid.stack import elasticsearch as es_node
from hybrid.stack import redis as redis_node


@dataclass
class ServiceStatus:
    """What ``hybrid stack status`` reports for one service."""

    url: str
    managed: bool
    up: bool
    detail: dict[str, Any] = field(default_factory=dict)
    error: str | None = None


def local_es_nodes(settings: Settings) -> list[es_node.EsNode]:
    """The local stack's Elasticsearch node, or two (``HYBRID_ES_NODES=2``)."""
    if settings.es_nodes == 2:
        port = settings.es_port
        return es_node.cluster_of_two(
            settings.home / "elasticsearch-cluster",
            http_ports=(port, port + 1),
            transport_ports=(port + 100, port + 101),
            heap=settings.es_heap,
        )
    return [local_es_node(settings)]


def local_es_node(settings: Settings) -> es_node.EsNode:
    """The local stack's single Elasticsearch node."""
    return es_node.EsNode(
        instance_dir=settings.home / "elasticsearch",
        http_port=settings.es_port,
        transport_port=settings.es_port + 100,
        heap=settings.es_heap,
    )


def local_redis_node(settings: Settings) -> redis_node.RedisNode:
    """The local stack's Redis (append-only: it holds the ingestion queue)."""
    return redis_node.RedisNode(settings.home / "redis", settings.redis_port, appendonly=True)


def local_api_node(settings: Settings) -> api_node.ApiNode:
    """The local stack's background API (``hybrid demo`` starts it)."""
    return api_node.ApiNode(settings.home / "api", settings.api_port)


def up(settings: Settings) -> dict[str, float]:
    """Start whatever local services are configured; return seconds each took to be ready."""
    timings: dict[str, float] = {}
    settings.home.mkdir(parents=True, exist_ok=True)
    if settings.redis_url is None:
        timings["redis"] = redis_node.start(local_redis_node(settings))
    if settings.es_url is None:
        start = time.monotonic()
        for node in local_es_nodes(settings):
            es_node.start(node, settings)
        timings["elasticsearch"] = time.monotonic() - start
    return timings


def down(settings: Settings) -> list[str]:
    """Stop the local services that run; return the names of those stopped."""
    stopped = []
    if api_node.stop(local_api_node(settings)):  # first: it talks to the other two
        stopped.append("api")
    # Data-only node first: stopping the master first would leave it looking for one.
    nodes = reversed(local_es_nodes(settings)) if settings.es_url is None else []
    if any([es_node.stop(node) for node in nodes]):
        stopped.append("elasticsearch")
    if settings.redis_url is None and redis_node.stop(local_redis_node(settings)):
        stopped.append("redis")
    return stopped


def status(settings: Settings) -> dict[str, ServiceStatus]:
    """Reachability, version and health of Elasticsearch, and a Redis PING."""
    from hybrid.es import cluster_status, make_client

    es = ServiceStatus(url=settings.effective_es_url, managed=settings.es_url is None, up=False)
    try:
        es.detail = cluster_status(make_client(settings))
        es.up = True
    except HybridSearchError as exc:
        es.error = str(exc)
    redis = ServiceStatus(
        url=settings.effective_redis_url, managed=settings.redis_url is None, up=False
    )
    try:
        redis.up = _redis_ping(settings.effective_redis_url)
        redis.detail = {"ping": redis.up}
    except Exception as exc:  # noqa: BLE001 - status reports any failure as text
        redis.error = f"{type(exc).__name__}: {exc}"
    return {"elasticsearch": es, "redis": redis}


def _redis_ping(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    finally:
        client.close()
