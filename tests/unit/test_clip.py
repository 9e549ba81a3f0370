"""Tests for hybrid.clip: the light path computes what sentence-transformers computes, and only
runs the layout it knows (anything else goes to sentence-transformers)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hybrid.clip import ClipEncoder, clip_module_dir
from hybrid.embedding import SentenceTransformerEmbedder, resolve_model_path
from hybrid.settings import MINILM_MODEL
from hybrid.weights import DEMO_MODEL_DIR

TEXTS = ["red leather trainers", "a long description of a blue wool coat " * 20, "Blue", ""]


def _images() -> list[Image.Image]:
    rng = np.random.default_rng(3)
    noise = rng.integers(0, 255, (150, 110, 3), dtype=np.uint8)
    return [
        Image.fromarray(noise),  # portrait, cropped
        Image.fromarray(noise).resize((300, 40)).convert("RGBA"),  # smaller than the crop
        Image.fromarray(noise).convert("L"),
        Image.new("RGB", (64, 64), (20, 200, 90)),
    ]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return np.asarray((a * b).sum(axis=1))


def test_the_light_path_gives_the_vectors_of_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    module = clip_module_dir(DEMO_MODEL_DIR)
    assert module is not None
    light = ClipEncoder(module, device="cpu")
    reference = SentenceTransformer(str(DEMO_MODEL_DIR), device="cpu")
    texts = light.encode_texts(TEXTS, batch_size=3)
    images = light.encode_images(_images(), batch_size=3)
    assert texts.shape == (len(TEXTS), light.dims) and texts.dtype == np.float32
    assert _cosines(texts, reference.encode(TEXTS)).min() > 0.99999
    assert _cosines(images, reference.encode(_images())).min() > 0.99999


def test_other_layouts_are_left_to_sentence_transformers(tmp_path: Path) -> None:
    assert clip_module_dir(Path(resolve_model_path(MINILM_MODEL))) is None  # a text model
    assert clip_module_dir(tmp_path) is None  # no modules.json
    copy = tmp_path / "clip"
    shutil.copytree(DEMO_MODEL_DIR, copy)
    config = json.loads((copy / "0_CLIPModel" / "config.json").read_text())
    config["text_config"]["hidden_act"] = "swish"
    (copy / "0_CLIPModel" / "config.json").write_text(json.dumps(config))
    assert clip_module_dir(copy) is None  # an activation the towers do not have


def test_weights_missing_a_parameter_are_refused(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    copy = tmp_path / "clip"
    shutil.copytree(DEMO_MODEL_DIR, copy)
    weights = copy / "0_CLIPModel" / "model.safetensors"
    state = load_file(str(weights))
    del state["visual_projection.weight"]
    save_file(state, str(weights))
    module = clip_module_dir(copy)
    assert module is not None
    with pytest.raises(ValueError, match="visual_projection"):
        ClipEncoder(module, device="cpu")


def test_a_text_model_still_loads_through_sentence_transformers() -> None:
    embedder = SentenceTransformerEmbedder(MINILM_MODEL, device="cpu")
    vectors = embedder.encode_texts(["red sneakers", "blue coat"])
    assert vectors.shape == (2, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
