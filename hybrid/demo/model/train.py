"""Training the in-house demo CLIP on generated products.

The model learns from (photo, caption) pairs of the catalogue with seed 1001; the evaluation
(:mod:`hybrid.demo.model.evaluate`) uses other seeds, so its products and variant groups are unseen.
The loss is CLIP's symmetric InfoNCE with several positives per row (see
:mod:`hybrid.demo.model.losses`), plus a photo-to-photo term that pulls the colours of one model
together so "more like this" finds the same model in other colours.

Training runs on the CPU with one thread by default (``TrainOptions.threads``), where it is
bit-for-bit deterministic; more threads are faster but not bit-identical. The
model is trained in a staging directory next to ``out_dir`` and moved into place at the end, so
a failed run never leaves a half-written model behind.
"""

from __future__ import annotations

import logging
import math
import random
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

from hybrid.demo.model import TRAIN_EPOCHS, TRAIN_SEED
from hybrid.demo.model.data import (
    TrainingSet,
    build_training_set,
    caption_sets,
    generate_products,
    group_batches,
    tokenizer_corpus,
)
from hybrid.demo.model.evaluate import evaluate_demo_model
from hybrid.demo.model.layout import (
    MODULE_DIR,
    DemoClipSpec,
    build_clip,
    save_sentence_transformer,
    write_processor_files,
)
from hybrid.demo.model.losses import (
    IMAGE_TEMPERATURE,
    AuxiliaryHeads,
    caption_positives,
    clip_loss,
    group_loss,
)
from hybrid.demo.model.tokenizer import train_bpe
from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.errors import InvalidRequestError
from hybrid.vocab import CATEGORIES, COLOUR_FAMILIES

if TYPE_CHECKING:
    from transformers import CLIPModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    """Optimisation settings (the defaults trained the shipped model).

    Attributes:
        batch_size: products per step.
        learning_rate: peak AdamW learning rate.
        weight_decay: AdamW weight decay.
        warmup_steps: steps with a linearly rising learning rate (then cosine decay).
        max_grad_norm: gradient clipping threshold.
        group_weight: weight of the photo-to-photo (same model) term.
        group_temperature: temperature of that term (lower: harder negatives count more).
        category_focus: share of each batch drawn from one category (hard negatives).
        aux_weight: weight of the category / colour-family probes.
        colourways: augmentation, invented extra colours per product (same model).
        colourway_jitter: nudge the layout of each colourway as the catalogue does variants.
        backdrop_views: augmentation, extra photos of each product on other backdrops; each
            step shows one view at random.
        shopper_views: augmentation, extra photos of each product turned, smaller and off
            centre, as a shopper would take them.
        vocab_size: tokenizer vocabulary size target.
        threads: torch CPU threads; 1 reproduces the shipped weights bit for bit (more threads
            change the order of floating-point sums, and so the weights).
    """

    batch_size: int = 64
    learning_rate: float = 1e-3
    weight_decay: float = 0.05
    warmup_steps: int = 50
    max_grad_norm: float = 5.0
    group_weight: float = 3.0
    group_temperature: float = IMAGE_TEMPERATURE
    category_focus: float = 0.5
    aux_weight: float = 1.0
    colourways: int = 2
    colourway_jitter: bool = True
    backdrop_views: int = 1
    shopper_views: int = 1
    vocab_size: int = 2048
    threads: int = 1


