"""The products index's schema in one place: field names, vector fields, index types.

``mappings/products.json`` is the template Elasticsearch reads; this module is what the Python
code reads. A unit test checks the two agree field for field, so a field renamed in one place
and not the other fails the suite instead of a query at run time.
"""

from __future__ import annotations

from typing import Final

# --- document fields (see docs/architecture.md for what each holds) ------------------------------
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
IMAGE_COLOUR_RGB: Final = "image_colour_rgb"
MATERIAL: Final = "material"
PATTERN: Final = "pattern"
PRICE: Final = "price"
IN_STOCK: Final = "in_stock"
STOCK: Final = "stock"
ATTRIBUTES: Final = "attributes"
IMAGES: Final = "images"
IMAGE_VECTOR: Final = "image_vector"
# Scalar diagnostics beside the vectors: Kibana cannot show a dense_vector, it can count these.
HAS_IMAGE_VECTOR: Final = "has_image_vector"
IMAGE_COUNT: Final = "image_count"
IMAGE_COLOUR_AGREES: Final = "image_colour_agrees"
TEXT_VECTOR: Final = "text_vector"
#: Product text embedded by a real text model (``HYBRID_TEXT_MODEL``), not by the CLIP.
TEXT_MODEL_VECTOR: Final = "text_model_vector"
MODEL_ID: Final = "model_id"
MAPPING_VERSION: Final = "mapping_version"
UPDATED_AT: Final = "updated_at"
INDEXED_AT: Final = "indexed_at"

#: Every top-level property of the products mapping (multi-fields such as ``brand.text`` aside).
PRODUCT_FIELDS: Final[tuple[str, ...]] = (
    ID,
    GROUP_ID,
    TITLE,
    DESCRIPTION,
    BRAND,
    CATEGORY,
    CATEGORY_PATH,
    CATEGORY_TEXT,
    COLOUR,
    COLOUR_FAMILY,
    IMAGE_COLOUR_FAMILY,
    IMAGE_COLOUR_RGB,
    MATERIAL,
    PATTERN,
    PRICE,
    IN_STOCK,
    STOCK,
    ATTRIBUTES,
    IMAGES,
    IMAGE_VECTOR,
    TEXT_VECTOR,
    TEXT_MODEL_VECTOR,
    HAS_IMAGE_VECTOR,
    IMAGE_COUNT,
    IMAGE_COLOUR_AGREES,
    MODEL_ID,
    MAPPING_VERSION,
    UPDATED_AT,
    INDEXED_AT,
)

#: The dense_vector fields the CLIP fills (its dims).
CLIP_VECTOR_FIELDS: Final[tuple[str, ...]] = (IMAGE_VECTOR, TEXT_VECTOR)
#: The dense_vector fields. Never returned in ``_source``: 512 floats per field per hit would
#: dwarf the rest of the hit.
VECTOR_FIELDS: Final[tuple[str, ...]] = (*CLIP_VECTOR_FIELDS, TEXT_MODEL_VECTOR)

#: What a leg's hits carry in ``_source``: the fields fusion reads (the understanding bonus'
#: colour and category, the variant group for collapsing). The page's full ``_source`` is fetched
#: once, after fusion, for the hits shown (:func:`hybrid.es.sources`): a leg returns up to 100
#: hits, a page shows 10.
LEG_SOURCE_FIELDS: Final[tuple[str, ...]] = (
    COLOUR_FAMILY,
    IMAGE_COLOUR_FAMILY,
    CATEGORY_PATH,
    GROUP_ID,
    BRAND,
    PRICE,
)

#: Separator of category path levels, as written in ``category`` and ``category_path``.
CATEGORY_SEPARATOR: Final = " > "

# --- dense_vector index types (``HYBRID_VECTOR_INDEX_TYPE``) -------------------------------------
#: Types with an HNSW graph (they take ``m`` and ``ef_construction``).
HNSW_TYPES: Final = frozenset({"hnsw", "int8_hnsw", "bbq_hnsw"})
#: Types with BBQ quantisation (Elasticsearch wants at least 64 dims for them).
BBQ_TYPES: Final = frozenset({"bbq_hnsw", "bbq_flat"})
#: Types whose stored vectors are quantised, so kNN hits are worth rescoring on the raw floats.
QUANTIZED_TYPES: Final = frozenset({"int8_hnsw", "bbq_hnsw", "int8_flat"})
