"""A sentence-transformers CLIP directory read and run with torch alone: the light loading path.

``import sentence_transformers`` costs seconds before any model is read: scipy and scikit-learn
(``util.similarity``) and, through ``transformers.modeling_utils`` (``core_model_loading`` ->
``torch.distributed.tensor``), sympy. A CLIP in sentence-transformers layout is one module
(``modules.json``: a single ``sentence_transformers.models.CLIPModel``) holding a Hugging Face
``CLIPModel``: its ``config.json``, weights, tokenizer and ``preprocessor_config.json``. This
module reads exactly that, with torch, ``safetensors``, the CLIP tokenizer and configuration of
transformers (which import no model code) and PIL, and computes what sentence-transformers
computes: ``get_text_features`` / ``get_image_features``, the projected pooled outputs.

:func:`clip_module_dir` says whether a directory has that layout; anything else (another module
list, an unknown activation, missing weights) is left to sentence-transformers by the caller.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from PIL.Image import Image

__all__ = ["ClipEncoder", "clip_module_dir"]

#: The module type names sentence-transformers writes for a CLIP model (old and new packages).
CLIP_MODULE_TYPES = frozenset(
    {
        "sentence_transformers.models.CLIPModel",
        "sentence_transformers.models.CLIPModel.CLIPModel",
        "sentence_transformers.sentence_transformer.modules.CLIPModel",
        "sentence_transformers.sentence_transformer.modules.clip_model.CLIPModel",
    }
)
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
ACTIVATIONS = ("quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh")


def clip_module_dir(directory: Path) -> Path | None:
    """The CLIP module folder of a sentence-transformers directory, or None if it is not one
    this module can run (the caller then loads it through sentence-transformers)."""
    module = _single_clip_module(directory)
    if module is None or not (module / "preprocessor_config.json").is_file():
        return None
    if not any((module / name).is_file() for name in WEIGHT_FILES):
        return None
    config = _json(module / "config.json")
    if not isinstance(config, dict) or config.get("model_type") != "clip":
        return None
    acts = [
        config.get(part, {}).get("hidden_act", "quick_gelu")
        for part in ("text_config", "vision_config")
    ]
    return module if all(act in ACTIVATIONS for act in acts) else None


def _single_clip_module(directory: Path) -> Path | None:
    modules = _json(directory / "modules.json")
    if not isinstance(modules, list) or len(modules) != 1 or not isinstance(modules[0], dict):
        return None
    if modules[0].get("type") not in CLIP_MODULE_TYPES:
        return None
    return directory / str(modules[0].get("path", ""))


def _json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


class ClipEncoder:
    """A loaded CLIP: tokenizer, image preprocessing and the two towers with their projections.

    Args:
        module: a folder :func:`clip_module_dir` returned.
        device: a torch device name (``"cpu"``, ``"cuda:0"``).
    """

    def __init__(self, module: Path, *, device: str) -> None:
        from transformers.models.clip.configuration_clip import CLIPConfig
        from transformers.models.clip.tokenization_clip import CLIPTokenizer

        from hybrid.clip_towers import ClipTowers

        config: Any = CLIPConfig.from_pretrained(str(module))
        self.tokenizer = CLIPTokenizer.from_pretrained(str(module))
        self.max_length = min(
            int(self.tokenizer.model_max_length), int(config.text_config.max_position_embeddings)
        )
        self.images = ImagePreprocessor(_json(module / "preprocessor_config.json"))
        self.towers = ClipTowers(config)
        self.towers.load_state_dict(_weights(module), strict=False)
        self.towers.check_loaded()
        self.towers.eval().to(device)
        self.device = device
        self.dims = int(config.projection_dim)

    def encode_texts(self, texts: Sequence[str], *, batch_size: int) -> np.ndarray:
        """Projected text features, ``float32 (len(texts), dims)``, not normalised."""
        import torch

        out = []
        for start in range(0, len(texts), batch_size):
            tokens = self.tokenizer(
                list(texts[start : start + batch_size]),
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            )
            with torch.inference_mode():
                out.append(self.towers.text(tokens["input_ids"].to(self.device)).cpu().numpy())
        return _stack(out, self.dims)

    def encode_images(self, images: Sequence[Image], *, batch_size: int) -> np.ndarray:
        """Projected image features, ``float32 (len(images), dims)``, not normalised."""
        import torch

        out = []
        for start in range(0, len(images), batch_size):
            pixels = np.stack([self.images(image) for image in images[start : start + batch_size]])
            with torch.inference_mode():
                tensor = torch.from_numpy(pixels).to(self.device)
                out.append(self.towers.image(tensor).cpu().numpy())
        return _stack(out, self.dims)


def _stack(parts: list[np.ndarray], dims: int) -> np.ndarray:
    if not parts:
        return np.zeros((0, dims), dtype=np.float32)
    return np.concatenate(parts).astype(np.float32, copy=False)


def _weights(module: Path) -> dict[str, torch.Tensor]:
    if (module / "model.safetensors").is_file():
        from safetensors.torch import load_file

        return load_file(str(module / "model.safetensors"))
    import torch

    state: dict[str, torch.Tensor] = torch.load(
        module / "pytorch_model.bin", map_location="cpu", weights_only=True
    )
    return state


class ImagePreprocessor:
    """What transformers' PIL ``CLIPImageProcessor`` does: RGB, resize the shortest edge
    (bicubic by default), centre crop, rescale, normalise; returns ``float32 (3, h, w)``."""

    def __init__(self, config: dict[str, Any]) -> None:
        size = config.get("size", {"shortest_edge": 224})
        self.shortest = int(size["shortest_edge"] if isinstance(size, dict) else size)
        crop = config.get("crop_size", {"height": self.shortest, "width": self.shortest})
        crop = crop if isinstance(crop, dict) else {"height": crop, "width": crop}
        self.crop = (int(crop["height"]), int(crop["width"]))
        self.do_crop = bool(config.get("do_center_crop", True))
        self.resample = int(config.get("resample", 3))
        rescale = config.get("do_rescale", True)
        self.scale = float(config.get("rescale_factor", 1 / 255)) if rescale else 1.0
        mean = config.get("image_mean", [0.48145466, 0.4578275, 0.40821073])
        std = config.get("image_std", [0.26862954, 0.26130258, 0.27577711])
        normalise = config.get("do_normalize", True)
        self.mean = np.asarray(mean if normalise else [0.0] * 3, dtype=np.float64)[:, None, None]
        self.std = np.asarray(std if normalise else [1.0] * 3, dtype=np.float64)[:, None, None]

    def __call__(self, image: Image) -> np.ndarray:
        from PIL import Image as PILImage

        image = image.convert("RGB")
        width, height = image.size
        short, long = (width, height) if width <= height else (height, width)
        new_long = int(self.shortest * long / short)
        size = (self.shortest, new_long) if width <= height else (new_long, self.shortest)
        image = image.resize(size, resample=PILImage.Resampling(self.resample))
        pixels = np.asarray(image).transpose(2, 0, 1)
        if self.do_crop:
            pixels = _centre_crop(pixels, self.crop)
        normalised = (pixels * self.scale - self.mean) / self.std
        return normalised.astype(np.float32)


def _centre_crop(pixels: np.ndarray, crop: tuple[int, int]) -> np.ndarray:
    _, height, width = pixels.shape
    if height < crop[0] or width < crop[1]:  # smaller than the crop: zero padding around it
        padded = np.zeros((3, max(height, crop[0]), max(width, crop[1])), dtype=pixels.dtype)
        top, left = math.ceil((crop[0] - height) / 2), math.ceil((crop[1] - width) / 2)
        top, left = max(top, 0), max(left, 0)
        padded[:, top : top + height, left : left + width] = pixels
        pixels, (_, height, width) = padded, padded.shape
    top, left = (height - crop[0]) // 2, (width - crop[1]) // 2
    return pixels[:, top : top + crop[0], left : left + crop[1]]
