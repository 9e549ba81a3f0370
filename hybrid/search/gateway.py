"""The search service's one door to Elasticsearch, and the injection point of its tests.

:class:`SearchService` never calls :mod:`hybrid.es` directly: it goes through a
:class:`SearchGateway`. Production uses :class:`ElasticsearchGateway`; unit tests pass a fake
that records the bodies it is given (like httpx's ``MockTransport``), so what the service sends
is asserted as plain dicts, while integration tests run the real gateway against the server.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from hybrid import es as es_ops


class SearchGateway(Protocol):
    """What searching needs from the index behind one alias."""

    alias: str

    def msearch(self, bodies: Sequence[dict[str, Any]], *, timeout: float) -> list[dict[str, Any]]:
        """One response per body, in order."""
        ...

    def sources(self, ids: Sequence[str], *, timeout: float) -> dict[str, dict[str, Any]]:
        """The ``_source`` of ``ids`` without vectors (missing ids left out)."""
        ...

    def stored_vectors(self, ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        """The full-precision vectors of ``ids`` (missing ids left out)."""
        ...

    def facet_values(self) -> dict[str, list[str]]:
        """The index's own colour labels, categories and brands."""
        ...

    def doc_count(self) -> int:
        """Documents behind the alias, as of the last refresh."""
        ...


class ElasticsearchGateway:
    """The production gateway: :mod:`hybrid.es` on one client and alias."""

    def __init__(self, client: es_ops.Client, alias: str) -> None:
        self.client = client
        self.alias = alias

    def msearch(self, bodies: Sequence[dict[str, Any]], *, timeout: float) -> list[dict[str, Any]]:
        """See :func:`hybrid.es.msearch`."""
        return es_ops.msearch(self.client, self.alias, bodies, timeout=timeout)

    def sources(self, ids: Sequence[str], *, timeout: float) -> dict[str, dict[str, Any]]:
        """See :func:`hybrid.es.sources`."""
        return es_ops.sources(self.client, self.alias, ids, timeout=timeout)

    def stored_vectors(self, ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        """See :func:`hybrid.es.stored_vectors`."""
        return es_ops.stored_vectors(self.client, self.alias, ids)

    def facet_values(self) -> dict[str, list[str]]:
        """See :func:`hybrid.es.facet_values`."""
        return es_ops.facet_values(self.client, self.alias)

    def doc_count(self) -> int:
        """See :func:`hybrid.es.count`."""
        return es_ops.count(self.client, self.alias)
