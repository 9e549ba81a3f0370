"""Losses for training the demo CLIP.

The contrastive terms are InfoNCE with several positives per row: the loss of a row is ``-log``
of the softmax mass on its positives. With one positive per row this is CLIP's symmetric loss;
with several it stops the model from pushing apart two photos that one caption ("red
sneakers") describes. :class:`AuxiliaryHeads` adds linear category and colour-family probes on
both towers during training only; they give every step a signal that does not depend on the
embeddings already being spread out, which shortens the slow start of contrastive training.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: N812 - the usual name

from hybrid.demo.model.captions import Level

#: Default temperature of the photo-to-photo term (fixed; the photo-caption one is learnt).
IMAGE_TEMPERATURE = 0.1


def multi_positive_nce(logits: torch.Tensor, positives: torch.Tensor) -> torch.Tensor:
    """Mean over rows of ``-log(sum of softmax(row) over the row's positives)``.

    Rows without any positive are ignored (the result is 0 if no row has one).

    Args:
        logits: ``(rows, columns)`` scores; ``-inf`` excludes a column from a row.
        positives: ``(rows, columns)`` bool.
    """
    log_all = torch.logsumexp(logits, dim=1)
    masked = logits.masked_fill(~positives, float("-inf"))
    log_positive = torch.logsumexp(masked, dim=1)
    valid = positives.any(dim=1)
    if not bool(valid.any()):
        return logits.sum() * 0.0
    return (log_all - log_positive)[valid].mean()


def caption_positives(
    levels: torch.Tensor, *, group: torch.Tensor, category: torch.Tensor, family: torch.Tensor
) -> torch.Tensor:
    """``positives[i, j]``: caption ``j`` (of product ``j``, at ``levels[j]``) fits photo ``i``.

    Args:
        levels: the :class:`~hybrid.demo.model.captions.Level` of each caption, ``(batch,)``.
        group: variant group per product, ``(batch,)``.
        category: category per product, ``(batch,)``.
        family: colour family per product, ``(batch,)``.
    """
    same_category = category[:, None] == category[None, :]
    by_level = {
        Level.PRODUCT: torch.eye(len(levels), dtype=torch.bool, device=levels.device),
        Level.GROUP: group[:, None] == group[None, :],
        Level.CATEGORY_FAMILY: same_category & (family[:, None] == family[None, :]),
        Level.CATEGORY: same_category,
    }
    stacked = torch.stack([by_level[level] for level in Level])  # (levels, photos, captions)
    columns = torch.arange(len(levels), device=levels.device)
    return stacked[levels, :, columns].T


def clip_loss(
    image_embeds: torch.Tensor,
    text_embeds: torch.Tensor,
    *,
    logit_scale: torch.Tensor,
    positives: torch.Tensor,
) -> torch.Tensor:
    """Symmetric multi-positive InfoNCE between L2-normalised photos and captions."""
    logits = logit_scale.exp() * image_embeds @ text_embeds.T
    return (multi_positive_nce(logits, positives) + multi_positive_nce(logits.T, positives.T)) / 2


def group_loss(
    image_embeds: torch.Tensor, group: torch.Tensor, *, temperature: float = IMAGE_TEMPERATURE
) -> torch.Tensor:
    """InfoNCE pulling photos of one model (other colours) together, photo against photo."""
    eye = torch.eye(len(group), dtype=torch.bool, device=group.device)
    logits = (image_embeds @ image_embeds.T / temperature).masked_fill(eye, float("-inf"))
    positives = (group[:, None] == group[None, :]) & ~eye
    return multi_positive_nce(logits, positives)


class AuxiliaryHeads(torch.nn.Module):
    """Training-only linear probes: category and colour family from both embeddings.

    Args:
        dim: the embedding length.
        categories: number of categories.
        families: number of colour families.
    """

    def __init__(self, dim: int, *, categories: int, families: int) -> None:
        super().__init__()
        self.categories = categories
        self.image = torch.nn.Linear(dim, categories + families)
        self.text = torch.nn.Linear(dim, categories + families)

    def loss(
        self,
        image_embeds: torch.Tensor,
        text_embeds: torch.Tensor,
        *,
        levels: torch.Tensor,
        category: torch.Tensor,
        family: torch.Tensor,
    ) -> torch.Tensor:
        """Cross-entropy of the probes; a caption's family counts only if it names a colour."""
        cut = self.categories
        image, text = self.image(image_embeds), self.text(text_embeds)
        loss = F.cross_entropy(image[:, :cut], category) + F.cross_entropy(image[:, cut:], family)
        loss = loss + F.cross_entropy(text[:, :cut], category)
        names_colour = (levels == Level.PRODUCT) | (levels == Level.CATEGORY_FAMILY)
        if bool(names_colour.any()):
            loss = loss + F.cross_entropy(text[names_colour, cut:], family[names_colour])
        return loss
