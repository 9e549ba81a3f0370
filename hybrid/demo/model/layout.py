"""The demo CLIP's architecture, and saving it in the layout of ``clip-ViT-B-32``.

``sentence-transformers/clip-ViT-B-32`` is a ``modules.json`` naming one
``sentence_transformers.models.CLIPModel`` module in ``0_CLIPModel/``, which holds a plain
``transformers`` CLIP (``config.json`` + weights), its tokenizer (``vocab.json``, ``merges.txt``,
``tokenizer_config.json``) and its image processor (``preprocessor_config.json``). The demo model
is saved the same way, so ``SentenceTransformer(path)`` loads both through one code path and the
rest of the project cannot tell them apart except by size and quality.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hybrid.demo.model.tokenizer import BOS_TOKEN, EOS_TOKEN, BpeVocabulary, write_bpe_files

if TYPE_CHECKING:
    from transformers import CLIPModel

MODULE_DIR = "0_CLIPModel"

# OpenAI CLIP's normalisation constants, kept so the processor config is the stock one.
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)


@dataclass(frozen=True)
class DemoClipSpec:
    """The size of the demo CLIP.

    Attributes:
        image_size: input side in pixels (images are resized and centre-cropped to it).
        patch_size: ViT patch side; ``(image_size / patch_size) ** 2`` patches.
        vision_width: hidden size of the vision transformer.
        vision_layers: number of vision transformer layers.
        text_width: hidden size of the text transformer.
        text_layers: number of text transformer layers.
        heads: attention heads in both towers.
        context_length: maximum tokens per text, including start and end tokens.
        projection_dim: length of the shared embedding (the index vector length).
    """

    image_size: int = 64
    patch_size: int = 16
    vision_width: int = 160
    vision_layers: int = 4
    text_width: int = 128
    text_layers: int = 3
    heads: int = 4
    context_length: int = 32
    projection_dim: int = 128

    def to_dict(self) -> dict[str, int]:
        """The spec as a JSON-able dict."""
        return asdict(self)


def build_clip(spec: DemoClipSpec, vocabulary: BpeVocabulary) -> CLIPModel:
    """A freshly initialised ``transformers.CLIPModel`` of the given size.

    Seed torch before calling for reproducible initial weights.
    """
    from transformers import CLIPConfig, CLIPModel

    text = {
        "vocab_size": len(vocabulary.vocab),
        "hidden_size": spec.text_width,
        "intermediate_size": 4 * spec.text_width,
        "num_hidden_layers": spec.text_layers,
        "num_attention_heads": spec.heads,
        "max_position_embeddings": spec.context_length,
        "projection_dim": spec.projection_dim,
        "bos_token_id": vocabulary.bos_id,
        "eos_token_id": vocabulary.eos_id,
        "pad_token_id": vocabulary.eos_id,
    }
    vision = {
        "hidden_size": spec.vision_width,
        "intermediate_size": 4 * spec.vision_width,
        "num_hidden_layers": spec.vision_layers,
        "num_attention_heads": spec.heads,
        "image_size": spec.image_size,
        "patch_size": spec.patch_size,
        "projection_dim": spec.projection_dim,
    }
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=spec.projection_dim)
    model = CLIPModel(config)
    _init_sincos_positions(model, spec)
    return model


def _init_sincos_positions(model: CLIPModel, spec: DemoClipSpec) -> None:
    """Start the patch position embeddings from a 2-D sine-cosine grid (as in MAE).

    They stay ordinary learnt parameters; the grid only gives a small model, trained briefly,
    a sense of where each patch is from the first step, which "the same model" (same framing,
    other colour) depends on.
    """
    import torch

    side = spec.image_size // spec.patch_size
    quarter = spec.vision_width // 4
    omega = 1.0 / 10000 ** (torch.arange(quarter, dtype=torch.float32) / quarter)
    ys, xs = torch.meshgrid(
        torch.arange(side, dtype=torch.float32),
        torch.arange(side, dtype=torch.float32),
        indexing="ij",
    )
    parts = []
    for coords in (ys.flatten(), xs.flatten()):
        angles = coords[:, None] * omega[None, :]
        parts += [torch.sin(angles), torch.cos(angles)]
    grid = torch.cat(parts, dim=1)  # (patches, 4 * quarter)
    weight = model.vision_model.embeddings.position_embedding.weight
    with torch.no_grad():
        weight[1:, : grid.shape[1]] = grid  # row 0 is the class token's position


def preprocessor_config(spec: DemoClipSpec) -> dict[str, Any]:
    """The stock ``CLIPImageProcessor`` settings, at the demo model's image size."""
    return {
        "crop_size": {"height": spec.image_size, "width": spec.image_size},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": list(CLIP_MEAN),
        "image_processor_type": "CLIPImageProcessor",
        "image_std": list(CLIP_STD),
        "resample": 3,  # bicubic, as OpenAI CLIP
        "rescale_factor": 1 / 255,
        "size": {"shortest_edge": spec.image_size},
    }


def tokenizer_config(spec: DemoClipSpec) -> dict[str, Any]:
    """``tokenizer_config.json`` for ``CLIPTokenizer`` over ``vocab.json`` + ``merges.txt``."""
    return {
        "tokenizer_class": "CLIPTokenizer",
        "bos_token": BOS_TOKEN,
        "eos_token": EOS_TOKEN,
        "pad_token": EOS_TOKEN,
        "unk_token": EOS_TOKEN,
        "model_max_length": spec.context_length,
        "do_lower_case": True,
    }


def write_processor_files(
    vocabulary: BpeVocabulary, *, spec: DemoClipSpec, module_dir: Path
) -> None:
    """Write the tokenizer and image processor files of the CLIP module directory.

    Written before training, so training preprocesses with exactly the processor that
    sentence-transformers loads later.
    """
    module_dir.mkdir(parents=True, exist_ok=True)
    write_bpe_files(vocabulary, module_dir)
    _write_json(module_dir / "tokenizer_config.json", tokenizer_config(spec))
    _write_json(module_dir / "preprocessor_config.json", preprocessor_config(spec))


def save_sentence_transformer(model: CLIPModel, out_dir: Path, *, card: str | None = None) -> None:
    """Save the weights and the sentence-transformers files in the ``clip-ViT-B-32`` layout.

    The tokenizer and processor files must already be in ``out_dir / MODULE_DIR`` (see
    :func:`write_processor_files`).

    Args:
        model: the trained CLIP.
        out_dir: the model directory.
        card: optional ``README.md`` text describing the model.
    """
    module_dir = out_dir / MODULE_DIR
    model.save_pretrained(module_dir, safe_serialization=True)
    modules = [
        {
            "idx": 0,
            "name": "0",
            "path": MODULE_DIR,
            "type": "sentence_transformers.models.CLIPModel",
        }
    ]
    _write_json(out_dir / "modules.json", modules)
    _write_json(out_dir / "config_sentence_transformers.json", _st_config())
    if card is not None:
        (out_dir / "README.md").write_text(card, encoding="utf-8")
    for file in out_dir.rglob("*"):
        file.chmod(0o755 if file.is_dir() else 0o644)  # safetensors writes 0600


def _st_config() -> dict[str, Any]:
    import sentence_transformers
    import torch
    import transformers

    return {
        "model_type": "SentenceTransformer",
        "__version__": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "pytorch": torch.__version__,
        },
        "prompts": {},
        "default_prompt_name": None,
        "similarity_fn_name": "cosine",
    }


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
