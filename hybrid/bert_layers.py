"""BERT's encoder in plain torch, with the parameter names of transformers' ``BertModel``.

The same computation as ``BertModel(...).last_hidden_state`` in evaluation: word, position and
token-type embeddings (token type 0) and a layer norm, then post-norm layers of self-attention
over the real tokens and a GELU feed-forward. Imported by :mod:`hybrid.bert` when a model
loads, never at start-up: it needs torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch spelling
from torch import nn

__all__ = ["Bert"]

#: Weights BertModel checkpoints carry that mean pooling never uses, or that are recomputed.
UNUSED_PREFIXES = ("pooler.", "embeddings.position_ids")


class _SelfAttention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.query, self.key = nn.Linear(width, width), nn.Linear(width, width)
        self.value = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        batch, length, width = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attend)
        return out.transpose(1, 2).reshape(batch, length, width)


class _Residual(nn.Module):
    """``dense``, then ``LayerNorm(input + output)``: BERT's "output" blocks."""

    def __init__(self, width_in: int, width: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(width_in, width)
        self.LayerNorm = nn.LayerNorm(width, eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.LayerNorm(residual + self.dense(x))
        return result


class _Attention(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        width, eps = config["hidden_size"], config["layer_norm_eps"]
        self.self = _SelfAttention(width, config["num_attention_heads"])
        self.output = _Residual(width, width, eps)

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.output(self.self(x, attend), x)
        return result


class _Intermediate(nn.Module):
    def __init__(self, width: int, hidden: int) -> None:
        super().__init__()
        self.dense = nn.Linear(width, hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class _Layer(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        width, hidden = config["hidden_size"], config["intermediate_size"]
        self.attention = _Attention(config)
        self.intermediate = _Intermediate(width, hidden)
        self.output = _Residual(hidden, width, config["layer_norm_eps"])

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, attend)
        result: torch.Tensor = self.output(self.intermediate(x), x)
        return result


class _Encoder(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(config) for _ in range(config["num_hidden_layers"]))

    def forward(self, x: torch.Tensor, attend: torch.Tensor) -> torch.Tensor:
        for layer in self.layer:
            x = layer(x, attend)
        return x


class _Embeddings(nn.Module):
    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        width = config["hidden_size"]
        self.word_embeddings = nn.Embedding(config["vocab_size"], width)
        self.position_embeddings = nn.Embedding(config["max_position_embeddings"], width)
        self.token_type_embeddings = nn.Embedding(config["type_vocab_size"], width)
        self.LayerNorm = nn.LayerNorm(width, config["layer_norm_eps"])

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device).unsqueeze(0)
        types = torch.zeros_like(ids)
        summed = (
            self.word_embeddings(ids)
            + self.position_embeddings(positions)
            + self.token_type_embeddings(types)
        )
        result: torch.Tensor = self.LayerNorm(summed)
        return result


class Bert(nn.Module):
    """BERT's embeddings and encoder; :meth:`forward` gives the last hidden states."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        super().__init__()
        self.embeddings = _Embeddings(config)
        self.encoder = _Encoder(config)

    def load(self, weights: Mapping[str, torch.Tensor]) -> None:
        """Load a ``BertModel`` state dict (a ``bert.`` prefix is dropped); every parameter must
        be there, and nothing but the unused pooler may be left over.

        Raises:
            ValueError: names missing or unexpected.
        """
        state = {key.removeprefix("bert."): value for key, value in weights.items()}
        state = {k: v for k, v in state.items() if not k.startswith(UNUSED_PREFIXES)}
        result = self.load_state_dict(state, strict=False)
        if result.missing_keys or result.unexpected_keys:
            raise ValueError(
                f"not a BertModel checkpoint: missing {result.missing_keys[:5]}, unexpected "
                f"{result.unexpected_keys[:5]}"
            )

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        attend = mask.bool()[:, None, None, :]  # (batch, 1, 1, length): True where a token is
        result: torch.Tensor = self.encoder(self.embeddings(ids), attend)
        return result
