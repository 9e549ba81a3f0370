"""The Elasticsearch client: one per process and connection settings, created on first use.

Connection settings (``HYBRID_ES_*``): the URL, or several comma-separated; an API key or a user
and password; for https, the CA file or the CA's SHA-256 fingerprint, and certificate
verification (on by default).

The client is given every node of ``HYBRID_ES_URL`` and round-robins over them; a node that
refuses connections or times out is marked dead (retried after a back-off) and the request goes
to the next node, up to ``HYBRID_ES_MAX_RETRIES`` times, so losing one node of a cluster with
replicas costs a retry, not a failed search.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from elasticsearch import Elasticsearch

from hybrid.es.errors import translated
from hybrid.es.serializers import serializers
from hybrid.settings import Settings

#: The client type, for annotations outside this package (which never import ``elasticsearch``).
Client = Elasticsearch


@dataclass(frozen=True)
class Connection:
    """Everything a client is built from (hashable: one client per distinct connection)."""

    hosts: tuple[str, ...]
    timeout: float
    max_retries: int = 2
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    ca_file: str | None = None
    ca_fingerprint: str | None = None
    verify_certs: bool = True

    @classmethod
    def from_settings(cls, settings: Settings) -> Connection:
        """The connection ``settings`` describe."""
        return cls(
            hosts=tuple(settings.es_hosts),
            timeout=settings.es_request_timeout,
            max_retries=settings.es_max_retries,
            api_key=_secret(settings.es_api_key),
            username=settings.es_username,
            password=_secret(settings.es_password),
            ca_file=str(settings.es_ca_file) if settings.es_ca_file else None,
            ca_fingerprint=settings.es_ca_fingerprint,
            verify_certs=settings.es_verify_certs,
        )

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments of :class:`elasticsearch.Elasticsearch` for this connection."""
        options: dict[str, Any] = {
            "request_timeout": self.timeout,
            "retry_on_timeout": True,
            # enough to reach every other node
            "max_retries": max(self.max_retries, len(self.hosts) - 1),
            # 502/503/504 come from a node that is leaving or has not joined yet: another answers.
            "retry_on_status": (502, 503, 504),
            # orjson for JSON and NDJSON: the stdlib's json cost milliseconds per search
            "serializers": serializers(),
        }
        if self.api_key:
            options["api_key"] = self.api_key
        elif self.username:
            options["basic_auth"] = (self.username, self.password or "")
        if any(host.startswith("https") for host in self.hosts):
            options["verify_certs"] = self.verify_certs
            if self.ca_file:
                options["ca_certs"] = self.ca_file
            if self.ca_fingerprint:
                options["ssl_assert_fingerprint"] = self.ca_fingerprint
        return options


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


def make_client(settings: Settings) -> Client:
    """The process-wide client for the connection ``settings`` describe (created on first use)."""
    return _client(Connection.from_settings(settings))


@lru_cache(maxsize=8)
def _client(connection: Connection) -> Elasticsearch:
    return Elasticsearch(list(connection.hosts), **connection.client_options())


def cluster_status(client: Elasticsearch) -> dict[str, Any]:
    """Version, cluster name and health of the cluster, for ``hybrid stack status``.

    The integ-test distribution has no ``GET /``, so the version comes from the local node's info.

    Raises:
        SearchUnavailableError: the cluster cannot be reached or answers 429/5xx.
        ElasticsearchRefusedError: the cluster refused the request (e.g. 401/403).
        ConfigurationError: the cluster's TLS certificate is not trusted.
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
