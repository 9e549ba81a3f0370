"""Deterministic demo catalogue: messy product records, their photos and judged queries.

The generator invents a shop (see :mod:`hybrid.vocab`) whose every product has a latent
:class:`ProductTruth`. From it come the feed record (with the colour missing, only in the
description, or wrong, as in real feeds), the product photo (a category silhouette in the true
colour) and graded relevance judgments for four query types. Everything streams and is
reproducible from ``(n, seed)``.

Record format (the ingestion format)::

    {"id": "sku-000001", "group_id": "grp-000001", "title": str, "description": str,
     "brand": str, "category": "Footwear > Sneakers", "colour": "Burgundy" | None,
     "material": str, "pattern": str, "price": float, "stock": int, "in_stock": bool,
     "attributes": {"size": ["40", "41"], ...}, "images": ["images/sku-000001.png"],
     "updated_at": "2025-03-04T12:34:56Z", "version": int}
"""

from hybrid.demo.catalog.generate import iter_truths
from hybrid.demo.catalog.plan import QUERY_TYPES, QueryType
from hybrid.demo.catalog.queries import JudgedQuery, load_queries
from hybrid.demo.catalog.records import build_record, image_path, iter_products
from hybrid.demo.catalog.render import render_image, render_mask
from hybrid.demo.catalog.truth import ColourLabel, ProductTruth, read_truth
from hybrid.demo.catalog.writer import CatalogSummary, iter_records, write_catalog, write_images

__all__ = [
    "QUERY_TYPES",
    "CatalogSummary",
    "ColourLabel",
    "JudgedQuery",
    "ProductTruth",
    "QueryType",
    "build_record",
    "image_path",
    "iter_products",
    "iter_records",
    "iter_truths",
    "load_queries",
    "read_truth",
    "render_image",
    "render_mask",
    "write_catalog",
    "write_images",
]
