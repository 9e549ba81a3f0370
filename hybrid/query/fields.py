"""Names shared by every query module: index fields (see ``docs/architecture.md``) and legs.

A *leg* is one retrieval run whose ranked hits are later fused: ``bm25`` (full-text on the text
fields), ``image_knn`` (kNN on ``image_vector``) and ``text_knn`` (kNN on ``text_vector``). A kNN
leg is named after the field it searches, not after the query's modality: with CLIP a text query
can search ``image_vector`` and an image query can search ``text_vector``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

ID: Final = "id"
GROUP_ID: Final = "group_id"
TITLE: Final = "title"
DESCRIPTION: Final = "description"
BRAND: Final = "brand"
BRAND_TEXT: Final = "brand.text"
CATEGORY: Final = "category"
CATEGORY_PATH: Final = "category_path"
CATEGORY_TEXT: Final = "category_text"
COLOUR: Final = "colour"
COLOUR_TEXT: Final = "colour.text"
COLOUR_FAMILY: Final = "colour_family"
IMAGE_COLOUR_FAMILY: Final = "image_colour_family"
PRICE: Final = "price"
IN_STOCK: Final = "in_stock"
ATTRIBUTES: Final = "attributes"
IMAGE_VECTOR: Final = "image_vector"
TEXT_VECTOR: Final = "text_vector"

#: Never returned in ``_source``: 512 floats per field per hit would dwarf the rest of the hit.
VECTOR_FIELDS: Final[tuple[str, ...]] = (IMAGE_VECTOR, TEXT_VECTOR)

#: Separator of category path levels, as written in ``category`` and ``category_path``.
CATEGORY_SEPARATOR: Final = " > "

Leg = Literal["bm25", "image_knn", "text_knn"]
KnnLeg = Literal["image_knn", "text_knn"]

LEGS: Final[tuple[Leg, ...]] = ("bm25", "image_knn", "text_knn")
KNN_LEGS: Final[tuple[KnnLeg, ...]] = ("image_knn", "text_knn")

#: The dense_vector field each kNN leg searches.
LEG_VECTOR_FIELD: Final[Mapping[KnnLeg, str]] = {
    "image_knn": IMAGE_VECTOR,
    "text_knn": TEXT_VECTOR,
}
#: The kNN leg that searches each dense_vector field.
VECTOR_FIELD_LEG: Final[Mapping[str, KnnLeg]] = {v: k for k, v in LEG_VECTOR_FIELD.items()}
