"""CLIP's two towers in plain torch, with the parameter names of transformers' ``CLIPModel``.

The same computation as ``CLIPModel.get_text_features`` and ``get_image_features``: pre-norm
transformer layers, a causal text encoder pooled at the first end-of-text token (the highest
token id for old configurations whose ``eos_token_id`` is 2), a vision encoder pooled at its
class token, then the projections. Imported by :mod:`hybrid.clip` when a model loads, never at
start-up: it needs torch.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812 - the usual torch spelling
from torch import nn

__all__ = ["ClipTowers"]

#: Buffers old checkpoints carry that these towers recompute.
IGNORED_KEYS = ("position_ids",)


def _activation(name: str) -> Any:
    return {
        "quick_gelu": lambda x: x * torch.sigmoid(1.702 * x),
        "gelu": F.gelu,
        "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
        "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    }[name]


class _Attention(nn.Module):
    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.heads = heads
        self.q_proj, self.k_proj = nn.Linear(width, width), nn.Linear(width, width)
        self.v_proj, self.out_proj = nn.Linear(width, width), nn.Linear(width, width)

    def forward(self, x: torch.Tensor, *, causal: bool) -> torch.Tensor:
        batch, length, width = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, width // self.heads).transpose(1, 2)

        q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
        out = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
        result: torch.Tensor = self.out_proj(out.transpose(1, 2).reshape(batch, length, width))
        return result


class _Mlp(nn.Module):
    def __init__(self, width: int, hidden: int, act: str) -> None:
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, hidden), nn.Linear(hidden, width)
        self.act = _activation(act)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        result: torch.Tensor = self.fc2(self.act(self.fc1(x)))
        return result


class _Layer(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        width, eps = config.hidden_size, config.layer_norm_eps
        self.self_attn = _Attention(width, config.num_attention_heads)
        self.layer_norm1, self.layer_norm2 = nn.LayerNorm(width, eps), nn.LayerNorm(width, eps)
        self.mlp = _Mlp(width, config.intermediate_size, config.hidden_act)

    def forward(self, x: torch.Tensor, *, causal: bool) -> torch.Tensor:
        x = x + self.self_attn(self.layer_norm1(x), causal=causal)
        result: torch.Tensor = x + self.mlp(self.layer_norm2(x))
        return result


class _Encoder(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        self.layers = nn.ModuleList(_Layer(config) for _ in range(config.num_hidden_layers))

    def forward(self, x: torch.Tensor, *, causal: bool) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, causal=causal)
        return x


class _TextEmbeddings(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        self.token_embedding = nn.Embedding(config.vocab_size, config.hidden_size)
        self.position_embedding = nn.Embedding(config.max_position_embeddings, config.hidden_size)


class _Text(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        self.eos_token_id = config.eos_token_id
        self.embeddings = _TextEmbeddings(config)
        self.encoder = _Encoder(config)
        self.final_layer_norm = nn.LayerNorm(config.hidden_size, config.layer_norm_eps)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.embeddings.token_embedding(ids) + self.embeddings.position_embedding(positions)
        x = self.final_layer_norm(self.encoder(x, causal=True))
        if self.eos_token_id == 2:  # legacy configurations: end of text has the highest id
            at = ids.argmax(dim=-1)
        else:
            at = (ids == self.eos_token_id).int().argmax(dim=-1)
        result: torch.Tensor = x[torch.arange(x.shape[0], device=x.device), at]
        return result


class _VisionEmbeddings(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        width, patch = config.hidden_size, config.patch_size
        self.class_embedding = nn.Parameter(torch.zeros(width))
        self.patch_embedding = nn.Conv2d(
            config.num_channels, width, kernel_size=patch, stride=patch, bias=False
        )
        patches = (config.image_size // patch) ** 2
        self.position_embedding = nn.Embedding(patches + 1, width)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        patches = self.patch_embedding(pixels).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(pixels.shape[0], 1, -1)
        return torch.cat([cls, patches], dim=1) + self.position_embedding.weight


class _Vision(nn.Module):
    def __init__(self, config: Any) -> None:
        super().__init__()
        width, eps = config.hidden_size, config.layer_norm_eps
        self.embeddings = _VisionEmbeddings(config)
        self.pre_layrnorm = nn.LayerNorm(width, eps)  # transformers' spelling
        self.encoder = _Encoder(config)
        self.post_layernorm = nn.LayerNorm(width, eps)

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = self.encoder(self.pre_layrnorm(self.embeddings(pixels)), causal=False)
        result: torch.Tensor = self.post_layernorm(x[:, 0])
        return result


class ClipTowers(nn.Module):
    """``text(ids)`` and ``image(pixels)``: projected, not normalised, features.

    Args:
        config: a transformers ``CLIPConfig`` (read from the model's ``config.json``).
    """

    def __init__(self, config: Any) -> None:
        super().__init__()
        text, vision = config.text_config, config.vision_config
        self.text_model, self.vision_model = _Text(text), _Vision(vision)
        self.text_projection = nn.Linear(text.hidden_size, config.projection_dim, bias=False)
        self.visual_projection = nn.Linear(vision.hidden_size, config.projection_dim, bias=False)
        self.logit_scale = nn.Parameter(torch.zeros(()))  # stored; unused for features
        self._loaded: set[str] = set()

    def load_state_dict(self, state: Any, strict: bool = True, assign: bool = False) -> Any:
        """Load transformers' ``CLIPModel`` weights; remembers which names were present."""
        state = {k: v for k, v in state.items() if not k.endswith(IGNORED_KEYS)}
        self._loaded = set(state)
        return super().load_state_dict(state, strict=strict, assign=assign)

    def check_loaded(self) -> None:
        """Raise ``ValueError`` naming the parameters the weights did not provide."""
        missing = sorted(set(self.state_dict()) - self._loaded - {"logit_scale"})
        if missing:
            raise ValueError(f"the weights lack {len(missing)} CLIP parameters, e.g. {missing[:3]}")

    def text(self, ids: torch.Tensor) -> torch.Tensor:
        """Projected text features of token ids ``(batch, length)``."""
        result: torch.Tensor = self.text_projection(self.text_model(ids))
        return result

    def image(self, pixels: torch.Tensor) -> torch.Tensor:
        """Projected image features of preprocessed pixels ``(batch, 3, h, w)``."""
        result: torch.Tensor = self.visual_projection(self.vision_model(pixels))
        return result
