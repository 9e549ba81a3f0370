"""Tests for the shipped demo CLIP (hybrid.demo.model): layout, tokenizer, quality and training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hybrid.cli.model import model_app
from hybrid.demo.model.evaluate import evaluate_demo_model
from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.errors import InvalidRequestError
from hybrid.settings import DEMO_MODEL
from hybrid.weights import DEMO_MODEL_DIR

MODULE_DIR = DEMO_MODEL_DIR / "0_CLIPModel"


# The catalogue issue's targets are text->image recall@10 >= 0.8 and image->image same-model
# recall@10 >= 0.9. The shipped weights reach 0.997 and 0.959 on these held-out products; the
# floors are the targets, so a model that misses either fails.
TEXT_TO_IMAGE_FLOOR = 0.80
IMAGE_TO_IMAGE_FLOOR = 0.90
# A shopper's photo (turned, smaller, off centre) must land among its own category: image + text
# search keeps the category its 20 nearest photos agree on. The shipped weights reach 0.955
# (nearest photo's category) and 0.970 (anchor precision); the weights before shopper views
# 0.648 and 0.784, and fail.
SHOPPER_CATEGORY_FLOOR = 0.80
SHOPPER_ANCHOR_PRECISION_FLOOR = 0.85


@pytest.fixture(scope="module")
def metrics() -> dict[str, float | int]:
    embedder = SentenceTransformerEmbedder(DEMO_MODEL, device="cpu")
    return evaluate_demo_model(embedder, n_products=600, seed=2024)


@pytest.mark.slow
def test_text_queries_find_the_right_category_and_colour(metrics: dict[str, float | int]) -> None:
    assert metrics["text_queries"] > 1000
    assert metrics["text_to_image_recall@10"] >= TEXT_TO_IMAGE_FLOOR


@pytest.mark.slow
def test_photos_find_the_same_model_in_other_colours(metrics: dict[str, float | int]) -> None:
    assert metrics["image_queries"] > 300
    assert metrics["image_to_image_same_model_recall@10"] >= IMAGE_TO_IMAGE_FLOOR


@pytest.mark.slow
def test_a_shoppers_photo_lands_among_its_own_category(metrics: dict[str, float | int]) -> None:
    assert metrics["shopper_photos"] == 600
    assert metrics["shopper_photo_category@1"] >= SHOPPER_CATEGORY_FLOOR
    assert metrics["shopper_photo_anchor_precision"] >= SHOPPER_ANCHOR_PRECISION_FLOOR
    assert metrics["shopper_photo_anchored"] >= 0.9


def test_shipped_directory_has_the_clip_vit_b_32_layout() -> None:
    modules = json.loads((DEMO_MODEL_DIR / "modules.json").read_text())
    assert modules == [
        {
            "idx": 0,
            "name": "0",
            "path": "0_CLIPModel",
            "type": "sentence_transformers.models.CLIPModel",
        }
    ]
    expected = {"config.json", "model.safetensors", "vocab.json", "merges.txt"}
    expected |= {"tokenizer_config.json", "preprocessor_config.json"}
    assert expected <= {path.name for path in MODULE_DIR.iterdir()}
    size = sum(path.stat().st_size for path in DEMO_MODEL_DIR.rglob("*") if path.is_file())
    assert size < 20_000_000


def test_tokenizer_is_clip_bpe_with_whole_words_for_shop_terms() -> None:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(MODULE_DIR))
    assert type(tokenizer).__name__ == "CLIPTokenizer"
    tokens = tokenizer.tokenize("Maroon trainers, navy T-shirt")
    assert tokens[:2] == ["maroon</w>", "trainers</w>"]
    assert "navy</w>" in tokens
    assert tokenizer.model_max_length == 32


@pytest.mark.slow
def test_sentence_transformers_loads_it_like_clip_in_a_fresh_process() -> None:
    script = (
        "import sys\n"
        "from PIL import Image\n"
        "from sentence_transformers import SentenceTransformer\n"
        "model = SentenceTransformer(sys.argv[1], device='cpu')\n"
        "images = model.encode([Image.new('RGB', (128, 128), (200, 30, 40))])\n"
        "texts = model.encode(['red sneakers', 'navy t-shirt'])\n"
        "print(images.shape, texts.shape)\n"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script, str(DEMO_MODEL_DIR)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "(1, 128) (2, 128)"


@pytest.mark.slow
def test_train_demo_writes_a_loadable_model(tmp_path: Path) -> None:
    out = tmp_path / "tiny"
    args = ["train-demo", "--out", str(out), "--n", "24", "--epochs", "1", "--no-evaluate"]
    result = CliRunner().invoke(model_app, args)
    assert result.exit_code == 0, result.output
    assert "training products: 24 (seed 1001)" in result.output
    vectors = SentenceTransformerEmbedder(str(out), device="cpu").encode_texts(["red cap"])
    assert vectors.shape == (1, 128)


def test_train_demo_refuses_to_overwrite_a_directory_that_is_no_model(tmp_path: Path) -> None:
    from hybrid.demo.model.train import train_demo_model

    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(InvalidRequestError, match="refusing to overwrite"):
        train_demo_model(tmp_path, n_products=24, epochs=1, evaluate=False)
    assert (tmp_path / "notes.txt").read_text() == "keep me"
