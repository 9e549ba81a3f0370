"""Retrieval legs: the runs whose ranked hits are fused.

A *leg* is one retrieval run whose ranked hits are later fused: ``bm25`` (full-text on the text
fields), ``image_knn`` (kNN on ``image_vector``), ``text_knn`` (kNN on ``text_vector``) and
``text_model_knn`` (kNN on ``text_model_vector``, the product text embedded by a real text model,
``HYBRID_TEXT_MODEL``). A CLIP kNN leg is named after the field it searches, not after the query's
modality: with CLIP a text query can search ``image_vector`` and an image query can search
``text_vector``. ``text_model_knn`` only runs for query text alone: the text model reads no
images, and with one the text describes a change to the pictured product (measured in
docs/evaluation.md, "Text model leg").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

from hybrid.schema import IMAGE_VECTOR, TEXT_MODEL_VECTOR, TEXT_VECTOR

Leg = Literal["bm25", "image_knn", "text_knn", "text_model_knn"]
KnnLeg = Literal["image_knn", "text_knn", "text_model_knn"]

LEGS: Final[tuple[Leg, ...]] = ("bm25", "image_knn", "text_knn", "text_model_knn")
KNN_LEGS: Final[tuple[KnnLeg, ...]] = ("image_knn", "text_knn", "text_model_knn")
#: Legs that need query text.
TEXT_LEGS: Final[frozenset[Leg]] = frozenset({"bm25", "text_model_knn"})
#: Legs that run for query text alone, not with an image or a product.
TEXT_ALONE_LEGS: Final[frozenset[Leg]] = frozenset({"text_model_knn"})

#: The dense_vector field each kNN leg searches.
LEG_VECTOR_FIELD: Final[Mapping[KnnLeg, str]] = {
    "image_knn": IMAGE_VECTOR,
    "text_knn": TEXT_VECTOR,
    "text_model_knn": TEXT_MODEL_VECTOR,
}
#: The kNN leg that searches each dense_vector field.
VECTOR_FIELD_LEG: Final[Mapping[str, KnnLeg]] = {v: k for k, v in LEG_VECTOR_FIELD.items()}
