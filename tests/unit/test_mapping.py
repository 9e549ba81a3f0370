"""Tests for hybrid.mapping: templates, the index _meta check and physical index names."""

from __future__ import annotations

from datetime import UTC, datetime
from fnmatch import fnmatch

import numpy as np
import pytest

from hybrid.errors import ConfigurationError
from hybrid.indexing.documents import build_document
from hybrid.indexing.records import ProductRecord
from hybrid.mapping import (
    VectorSpec,
    check_meta,
    mapping_version,
    physical_index_name,
    products_template,
    rejects_index,
    rejects_template,
    tombstone_seconds,
)
from hybrid.schema import CLIP_VECTOR_FIELDS, TEXT_MODEL_VECTOR

SPEC = VectorSpec(model_id="demo_clip@abc", dims=256)
#: The CLIP and a text model for the text_model_knn leg.
WITH_TEXT = VectorSpec(
    model_id="demo_clip@abc", dims=256, text_model_id="all-MiniLM-L6-v2@def", text_dims=384
)


def _properties(spec: VectorSpec = SPEC) -> dict[str, dict[str, object]]:
    props: dict[str, dict[str, object]] = products_template("shop", spec)["template"]["mappings"][
        "properties"
    ]
    return props


@pytest.mark.parametrize("index_type", ["int8_hnsw", "hnsw", "bbq_hnsw"])
def test_vector_fields_take_dims_and_type_from_the_spec(index_type: str) -> None:
    spec = VectorSpec(model_id="m", dims=512, index_type=index_type)  # type: ignore[arg-type]
    for field in CLIP_VECTOR_FIELDS:
        mapping = _properties(spec)[field]
        assert mapping["type"] == "dense_vector"
        assert mapping["dims"] == 512
        assert mapping["similarity"] == "cosine"
        assert mapping["index_options"] == {"type": index_type, "m": 16, "ef_construction": 100}


@pytest.mark.parametrize("index_type", ["int8_flat", "flat"])
def test_flat_vector_types_carry_no_graph_parameters(index_type: str) -> None:
    spec = VectorSpec(
        model_id="m",
        dims=64,
        index_type=index_type,  # type: ignore[arg-type]
        text_model_id="t",
        text_dims=384,
    )
    for field in (*CLIP_VECTOR_FIELDS, TEXT_MODEL_VECTOR):
        assert _properties(spec)[field]["index_options"] == {"type": index_type}


def test_the_text_model_field_takes_its_own_dims_and_the_same_index_type() -> None:
    properties = _properties(WITH_TEXT)
    assert properties[TEXT_MODEL_VECTOR] == {
        "type": "dense_vector",
        "dims": 384,
        "index": True,
        "similarity": "cosine",
        "index_options": {"type": "int8_hnsw", "m": 16, "ef_construction": 100},
    }
    assert properties["image_vector"]["dims"] == properties["text_vector"]["dims"] == 256


def test_with_the_text_model_off_its_field_is_not_mapped() -> None:
    # dynamic: strict then refuses a stray text_model_vector instead of guessing its dims.
    assert TEXT_MODEL_VECTOR not in _properties(SPEC)
    assert "text_model_id" not in products_template("shop", SPEC)["template"]["mappings"]["_meta"]


def test_vector_spec_wants_the_text_model_id_and_dims_together() -> None:
    with pytest.raises(ConfigurationError, match="both"):
        VectorSpec(model_id="m", dims=8, text_model_id="t")


def test_template_records_the_model_in_the_index_meta() -> None:
    template = products_template("shop", SPEC)
    meta = template["template"]["mappings"]["_meta"]
    assert meta == {
        "model_id": "demo_clip@abc",
        "dims": 256,
        "normalised": True,
        "index_type": "int8_hnsw",
        "mapping_version": mapping_version(),
        "managed_by": "hybrid",
    }
    assert template["version"] == mapping_version()
    assert template["index_patterns"] == ["shop-v*"]
    meta = products_template("shop", WITH_TEXT)["template"]["mappings"]["_meta"]
    assert (meta["text_model_id"], meta["text_dims"]) == ("all-MiniLM-L6-v2@def", 384)


def test_template_is_strict_and_building_it_leaves_the_source_alone() -> None:
    first = products_template("shop", VectorSpec(model_id="a", dims=8))
    second = products_template("shop", SPEC)
    assert first["template"]["mappings"]["dynamic"] == "strict"
    assert first["template"]["mappings"]["properties"]["image_vector"]["dims"] == 8
    assert second["template"]["mappings"]["properties"]["image_vector"]["dims"] == 256


