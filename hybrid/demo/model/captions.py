"""Training captions for the demo CLIP, each tagged with how specific it is.

A photo of a maroon suede trainer may be described by its feed title ("Velora Aero Trainers -
Maroon"), by a shopper's words ("maroon trainers", "red running shoes", "wine sneakers") or by
its description. A caption names a *level*: the exact product, its variant group (same model,
any colour), its category and colour family, or its category alone. In a training batch every
photo the caption fits at that level is a positive, so "red sneakers" is not pushed away from
the other red sneakers in the batch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from hybrid.demo.catalog import ProductTruth
from hybrid.vocab import COLOUR_MODIFIERS, COLOUR_SYNONYMS, COLOURS, category_by_path


class Level(IntEnum):
    """Which photos a caption describes."""

    PRODUCT = 0  # this product only (a title or description naming its colour)
    GROUP = 1  # every colour of this model (a title without colour)
    CATEGORY_FAMILY = 2  # every product of this category and colour family
    CATEGORY = 3  # every product of this category


@dataclass(frozen=True)
class Caption:
    """One training caption.

    Attributes:
        text: the caption.
        level: which photos it describes (see :class:`Level`).
    """

    text: str
    level: Level


_SHOPPER_TEMPLATES = (
    "{colour} {noun}",
    "{colour} {noun}",
    "{colour} {noun}",
    "{colour} {material} {noun}",
    "{colour} {pattern} {noun}",
    "{pattern} {colour} {noun}",
    "{noun} in {colour}",
    "a {colour} {noun}",
    "{colour} {pattern} {material} {noun}",
)


def _family_words() -> dict[str, tuple[str, ...]]:
    words: dict[str, list[str]] = {}
    for key, colour in COLOURS.items():
        words.setdefault(colour.family, [colour.family]).append(key)
    for word, family in COLOUR_SYNONYMS.items():
        words.setdefault(family, [family]).append(word)
    return {family: tuple(sorted(set(found))) for family, found in words.items()}


_FAMILY_WORDS = _family_words()


def captions_for(
    record: dict[str, Any], truth: ProductTruth, *, rng: random.Random
) -> list[Caption]:
    """A varied set of captions for one product (titles, shopper queries, description bits).

    The shopper captions use the true colour (the photo shows the truth even when the record
    is mislabelled); the feed title and description are kept as written.

    Args:
        record: the feed record (``title``, ``description``).
        truth: the product's truth.
        rng: the random stream choosing words and templates.
    """
    captions = [_feed_caption(record["title"], truth)]
    captions += [_shopper_caption(truth, rng=rng) for _ in range(6)]
    captions += [_description_caption(record["description"], truth, rng=rng)]
    nouns = category_by_path(truth.category).nouns
    captions.append(Caption(rng.choice(nouns), Level.CATEGORY))
    return captions


def _states_colour(text: str, truth: ProductTruth) -> bool:
    written = truth.labelled_colour
    return written is not None and written.lower() in text.lower()


def _feed_caption(title: str, truth: ProductTruth) -> Caption:
    level = Level.PRODUCT if _states_colour(title, truth) else Level.GROUP
    return Caption(title, level)


def _shopper_caption(truth: ProductTruth, *, rng: random.Random) -> Caption:
    colour = rng.choice((truth.colour_name.lower(), *_FAMILY_WORDS[truth.colour_family]))
    if rng.random() < 0.15:
        colour = f"{rng.choice(COLOUR_MODIFIERS)} {colour}"
    pattern = "" if truth.pattern == "solid" and rng.random() < 0.7 else truth.pattern
    text = rng.choice(_SHOPPER_TEMPLATES).format(
        colour=colour,
        noun=rng.choice(category_by_path(truth.category).nouns),
        material=truth.material,
        pattern=pattern,
    )
    # A shopper caption naming the pattern describes fewer products, but the colour and the
    # category are what the embedding must get right; the level stays category + family.
    return Caption(" ".join(text.split()), Level.CATEGORY_FAMILY)


def _description_caption(description: str, truth: ProductTruth, *, rng: random.Random) -> Caption:
    # The first sentence names brand, model, noun and material; later ones (pattern, colour,
    # department blurb) are only meaningful next to it.
    sentences = [s.strip() for s in description.split(". ") if s.strip()]
    text = ". ".join(sentences[: rng.randint(1, min(3, len(sentences)))])
    level = Level.PRODUCT if _states_colour(text, truth) else Level.GROUP
    return Caption(text, level)
