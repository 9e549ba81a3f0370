"""The Elasticsearch client: one per process and URL, created on first use.

The client is given every node of ``HYBRID_ES_URL`` (comma-separated) and round-robins over
them; a node that refuses connections or times out is marked dead (retried after a back-off)
and the request goes to the next node, up to ``HYBRID_ES_MAX_RETRIES`` times, so losing one
node of a cluster with replicas costs a retry, not a failed search.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch

from hybrid.es.errors import translated
from hybrid.settings import Settings

#: The client type, for annotations outside this package (which never import ``elasticsearch``).
Client = Elasticsearch


def make_client(settings: Settings) -> Client:
    """The process-wide client for ``settings.es_hosts`` (created on first use)."""
    return _client(
        tuple(settings.es_hosts),
        settings.es_api_key,
        settings.es_request_timeout,
        settings.es_max_retries,
    )


@lru_cache(maxsize=8)
def _client(
    hosts: tuple[str, ...], api_key: str | None, timeout: float, max_retries: int
) -> Elasticsearch:
    return Elasticsearch(
        list(hosts),
        api_key=api_key,
        request_timeout=timeout,
        retry_on_timeout=True,
        max_retries=max(max_retries, len(hosts) - 1),  # enough to reach every other node
        # 502/503/504 come from a node that is leaving or has not joined yet: another answers.
        retry_on_status=(502, 503, 504),
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
