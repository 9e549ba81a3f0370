"""ANN recall: the kNN legs' top ``k`` against exact brute-force cosine over every stored vector.

For each query and kNN leg, the same query vector the search service uses (its own
:class:`~hybrid.search.vectors.QueryEncoder`) is searched two ways:

* ``served``: the leg as :class:`~hybrid.search.SearchService` runs it (HNSW over quantized
  vectors, then Elasticsearch's ``rescore_vector`` on the full-precision vectors);
* ``raw``: the same without rescoring or reranker: the quantized HNSW order alone;

and compared with :class:`ExactIndex`, a brute-force cosine search over the full-precision
vectors read from the index. Recall is :func:`hybrid.evaluation.metrics.overlap_at_k`.

:class:`StoredVectors` holds those vectors once per run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from hybrid.demo.catalog import JudgedQuery
from hybrid.evaluation.metrics import overlap_at_k
from hybrid.evaluation.scoring import QueryScores
from hybrid.images import ImageRef
from hybrid.query.legs import LEG_VECTOR_FIELD, KnnLeg
from hybrid.query.request import SearchRequest
from hybrid.search import SearchService
from hybrid.search.vectors import QueryVectors
from hybrid.settings import Settings

ANN_K = 10
ANN_METRICS = ("ann_recall@10", "ann_recall@10_raw")


class ExactIndex:
    """Brute-force cosine nearest neighbours over a matrix of vectors (rows = documents)."""

    def __init__(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        if len(ids) != len(vectors):
            raise ValueError(f"{len(ids)} ids for {len(vectors)} vectors")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.ids = list(ids)
        self.vectors = (vectors / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        # Position of each id in sorted order: the tie-breaker, independent of storage order.
        self._id_rank = np.argsort(np.argsort(np.asarray(self.ids, dtype=object)))

    def __len__(self) -> int:
        return len(self.ids)

    def top_k(self, query: np.ndarray, k: int) -> list[str]:
        """The ids of the ``k`` documents of highest cosine similarity, best first.

        Ties are broken by id, so the result does not depend on storage order.
        """
        if not self.ids:
            return []
        norm = float(np.linalg.norm(query)) or 1.0
        scores = self.vectors @ (np.asarray(query, dtype=np.float32) / norm)
        order = np.lexsort((self._id_rank, -scores))[:k]
        return [self.ids[i] for i in order.tolist()]


class StoredVectors:
    """Every stored vector of the kNN fields, keyed by leg, for exact search."""

    def __init__(self, by_leg: Mapping[KnnLeg, tuple[Sequence[str], np.ndarray]]) -> None:
        self.exact = {leg: ExactIndex(ids, vectors) for leg, (ids, vectors) in by_leg.items()}
        self._rows = {
            LEG_VECTOR_FIELD[leg]: ({doc: i for i, doc in enumerate(ids)}, vectors)
            for leg, (ids, vectors) in by_leg.items()
        }


def query_vectors(service: SearchService, query: JudgedQuery) -> QueryVectors:
    """The vectors the service searches with for ``query`` (its encoder, its mixing rule)."""
    encoder = service.encoder
    image = None if query.image is None else encoder.image(ImageRef(path=query.image))
    return encoder.vectors(text=query.text, image=image, product=None)


def leg_request(query: JudgedQuery, leg: KnnLeg, *, settings: Settings) -> SearchRequest:
    """Only ``leg``, top :data:`ANN_K`, no understanding: the kNN leg as served."""
    data = {
        "text": query.text,
        "image": None if query.image is None else {"path": query.image},
        "legs": [leg],
        "size": ANN_K,
        "understanding": "off",
        "facets": False,
    }
    return SearchRequest.model_validate(data, context={"settings": settings})


def _top_ids(service: SearchService, request: SearchRequest) -> list[str]:
    return [str(hit["_id"]) for hit in service.search(request)["hits"]["hits"]]


def measure_query(
    query: JudgedQuery,
    *,
    served: SearchService,
    raw: SearchService,
    exact: Mapping[KnnLeg, ExactIndex],
    settings: Settings,
) -> list[QueryScores]:
    """ANN recall@10 of each kNN leg for one query, as one :class:`QueryScores` per leg.

    The scores' ``mode`` is the leg name (``image_knn``, ``text_knn``).
    """
    vectors = query_vectors(served, query)
    scores = []
    for leg, index in exact.items():
        vector = getattr(vectors, leg)
        if vector is None or not len(index):
            continue
        truth = index.top_k(vector, ANN_K)
        request = leg_request(query, leg, settings=settings)
        values = {
            "ann_recall@10": overlap_at_k(_top_ids(served, request), truth, ANN_K),
            "ann_recall@10_raw": overlap_at_k(_top_ids(raw, request), truth, ANN_K),
        }
        scores.append(QueryScores(query.id, query.type, leg, values, len(truth)))
    return scores