def test_every_field_of_a_built_document_is_mapped() -> None:
    # dynamic: strict makes Elasticsearch refuse a document with an unmapped field.
    record = ProductRecord.model_validate(
        {
            "id": "sku-1",
            "group_id": "g",
            "title": "Red shoe",
            "description": "d",
            "brand": "B",
            "category": "Footwear > Sneakers",
            "colour": "Burgundy",
            "material": "leather",
            "pattern": "plain",
            "price": 1.0,
            "stock": 2,
            "in_stock": True,
            "attributes": {"size": ["40"]},
            "images": ["a.png"],
            "updated_at": "2025-01-01T00:00:00Z",
            "version": 3,
        }
    )
    vector = np.ones(256, dtype=np.float32) / 16
    doc = build_document(
        record,
        vector,
        vector,
        image_colour=("red", (200, 0, 0)),
        model_id="m",
        now=datetime.now(UTC),
        text_model_vector=np.ones(384, dtype=np.float32) / np.sqrt(384),
    )
    assert set(doc) <= set(_properties(WITH_TEXT))
    assert set(doc) == set(_properties(WITH_TEXT))  # and nothing in the mapping is left unused


def test_rejects_template_is_strict_and_outside_the_products_pattern() -> None:
    template = rejects_template("shop")
    assert template["index_patterns"] == ["shop-rejects"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert rejects_index("shop") == "shop-rejects"
    assert not fnmatch(rejects_index("shop"), products_template("shop", SPEC)["index_patterns"][0])


def test_physical_names_are_versioned_timestamped_and_match_the_template() -> None:
    now = datetime(2026, 11, 22, 2, 15, 0, 123456, tzinfo=UTC)
    name = physical_index_name("shop", now=now)
    assert name == f"shop-v{mapping_version()}-20261122t021500123"
    assert name == name.lower()  # Elasticsearch index names are lower case
    assert fnmatch(name, products_template("shop", SPEC)["index_patterns"][0])
    later = physical_index_name("shop", now=now.replace(microsecond=124000))
    assert later > name  # names sort by creation time


def test_check_meta_accepts_the_same_model() -> None:
    check_meta("shop-v1-x", SPEC.meta(mapping_version()), SPEC)
    check_meta("shop-v1-x", WITH_TEXT.meta(mapping_version()), WITH_TEXT)


def test_check_meta_refuses_an_index_without_the_writers_text_model() -> None:
    # An index of mapping version 2 holds no text model vectors: migrate re-embeds it.
    with pytest.raises(ConfigurationError, match="'text_model_id': None") as caught:
        check_meta("shop-v2-x", SPEC.meta(2), WITH_TEXT)
    assert "HYBRID_TEXT_MODEL" in str(caught.value)
    other = VectorSpec(model_id="demo_clip@abc", dims=256, text_model_id="e5@1", text_dims=384)
    with pytest.raises(ConfigurationError, match="e5@1"):
        check_meta("shop-v3-x", other.meta(3), WITH_TEXT)


@pytest.mark.parametrize(
    ("meta", "found"),
    [
        ({"model_id": "demo_clip@abc", "dims": 512, "normalised": True}, "'dims': 512"),
        ({"model_id": "clip-ViT-B-32", "dims": 256, "normalised": True}, "clip-ViT-B-32"),
        ({"model_id": "demo_clip@abc", "dims": 256, "normalised": False}, "False"),
        ({}, "'model_id': None"),
        (None, "'model_id': None"),
    ],
)
def test_check_meta_refuses_another_model_naming_index_and_both_sides(
    meta: dict[str, object] | None, found: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        check_meta("shop-v1-x", meta, SPEC)
    message = str(caught.value)
    assert "'shop-v1-x'" in message
    assert found in message
    assert "'dims': 256" in message  # what the writer has


@pytest.mark.parametrize(
    ("dims", "index_type"), [(0, "int8_hnsw"), (4097, "hnsw"), (32, "bbq_hnsw")]
)
def test_vector_spec_refuses_dims_elasticsearch_cannot_index(dims: int, index_type: str) -> None:
    with pytest.raises(ConfigurationError, match=f"{dims}-dim"):
        VectorSpec(model_id="m", dims=dims, index_type=index_type)  # type: ignore[arg-type]


def test_searchlog_indices_are_daily_match_their_template_and_no_other() -> None:
    from datetime import date

    from hybrid.mapping import searchlog_day, searchlog_index, searchlog_template

    template = searchlog_template("shop")
    name = searchlog_index("shop", date(2026, 12, 3))
    assert name == "shop-searchlog-2026.12.03"
    assert fnmatch(name, template["index_patterns"][0])
    assert template["template"]["mappings"]["dynamic"] == "strict"
    assert not fnmatch(name, products_template("shop", SPEC)["index_patterns"][0])
    assert not fnmatch(rejects_index("shop"), template["index_patterns"][0])
    assert searchlog_day("shop", name) == date(2026, 12, 3)
    assert searchlog_day("shop", "shop-searchlog-junk") is None
    assert searchlog_day("shop", "other-searchlog-2026.12.03") is None


def test_deletes_are_remembered_a_day_by_the_products_template() -> None:
    settings = products_template("shop", SPEC)["template"]["settings"]["index"]
    assert settings["gc_deletes"] == "1d"
    assert tombstone_seconds() == 86400
