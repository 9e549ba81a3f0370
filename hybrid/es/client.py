"""The Elasticsearch client: one per process and URL, created on first use."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch

from hybrid.es.errors import translated
from hybrid.settings import Settings

#: The client type, for annotations outside this package (which never import ``elasticsearch``).
Client = Elasticsearch


def make_client(settings: Settings) -> Client:
    """The process-wide client for ``settings.effective_es_url`` (created on first use)."""
    return _client(settings.effective_es_url, settings.es_api_key, settings.es_request_timeout)


@lru_cache(maxsize=8)
def _client(url: str, api_key: str | None, timeout: float) -> Elasticsearch:
    return Elasticsearch(
        url,
        api_key=api_key,
        request_timeout=timeout,
        retry_on_timeout=True,
        max_retries=2,
    )


def cluster_status(client: Elasticsearch) -> dict[str, Any]:
    """Version, cluster name and health of the cluster, for ``hybrid stack status``.

    The integ-test distribution has no ``GET /``, so the version comes from the local node's info.

    Raises:
        SearchUnavailableError: the cluster cannot be reached or answers 429/5xx.
        ElasticsearchRefusedError: the cluster refused the request (e.g. 401/403).
    """
    with translated("reading the cluster status"):
        health = client.cluster.health()
        nodes = client.nodes.info(node_id="_local", metric="_none")
    node = next(iter(nodes["nodes"].values()))
    return {
        "version": node["version"],
        "cluster_name": health["cluster_name"],
        "health": health["status"],
        "nodes": health["number_of_nodes"],
    }
