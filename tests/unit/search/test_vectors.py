"""Query vectors: which vector each kNN leg gets, and the text cache."""

from __future__ import annotations

import json

import numpy as np
import pytest
from support.fakes import HashEmbedder

from hybrid.images import ImageLimits
from hybrid.search.vectors import QueryEncoder, mix, normalise, wire


@pytest.fixture
def encoder() -> QueryEncoder:
    return QueryEncoder(HashEmbedder(), image_root=None, limits=ImageLimits(), cache_size=2)


def test_text_only_searches_both_legs_with_the_text_vector(encoder: QueryEncoder) -> None:
    vectors = encoder.vectors(text="red sneakers", image=None, product=None)
    assert vectors.image_knn is not None and vectors.text_knn is not None
    np.testing.assert_array_equal(vectors.image_knn, vectors.text_knn)


def test_image_plus_text_moves_the_image_vector_towards_the_text(encoder: QueryEncoder) -> None:
    image = normalise(np.arange(8, dtype=np.float32))
    text = encoder.text("in blue")
    vectors = encoder.vectors(text="in blue", image=image, product=None)
    assert vectors.image_knn is not None
    assert float(vectors.image_knn @ text) > float(image @ text)
    assert float(vectors.image_knn @ image) > float(text @ image)
    assert np.linalg.norm(vectors.image_knn) == pytest.approx(1.0, abs=1e-5)


def test_more_like_a_product_uses_its_stored_vectors(encoder: QueryEncoder) -> None:
    stored = {"image_vector": [1.0] + [0.0] * 7, "text_vector": [0.0, 1.0] + [0.0] * 6}
    vectors = encoder.vectors(text=None, image=None, product=stored)
    assert vectors.image_knn is not None and vectors.text_knn is not None
    assert vectors.image_knn[0] == 1.0
    assert vectors.text_knn[1] == 1.0


def test_text_vectors_are_cached_case_and_space_insensitively(encoder: QueryEncoder) -> None:
    embedder = encoder.embedder
    assert isinstance(embedder, HashEmbedder)
    first = encoder.text("Red  Sneakers")
    again = encoder.text("red sneakers")
    np.testing.assert_array_equal(first, again)
    assert embedder.text_calls == 1
    encoder.text("a")
    encoder.text("b")  # cache_size 2: "red sneakers" is evicted
    encoder.text("red sneakers")
    assert embedder.text_calls == 4


def test_the_text_model_leg_gets_the_text_models_vector_of_any_query_text() -> None:
    clip, text_model = HashEmbedder(), HashEmbedder(dims=4)
    encoder = QueryEncoder(clip, image_root=None, limits=ImageLimits(), text_model=text_model)
    vectors = encoder.vectors(text="scarlet trainers", image=None, product=None)
    assert vectors.text_model_knn is not None and vectors.text_model_knn.shape == (4,)
    assert vectors.image_knn is not None and vectors.image_knn.shape == (8,)  # still the CLIP's
    again = encoder.vectors(text="Scarlet  trainers", image=None, product=None)
    assert again.text_model_knn is not None
    np.testing.assert_array_equal(again.text_model_knn, vectors.text_model_knn)
    assert text_model.texts == ["scarlet trainers"]  # the second query hit the cache


def test_with_an_image_the_text_model_leg_does_not_run() -> None:
    encoder = QueryEncoder(
        HashEmbedder(), image_root=None, limits=ImageLimits(), text_model=HashEmbedder(dims=4)
    )
    image = normalise(np.arange(8, dtype=np.float32))
    assert encoder.vectors(text="make it red", image=image, product=None).text_model_knn is None
    stored = {"image_vector": [1.0] + [0.0] * 7}
    assert encoder.vectors(text="in red", image=None, product=stored).text_model_knn is None


def test_without_a_text_model_its_leg_gets_no_vector(encoder: QueryEncoder) -> None:
    assert encoder.vectors(text="red", image=None, product=None).text_model_knn is None
    assert encoder.text_model_vector("red") is None


def test_mix_with_zero_weight_is_the_image() -> None:
    image = normalise(np.arange(1, 9, dtype=np.float32))
    np.testing.assert_allclose(mix(image, np.ones(8, dtype=np.float32), text_weight=0.0), image)


def test_vectors_go_on_the_wire_short_and_exact_to_float32() -> None:
    rng = np.random.default_rng(3)
    vector = normalise(rng.standard_normal(512))
    sent = wire(vector)
    # Elasticsearch reads float32: what it reads is within 1e-9 of the vector encoded.
    assert np.allclose(np.asarray(sent, dtype=np.float32), vector, rtol=0, atol=1e-9)
    assert len(json.dumps(sent)) < 0.7 * len(json.dumps(vector.tolist()))


def test_clear_cache_forgets_every_text_vector(encoder: QueryEncoder) -> None:
    embedder = encoder.embedder
    assert isinstance(embedder, HashEmbedder)
    encoder.text("red sneakers")
    encoder.clear_cache()
    encoder.text("red sneakers")
    assert embedder.text_calls == 2
