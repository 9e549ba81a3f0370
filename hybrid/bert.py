"""The packaged all-MiniLM-L6-v2 (a sentence-transformers BERT) run with torch alone.

The light path for text models, as :mod:`hybrid.clip` is for CLIPs: ``import
sentence_transformers`` costs seconds before any model is read (scipy, scikit-learn and,
through transformers' model loading, sympy; ``docs/scaling.md``, "Start-up"). A
sentence-transformers model of a BERT (``modules.json``: ``Transformer`` at the root, mean
``Pooling``, optionally ``Normalize``) is a Hugging Face ``BertModel`` directory plus a pooling
configuration. This module reads exactly that, with torch, ``safetensors`` and the
``tokenizers`` library (no transformers at all), and computes what sentence-transformers
computes: BERT's last hidden states, averaged over the real tokens.

:func:`bert_module_dir` says whether a directory has that layout. :mod:`hybrid.embedding` uses
this path for the packaged model only (``tests/unit/test_bert.py`` compares the two); any other
BERT goes through sentence-transformers, which also honours options this module does not read
(a cased tokenizer, prompts, other pooling modes). :mod:`hybrid.bert_layers` holds the network.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hybrid.errors import EmbeddingError

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["BertEncoder", "bert_module_dir"]

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_MEAN_ONLY = {
    "pooling_mode_cls_token": False,
    "pooling_mode_mean_tokens": True,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _modules_fit(directory: Path) -> bool:
    modules = _json(directory / "modules.json")
    if not isinstance(modules, list) or not modules:
        return False
    types = [str(m.get("type", "")) for m in modules if isinstance(m, dict)]
    if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
        return False
    if modules[0].get("path") != "":
        return False
    pooling = _json(directory / str(modules[1].get("path", "")) / "config.json")
    return isinstance(pooling, dict) and all(
        pooling.get(k, False) == v for k, v in _MEAN_ONLY.items()
    )


def bert_module_dir(directory: Path) -> Path | None:
    """``directory`` if it is a sentence-transformers BERT with mean pooling this module can
    run, else None (the caller then loads it through sentence-transformers)."""
    if not directory.is_dir() or not _modules_fit(directory):
        return None
    config = _json(directory / "config.json")
    if not isinstance(config, dict) or config.get("model_type") != "bert":
        return None
    if config.get("hidden_act") != "gelu" or config.get("position_embedding_type", "absolute") != (
        "absolute"
    ):
        return None
    needed = ("tokenizer.json", "model.safetensors")
    return directory if all((directory / name).is_file() for name in needed) else None


class BertEncoder:
    """A loaded BERT text model: tokenizer, network and mean pooling.

    Args:
        directory: a folder :func:`bert_module_dir` returned.
        device: a torch device name (``"cpu"``, ``"cuda:0"``).
    """

    def __init__(self, directory: Path, *, device: str) -> None:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        from hybrid.bert_layers import Bert

        config = _json(directory / "config.json")
        sentence = _json(directory / "sentence_bert_config.json") or {}
        self.max_length = min(
            int(sentence.get("max_seq_length") or config["max_position_embeddings"]),
            int(config["max_position_embeddings"]),
        )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_length)
        pad = int(config.get("pad_token_id", 0))
        self.tokenizer.enable_padding(pad_id=pad, pad_token=self.tokenizer.id_to_token(pad))
        self.network = Bert(config)
        self.network.load(load_file(str(directory / "model.safetensors")))
        self.network.eval().to(device)
        self.device = device
        self.dims = int(config["hidden_size"])

    def encode_texts(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray:
        """Mean-pooled last hidden states, ``float32 (len(texts), dims)``, not normalised."""
        import torch

        out = []
        for start in range(0, len(texts), batch_size):
            batch = self.tokenizer.encode_batch(list(texts[start : start + batch_size]))
            ids = torch.tensor([b.ids for b in batch], device=self.device)
            mask = torch.tensor([b.attention_mask for b in batch], device=self.device)
            with torch.inference_mode():
                hidden = self.network(ids, mask)
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            out.append(pooled.cpu().numpy())
        if not out:
            return np.zeros((0, self.dims), dtype=np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

    def encode_images(self, images: Sequence[Image], *, batch_size: int) -> np.ndarray:
        """A text model reads no images."""
        raise EmbeddingError("a BERT text model cannot encode images")
