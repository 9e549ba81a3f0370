"""The light BERT path computes what sentence-transformers computes, and knows what it cannot."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hybrid.bert import BertEncoder, bert_module_dir
from hybrid.embedding import _light_text_dir, _minilm_dir, resolve_model_path
from hybrid.errors import EmbeddingError
from hybrid.weights import DEMO_MODEL_DIR

TEXTS = [
    "bumbag",
    "a red leather ankle boot, size 42",
    "  Wellies!  ",
    "Café crème mug",
    "",
    "long " * 400,  # beyond the 256 tokens the model reads: truncated alike
]


@pytest.fixture(scope="module")
def minilm() -> Path:
    return _minilm_dir()


def test_the_same_vectors_as_sentence_transformers(minilm: Path) -> None:
    from sentence_transformers import SentenceTransformer

    module = bert_module_dir(minilm)
    assert module == minilm
    light = BertEncoder(module, device="cpu").encode_texts(TEXTS, batch_size=4)
    light /= np.linalg.norm(light, axis=1, keepdims=True)
    reference = SentenceTransformer(str(minilm), device="cpu").encode(TEXTS, convert_to_numpy=True)
    cosine = (light * reference).sum(axis=1)
    print("cosine:", cosine.round(7).tolist(), "max abs:", float(np.abs(light - reference).max()))
    assert cosine.min() > 0.99999
    assert BertEncoder(module, device="cpu").encode_texts([], batch_size=4).shape == (0, 384)


def test_a_text_model_reads_no_images(minilm: Path) -> None:
    with pytest.raises(EmbeddingError, match="cannot encode images"):
        BertEncoder(minilm, device="cpu").encode_images([], batch_size=1)


def _copy(minilm: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("modules.json", "config.json", "tokenizer.json", "sentence_bert_config.json"):
        shutil.copy(minilm / name, copy / name)
    shutil.copytree(minilm / "1_Pooling", copy / "1_Pooling")
    (copy / "model.safetensors").symlink_to(minilm / "model.safetensors")
    return copy


def test_only_the_packaged_model_takes_the_light_path(minilm: Path, tmp_path: Path) -> None:
    assert _light_text_dir(resolve_model_path("all-MiniLM-L6-v2")) == minilm.resolve()
    # The same layout elsewhere may set options this path does not read (a cased tokenizer,
    # prompts): sentence-transformers loads it.
    assert _light_text_dir(str(_copy(minilm, tmp_path))) is None
    assert _light_text_dir(str(DEMO_MODEL_DIR)) is None


def test_other_layouts_are_refused(minilm: Path, tmp_path: Path) -> None:
    assert bert_module_dir(DEMO_MODEL_DIR) is None  # a CLIP
    copy = _copy(minilm, tmp_path)
    assert bert_module_dir(copy) == copy
    pooling = copy / "1_Pooling" / "config.json"
    settings = json.loads(pooling.read_text())
    pooling.write_text(json.dumps({**settings, "pooling_mode_cls_token": True}))
    assert bert_module_dir(copy) is None  # CLS pooling is not what this path computes
    pooling.write_text(json.dumps(settings))
    config = json.loads((copy / "config.json").read_text())
    (copy / "config.json").write_text(json.dumps({**config, "hidden_act": "relu"}))
    assert bert_module_dir(copy) is None
    (copy / "config.json").write_text(json.dumps(config))
    (copy / "tokenizer.json").unlink()
    assert bert_module_dir(copy) is None