@dataclass(frozen=True)
class TrainReport:
    """What a training run produced.

    Attributes:
        out_dir: the saved model directory.
        n_products: training products.
        seed: the catalogue seed.
        epochs: passes over the products.
        steps: optimiser steps.
        parameters: model parameter count.
        size_bytes: total size of the saved directory.
        vocab_size: tokenizer vocabulary size.
        seconds: training wall time, data generation and saving included, evaluation not.
        final_loss: mean loss of the last epoch.
        metrics: held-out retrieval figures (empty if not evaluated).
    """

    out_dir: Path
    n_products: int
    seed: int
    epochs: int
    steps: int
    parameters: int
    size_bytes: int
    vocab_size: int
    seconds: float
    final_loss: float
    metrics: dict[str, float | int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """A human-readable summary, one fact per line."""
        facts: dict[str, Any] = {
            "model directory": self.out_dir,
            "training products": f"{self.n_products} (seed {self.seed})",
            "epochs / steps": f"{self.epochs} / {self.steps}",
            "parameters": f"{self.parameters:,}",
            "size on disk": f"{self.size_bytes / 1e6:.1f} MB",
            "vocabulary": self.vocab_size,
            "training time": f"{self.seconds:.0f} s",
            "final loss": f"{self.final_loss:.4f}",
        }
        facts.update({name: _format_metric(value) for name, value in self.metrics.items()})
        return [f"{name}: {value}" for name, value in facts.items()]


def _format_metric(value: float | int) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def train_demo_model(
    out_dir: Path,
    *,
    n_products: int = 4000,
    seed: int = TRAIN_SEED,
    epochs: int = TRAIN_EPOCHS,
    spec: DemoClipSpec | None = None,
    options: TrainOptions | None = None,
    evaluate: bool = True,
) -> TrainReport:
    """Train the demo CLIP on generated products and save it for sentence-transformers.

    Args:
        out_dir: where the model goes; an existing model directory there is replaced.
        n_products: how many catalogue products to train on.
        seed: the catalogue seed (the evaluation uses a different one).
        epochs: passes over the products.
        spec: the architecture (default :class:`DemoClipSpec`).
        options: optimisation settings (default :class:`TrainOptions`).
        evaluate: measure held-out retrieval with the saved model and include it in the report.

    Raises:
        InvalidRequestError: for too few products or epochs, or an ``out_dir`` that exists and
            is neither empty nor a sentence-transformers model directory.
    """
    spec = spec or DemoClipSpec()
    options = options or TrainOptions()
    _check_arguments(out_dir, n_products=n_products, epochs=epochs)
    started = time.monotonic()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        run = _train(
            staging, n_products=n_products, seed=seed, epochs=epochs, spec=spec, options=options
        )
        _replace_dir(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    seconds = time.monotonic() - started
    metrics = _evaluate(out_dir) if evaluate else {}
    return TrainReport(
        out_dir=out_dir,
        n_products=n_products,
        seed=seed,
        epochs=epochs,
        steps=run.steps,
        parameters=run.parameters,
        size_bytes=_size(out_dir),
        vocab_size=run.vocab_size,
        seconds=seconds,
        final_loss=run.final_loss,
        metrics=metrics,
    )


def _check_arguments(out_dir: Path, *, n_products: int, epochs: int) -> None:
    if n_products < 16:
        raise InvalidRequestError(f"training needs at least 16 products; got {n_products}")
    if epochs < 1:
        raise InvalidRequestError(f"training needs at least 1 epoch; got {epochs}")
    if out_dir.exists() and not _replaceable(out_dir):
        raise InvalidRequestError(
            f"refusing to overwrite {out_dir}: expected an empty directory or a "
            "sentence-transformers model directory (with modules.json)"
        )


def _replaceable(path: Path) -> bool:
    return path.is_dir() and ((path / "modules.json").is_file() or not any(path.iterdir()))


def _replace_dir(staging: Path, out_dir: Path) -> None:
    staging.chmod(0o755)  # mkdtemp made it private
    if out_dir.exists():
        shutil.rmtree(out_dir)
    staging.rename(out_dir)


def _size(directory: Path) -> int:
    return sum(file.stat().st_size for file in directory.rglob("*") if file.is_file())


@dataclass(frozen=True)
class _Run:
    steps: int
    parameters: int
    vocab_size: int
    final_loss: float


def _train(
    staging: Path,
    *,
    n_products: int,
    seed: int,
    epochs: int,
    spec: DemoClipSpec,
    options: TrainOptions,
) -> _Run:
    threads = torch.get_num_threads()
    torch.set_num_threads(options.threads)
    try:
        products = generate_products(
            n_products, seed, colourways=options.colourways, jitter=options.colourway_jitter
        )
        captions = caption_sets(products, seed=seed)
        vocabulary = train_bpe(tokenizer_corpus(products, captions), vocab_size=options.vocab_size)
        write_processor_files(vocabulary, spec=spec, module_dir=staging / MODULE_DIR)
        data = build_training_set(
            products,
            captions,
            module_dir=staging / MODULE_DIR,
            backdrop_views=options.backdrop_views,
            shopper_views=options.shopper_views,
            seed=seed,
        )
        torch.manual_seed(seed)
        model = build_clip(spec, vocabulary)
        steps, final_loss = _fit(model, data, epochs=epochs, seed=seed, options=options)
        card = _card(spec, options, n_products=n_products, seed=seed, epochs=epochs)
        save_sentence_transformer(model, staging, card=card)
    finally:
        torch.set_num_threads(threads)
    parameters = sum(p.numel() for p in model.parameters())
    return _Run(steps, parameters, len(vocabulary.vocab), final_loss)


def _fit(
    model: CLIPModel, data: TrainingSet, *, epochs: int, seed: int, options: TrainOptions
) -> tuple[int, float]:
    """Run the optimisation; returns the step count and the last epoch's mean loss."""
    rng = random.Random(seed)  # noqa: S311 - reproducible sampling, not cryptography
    generator = torch.Generator().manual_seed(seed)
    plan = [
        group_batches(
            data.group,
            data.category,
            batch_size=options.batch_size,
            rng=rng,
            focus=options.category_focus,
        )
        for _ in range(epochs)
    ]
    total = sum(len(batches) for batches in plan)
    heads = AuxiliaryHeads(
        model.visual_projection.out_features,
        categories=len(CATEGORIES),
        families=len(COLOUR_FAMILIES),
    )
    parameters = [*model.parameters(), *heads.parameters()]
    optimiser = torch.optim.AdamW(
        parameters,
        lr=options.learning_rate,
        betas=(0.9, 0.98),
        weight_decay=options.weight_decay,
    )
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: _lr_factor(step, total=total, warmup=options.warmup_steps)
    )
    model.train()
    losses: list[float] = []
    for epoch, batches in enumerate(plan, start=1):
        losses = []
        for rows in batches:
            loss = _step_loss(model, heads, data, rows, generator=generator, options=options)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()  # type: ignore[no-untyped-call]
            torch.nn.utils.clip_grad_norm_(parameters, options.max_grad_norm)
            optimiser.step()
            schedule.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0.0, math.log(100.0))  # as in CLIP
            losses.append(loss.item())
        logger.info("epoch %d/%d: mean loss %.4f", epoch, epochs, sum(losses) / len(losses))
    model.eval()  # type: ignore[no-untyped-call]
    return total, sum(losses) / max(1, len(losses))


