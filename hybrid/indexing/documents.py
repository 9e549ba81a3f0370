"""The Elasticsearch document of one product, and the texts the models embed for it (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np

from hybrid import schema as f
from hybrid.colour import family_of_label
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import mapping_version


def embedding_text(record: ProductRecord) -> str:
    """The text CLIP embeds for ``text_vector``: title, colour and the category's leaf."""
    parts = [record.title]
    if record.colour:
        parts.append(record.colour)
    if record.category:
        parts.append(record.category.split(">")[-1].strip())
    return " ".join(part for part in parts if part)


def product_text(record: ProductRecord) -> str:
    """The text the text model embeds for ``text_model_vector``: title, category path, colour,
    material and pattern words.

    The description is left out: on the tuning catalogue (seed 7) it made no difference to
    nDCG@10 (0.814 with it, 0.813 without) and doubled the text model's ingest time
    (docs/evaluation.md, "Text model leg").
    """
    category = (record.category or "").split(">")
    facets = [record.colour, record.material, record.pattern]
    parts = [
        record.title,
        " ".join(level.strip() for level in category),
        " ".join(word for word in facets if word),
    ]
    return ". ".join(part.strip() for part in parts if part and part.strip())


def record_fields(record: ProductRecord) -> dict[str, Any]:
    """The fields of the document that come from the record alone (no vectors, no times of
    indexing); empty ones left out. Two records with equal fields index the same content."""
    path = record.category_path()
    doc: dict[str, Any] = {
        f.ID: record.id,
        f.GROUP_ID: record.group_id or record.id,
        f.TITLE: record.title,
        f.DESCRIPTION: record.description,
        f.BRAND: record.brand,
        f.CATEGORY: record.category,
        f.CATEGORY_PATH: path,
        f.CATEGORY_TEXT: " ".join(path[-1].split(f.CATEGORY_SEPARATOR)) if path else None,
        f.COLOUR: record.colour,
        f.COLOUR_FAMILY: family_of_label(record.colour),
        f.MATERIAL: record.material,
        f.PATTERN: record.pattern,
        f.PRICE: record.price,
        f.STOCK: record.stock,
        f.IN_STOCK: _in_stock(record),
        f.ATTRIBUTES: record.attributes,
        f.IMAGES: [ref.path or ref.url or "<bytes>" for ref in record.images],
        f.UPDATED_AT: record.updated_at.isoformat() if record.updated_at else None,
    }
    return {key: value for key, value in doc.items() if value not in (None, "", [], {})}


def build_document(
    record: ProductRecord,
    image_vector: np.ndarray | None,
    text_vector: np.ndarray,
    *,
    image_colour: tuple[str, tuple[int, int, int]] | None,
    model_id: str,
    now: datetime,
    text_model_vector: np.ndarray | None = None,
) -> dict[str, Any]:
    """The Elasticsearch document for ``record`` (fields as in :mod:`hybrid.schema`).

    Fields without a value are left out rather than stored as null or empty;
    ``text_model_vector`` is None when the text model leg is off.
    """
    doc = record_fields(record)
    doc[f.TEXT_VECTOR] = text_vector.tolist()
    if text_model_vector is not None:
        doc[f.TEXT_MODEL_VECTOR] = text_model_vector.tolist()
    doc[f.MODEL_ID] = model_id
    doc[f.MAPPING_VERSION] = mapping_version()
    doc[f.INDEXED_AT] = now.isoformat()
    if image_vector is not None:
        doc[f.IMAGE_VECTOR] = image_vector.tolist()
    if image_colour is not None:
        doc[f.IMAGE_COLOUR_FAMILY], rgb = image_colour
        doc[f.IMAGE_COLOUR_RGB] = "#{:02x}{:02x}{:02x}".format(*rgb)
    doc.update(_diagnostics(doc, image_count=len(record.images)))
    return {key: value for key, value in doc.items() if value not in (None, "", [], {})}


def _diagnostics(doc: dict[str, Any], *, image_count: int) -> dict[str, Any]:
    """Scalars that say what the vectors cannot show in Kibana (a dense_vector is not shown)."""
    label, seen = doc.get(f.COLOUR_FAMILY), doc.get(f.IMAGE_COLOUR_FAMILY)
    return {
        f.HAS_IMAGE_VECTOR: f.IMAGE_VECTOR in doc,
        f.IMAGE_COUNT: image_count,
        # Only when both are known: a missing label or image is not a disagreement.
        f.IMAGE_COLOUR_AGREES: label == seen if label and seen else None,
    }


def _in_stock(record: ProductRecord) -> bool | None:
    if record.in_stock is not None:
        return record.in_stock
    return None if record.stock is None else record.stock > 0


def mean_image_vector(vectors: np.ndarray) -> np.ndarray:
    """One vector for a product's images: their mean, L2-normalised again."""
    mean: np.ndarray = vectors.mean(axis=0).astype(np.float32)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean
