"""Stand-ins for the model and for the search service's gateway, written once for every test.

They replace *our* injection points (the :class:`~hybrid.embedding.Embedder` protocol and the
:class:`~hybrid.search.gateway.SearchGateway`), never Elasticsearch, Redis or Celery: tests
of those talk to the real servers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from PIL.Image import Image

from hybrid.embedding import Embedder


class HashEmbedder:
    """A deterministic fake model: each text maps to a unit vector seeded by its characters.

    Images all map to the same unit vector. ``texts`` records every text encoded, in order.
    """

    model_id = "hash-embedder"
    normalised = True

    def __init__(self, dims: int = 8) -> None:
        self.dims = dims
        self.texts: list[str] = []
        self.images = 0

    @property
    def text_calls(self) -> int:
        """How many texts were encoded."""
        return len(self.texts)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.texts += list(texts)
        rows = [np.random.default_rng(sum(map(ord, t))).normal(size=self.dims) for t in texts]
        if not rows:
            return np.zeros((0, self.dims), dtype=np.float32)
        matrix = np.stack(rows)
        return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)

    def encode_images(self, images: Sequence[Image]) -> np.ndarray:
        self.images += len(images)
        return np.ones((len(images), self.dims), dtype=np.float32) / np.sqrt(self.dims)


class CountingEmbedder:
    """A real model, counting how often it is asked for vectors (one call per batch)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.model_id, self.dims, self.normalised = inner.model_id, inner.dims, inner.normalised
        self.calls = 0

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        return self.inner.encode_texts(texts)

    def encode_images(self, images: Sequence[Image]) -> np.ndarray:
        self.calls += 1
        return self.inner.encode_images(images)


Responder = Callable[[dict[str, Any]], dict[str, Any]]


class RecordingGateway:
    """A :class:`~hybrid.search.gateway.SearchGateway` that records every body it is sent.

    Each ``_msearch`` body is answered by ``respond(body)`` (default: no hits, no aggregations).
    """

    def __init__(
        self,
        *,
        alias: str = "products",
        respond: Responder | None = None,
        vectors: dict[str, dict[str, list[float]]] | None = None,
        vocabulary: dict[str, list[str]] | None = None,
        docs: int | Exception = 0,
    ) -> None:
        self.alias = alias
        self.docs = docs  # what doc_count returns (raises, if an exception)
        self.rounds: list[list[dict[str, Any]]] = []
        self.stored: dict[str, dict[str, Any]] = {}
        self.source_reads: list[list[str]] = []
        self.doc_counts = 0
        self._respond = respond or (lambda body: {"hits": {"hits": []}})
        self._vectors = vectors or {}
        self._vocabulary = vocabulary or {"colours": [], "categories": [], "brands": []}

    def msearch(self, bodies: Sequence[dict[str, Any]], *, timeout: float) -> list[dict[str, Any]]:
        self.rounds.append(list(bodies))
        return [self._answer(body) for body in bodies]

    def _answer(self, body: dict[str, Any]) -> dict[str, Any]:
        """The responder's answer, its sources cut to the body's ``_source.includes`` as
        Elasticsearch would; the whole sources are kept for :meth:`sources`."""
        response = self._respond(body)
        includes = (body.get("_source") or {}).get("includes")
        for hit in response.get("hits", {}).get("hits", []):
            whole = hit.get("_source") or {}
            self.stored[str(hit["_id"])] = whole
            if includes is not None:
                hit["_source"] = {k: v for k, v in whole.items() if k in includes}
        return response

    def sources(self, ids: Sequence[str], *, timeout: float) -> dict[str, dict[str, Any]]:
        """The sources the responder gave these ids (as if the legs had returned them whole)."""
        self.source_reads.append(list(ids))
        return {i: self.stored[i] for i in ids if i in self.stored}

    def stored_vectors(self, ids: Sequence[str]) -> dict[str, dict[str, list[float]]]:
        return {i: self._vectors[i] for i in ids if i in self._vectors}

    def facet_values(self) -> dict[str, list[str]]:
        return self._vocabulary

    def doc_count(self) -> int:
        self.doc_counts += 1
        if isinstance(self.docs, Exception):
            raise self.docs
        return self.docs


def hits(*ids_and_scores: tuple[str, float], **source: Any) -> dict[str, Any]:
    """An ``_msearch`` item holding these hits, in order, each with ``source`` as ``_source``."""
    return {
        "hits": {
            "hits": [
                {"_id": doc_id, "_score": score, "_source": {"id": doc_id, **source}}
                for doc_id, score in ids_and_scores
            ]
        }
    }
