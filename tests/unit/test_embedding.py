"""Tests for hybrid.embedding, against the shipped demo model (no network, no hub)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hybrid import embedding
from hybrid.embedding import (
    Embedder,
    SentenceTransformerEmbedder,
    get_embedder,
    get_text_embedder,
    resolve_model_path,
)
from hybrid.errors import EmbeddingError
from hybrid.settings import DEMO_MODEL, MINILM_MODEL, Settings
from hybrid.weights import DEMO_MODEL_DIR


@pytest.fixture(scope="module")
def demo() -> Iterator[SentenceTransformerEmbedder]:
    yield SentenceTransformerEmbedder(DEMO_MODEL, device="cpu", batch_size=4)


def _photos() -> list[Image.Image]:
    return [
        Image.new("RGB", (128, 128), (200, 30, 40)),
        Image.new("RGB", (90, 60), (20, 30, 80)),
        Image.new("L", (64, 64), 128),  # not RGB: the processor converts it
        Image.new("RGBA", (100, 100), (40, 150, 60, 255)),
        Image.new("RGB", (128, 128), (248, 248, 248)),
    ]


def test_demo_resolves_to_the_shipped_directory() -> None:
    assert resolve_model_path(DEMO_MODEL) == str(DEMO_MODEL_DIR)
    assert (DEMO_MODEL_DIR / "modules.json").is_file()


def test_hub_names_pass_through_unchanged() -> None:
    assert resolve_model_path("clip-ViT-B-32") == "clip-ViT-B-32"
    assert resolve_model_path("sentence-transformers/clip-ViT-B-32") == (
        "sentence-transformers/clip-ViT-B-32"
    )


def test_demo_embedder_satisfies_the_protocol(demo: SentenceTransformerEmbedder) -> None:
    embedder: Embedder = demo
    assert embedder.normalised is True
    assert embedder.dims == 128


def test_images_are_float32_unit_vectors(demo: SentenceTransformerEmbedder) -> None:
    vectors = demo.encode_images(_photos())
    assert vectors.shape == (5, demo.dims)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_texts_are_float32_unit_vectors(demo: SentenceTransformerEmbedder) -> None:
    texts = ["maroon trainers", "navy t-shirt", "", "very long text " * 50]
    vectors = demo.encode_texts(texts)
    assert vectors.shape == (4, demo.dims)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("kind", ["images", "texts"])
def test_empty_input_gives_zero_rows(demo: SentenceTransformerEmbedder, kind: str) -> None:
    vectors = demo.encode_images([]) if kind == "images" else demo.encode_texts([])
    assert vectors.shape == (0, demo.dims)
    assert vectors.dtype == np.float32


def test_encoding_is_deterministic_and_batch_independent(
    demo: SentenceTransformerEmbedder,
) -> None:
    photos = _photos()
    together = demo.encode_images(photos)
    alone = np.vstack([demo.encode_images([photo]) for photo in photos])
    np.testing.assert_array_equal(demo.encode_images(photos), together)
    np.testing.assert_allclose(alone, together, atol=1e-5)
    texts = ["red running shoes", "beige cushion"]
    np.testing.assert_array_equal(demo.encode_texts(texts), demo.encode_texts(texts))


def test_model_id_names_the_directory_and_its_content(demo: SentenceTransformerEmbedder) -> None:
    name, _, digest = demo.model_id.partition("@")
    assert name == "demo_clip"
    assert len(digest) == 12
    assert SentenceTransformerEmbedder(str(DEMO_MODEL_DIR)).model_id == demo.model_id


def test_model_id_changes_with_the_weights(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "weights.bin").write_bytes(name.encode())
    first = SentenceTransformerEmbedder(str(tmp_path / "a")).model_id
    second = SentenceTransformerEmbedder(str(tmp_path / "b")).model_id
    assert first != second


def test_missing_local_path_fails_without_a_download(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    with pytest.raises(EmbeddingError, match="no-such-model"):
        SentenceTransformerEmbedder(str(missing))


def test_directory_without_a_model_fails_on_first_use(tmp_path: Path) -> None:
    embedder = SentenceTransformerEmbedder(str(tmp_path), device="cpu")
    with pytest.raises(EmbeddingError, match=str(tmp_path.name)):
        embedder.encode_texts(["red sneakers"])


def test_unknown_hub_name_fails_offline_with_embedding_error() -> None:
    embedder = SentenceTransformerEmbedder("no-such-org/no-such-model-xyz", device="cpu")
    with pytest.raises(EmbeddingError, match="no-such-model-xyz"):
        embedder.encode_texts(["red sneakers"])


def test_a_single_string_is_rejected(demo: SentenceTransformerEmbedder) -> None:
    with pytest.raises(EmbeddingError, match="one string"):
        demo.encode_texts("red sneakers")


def test_get_embedder_is_cached_per_model_and_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "_cache", {})
    first = get_embedder(Settings(model=DEMO_MODEL, device="cpu"))
    assert get_embedder(Settings(model=DEMO_MODEL, device="cpu")) is first
    assert get_embedder(Settings(model=str(DEMO_MODEL_DIR), device="cpu")) is first
    assert get_embedder(Settings(model=DEMO_MODEL, device="auto")) is not first


def test_loading_sets_the_configured_torch_threads() -> None:
    import torch

    embedder = get_embedder(
        Settings(model="demo", device="cpu", torch_threads=1, embed_batch_size=7)
    )
    assert embedder.threads == 1
    assert embedder.dims > 0  # loads the model
    assert torch.get_num_threads() == 1


@pytest.mark.parametrize("off", ["", "off", " OFF "])
def test_the_text_model_leg_can_be_switched_off(off: str) -> None:
    assert get_text_embedder(Settings(text_model=off)) is None
    assert get_text_embedder(Settings()) is None  # off unless configured


def test_the_text_model_is_the_packaged_minilm_with_the_clips_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(embedding, "_cache", {})
    settings = Settings(model=DEMO_MODEL, text_model=MINILM_MODEL, device="cpu", torch_threads=1)
    text = get_text_embedder(settings)
    assert text is not None and text is not get_embedder(settings)
    assert text.path == resolve_model_path("all-MiniLM-L6-v2")
    assert text.model_id.startswith("all-MiniLM-L6-v2@")  # not the wheel's directory name
    assert text.threads == 1
    assert get_text_embedder(settings) is text  # one per process