def _lr_factor(step: int, *, total: int, warmup: int) -> float:
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def _step_loss(
    model: CLIPModel,
    heads: AuxiliaryHeads,
    data: TrainingSet,
    rows: list[int],
    *,
    generator: torch.Generator,
    options: TrainOptions,
) -> torch.Tensor:
    index = torch.tensor(rows)
    pick = torch.randint(0, data.input_ids.shape[1], (len(rows),), generator=generator)
    view = torch.randint(0, data.pixels.shape[1], (len(rows),), generator=generator)
    pixels = data.pixels[index, view]
    image = F.normalize(model.get_image_features(pixel_values=pixels).pooler_output, dim=-1)
    mask = data.attention_mask[index, pick]
    length = int(mask.sum(dim=1).max())  # pad only to the longest caption of the batch
    text = model.get_text_features(
        input_ids=data.input_ids[index, pick][:, :length], attention_mask=mask[:, :length]
    ).pooler_output
    text = F.normalize(text, dim=-1)
    group, category, family = data.group[index], data.category[index], data.family[index]
    levels = data.levels[index, pick]
    positives = caption_positives(levels, group=group, category=category, family=family)
    loss = clip_loss(image, text, logit_scale=model.logit_scale, positives=positives)
    loss = loss + options.group_weight * group_loss(
        image, group, temperature=options.group_temperature
    )
    auxiliary = heads.loss(image, text, levels=levels, category=category, family=family)
    return loss + options.aux_weight * auxiliary


def _evaluate(out_dir: Path) -> dict[str, float | int]:
    return evaluate_demo_model(SentenceTransformerEmbedder(str(out_dir), device="cpu"))


def _card(
    spec: DemoClipSpec, options: TrainOptions, *, n_products: int, seed: int, epochs: int
) -> str:
    return (
        "# demo_clip\n\n"
        "A tiny CLIP trained from scratch on the synthetic demo catalogue of this project "
        "(`hybrid model train-demo`). It only knows the demo shop's 12 categories and "
        "12 colour families; use a real CLIP (`clip-ViT-B-32`) for real products.\n\n"
        f"- training data: {n_products} generated products, catalogue seed {seed}, "
        f"{epochs} epochs\n"
        f"- architecture: {spec.to_dict()}\n"
        f"- training options: {asdict(options)}\n"
        "- layout: sentence-transformers `CLIPModel` module, as `clip-ViT-B-32`\n"
    )
