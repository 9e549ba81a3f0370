"""Planning the judged queries and grading products against them.

Queries are planned from a sample of the catalogue (its first products, which are a random
sample because groups are drawn independently), so every query has at least one perfect match.
Each plan (:class:`QuerySpec`) knows how to grade any product from its truth alone, which lets
the judgments be computed in one streaming pass over the whole catalogue.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from hybrid.demo.catalog.generate import stable_rng
from hybrid.demo.catalog.records import image_path
from hybrid.demo.catalog.truth import ProductTruth
from hybrid.vocab import COLOUR_FAMILIES, COLOUR_SYNONYMS, COLOURS, category_by_path

QueryType = Literal["text", "colour_synonym", "image", "image_text"]
QUERY_TYPES: tuple[QueryType, ...] = ("text", "colour_synonym", "image", "image_text")

_TEXT_KINDS = ("colour", "pattern", "material", "colour+pattern", "colour+material")
_TEXT_KIND_WEIGHTS = (40, 15, 20, 10, 15)
_IMAGE_TEXT_TEMPLATES = (
    "like this, but in {family}",
    "like this, but in {family}",
    "same as this but {family}",
    "this in {family}",
)
# Share of candidates kept although they lack a grade-2/3 answer (no variants to point at).
_KEEP_WITHOUT_VARIANTS = 0.3
# Share of colour-synonym queries using a word never written by the shop ("wine", "gray").
_UNSEEN_SYNONYM_SHARE = 0.6
_ID_PREFIX = {"text": "txt", "colour_synonym": "syn", "image": "img", "image_text": "imt"}


@dataclass(frozen=True)
class QuerySpec:
    """A planned query: what it says, and what a relevant product must be.

    Attributes:
        id: the query id, e.g. ``"q-txt-001"``.
        type: the query type.
        text: the query text, ``None`` for pure image queries.
        category: the category every relevant product is in.
        family: the colour family asked for (text queries, and the target of image+text).
        pattern: the pattern asked for, if any.
        material: the material asked for, if any.
        source: the product whose image is the query (image and image+text queries).
    """

    id: str
    type: QueryType
    text: str | None
    category: str
    family: str | None = None
    pattern: str | None = None
    material: str | None = None
    source: ProductTruth | None = None

    @property
    def image(self) -> str | None:
        """The query image's path relative to the catalogue, if the query has one."""
        return None if self.source is None else image_path(self.source.id)

    def grade(self, truth: ProductTruth) -> int:
        """The relevance of a product: 0 (not relevant) to 3 (a perfect match)."""
        if truth.category != self.category:
            return 0
        if self.source is not None and truth.id == self.source.id:
            return 0  # the query product itself is not a result; evaluators drop it
        if self.type == "image":
            return self._grade_image(truth)
        if self.type == "image_text":
            return self._grade_image_text(truth)
        extras = [
            (wanted, actual)
            for wanted, actual in (
                (self.family, truth.colour_family),
                (self.pattern, truth.pattern),
                (self.material, truth.material),
            )
            if wanted is not None
        ]
        matched = sum(wanted == actual for wanted, actual in extras)
        if matched == len(extras):
            return 3
        return 2 if matched else 1

    def _grade_image(self, truth: ProductTruth) -> int:
        assert self.source is not None  # image specs are always built with a source
        same_family = truth.colour_family == self.source.colour_family
        if truth.group_id == self.source.group_id:
            return 3 if same_family else 2
        return 1 if same_family else 0

    def _grade_image_text(self, truth: ProductTruth) -> int:
        assert self.source is not None  # image+text specs are always built with a source
        if truth.colour_family != self.family:
            return 0
        return 3 if truth.group_id == self.source.group_id else 2


def queries_per_type(n: int) -> int:
    """How many queries of each type a catalogue of ``n`` products gets (50 for 2,000)."""
    return 0 if n == 0 else max(3, min(60, n // 40))


def plan_queries(sample: Sequence[ProductTruth], *, seed: int, per_type: int) -> list[QuerySpec]:
    """Plan up to ``per_type`` distinct queries of each type from a sample of products.

    Args:
        sample: products to draw from (a prefix of the catalogue is a random sample).
        seed: the catalogue seed.
        per_type: the target count per type; small samples may yield fewer.
    """
    if not sample:
        return []
    rng = stable_rng(seed, "queries")
    planners = (_text_spec, _synonym_spec, _image_spec, _image_text_spec)
    families = _Families(
        by_group=_families_by(sample, key="group_id"),
        by_category=_families_by(sample, key="category"),
    )
    specs: list[QuerySpec] = []
    for query_type, planner in zip(QUERY_TYPES, planners, strict=True):
        seen: set[tuple[object, ...]] = set()
        for _ in range(per_type * 20):
            if len(seen) >= per_type:
                break
            truth = rng.choice(sample)
            spec = planner(rng, truth, families)
            if spec is None or _key(spec) in seen:
                continue
            seen.add(_key(spec))
            number = len(seen)
            specs.append(replace(spec, id=f"q-{_ID_PREFIX[query_type]}-{number:03d}"))
    return specs


def _key(spec: QuerySpec) -> tuple[object, ...]:
    """What makes two plans the same query ("red sneakers" and "red trainers" are one)."""
    source = None if spec.source is None else spec.source.id
    if spec.type == "text":
        return (spec.category, spec.family, spec.pattern, spec.material)
    if spec.type == "colour_synonym":
        return (spec.text,)
    return (source, spec.family)


@dataclass(frozen=True)
class _Families:
    """The colour families seen in the sample, per variant group and per category."""

    by_group: dict[str, set[str]]
    by_category: dict[str, set[str]]


def _families_by(sample: Sequence[ProductTruth], *, key: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for truth in sample:
        found[getattr(truth, key)].add(truth.colour_family)
    return found


def _text_spec(rng: random.Random, truth: ProductTruth, _families: _Families) -> QuerySpec | None:
    kind = rng.choices(_TEXT_KINDS, weights=_TEXT_KIND_WEIGHTS)[0]
    if "pattern" in kind and truth.pattern == "solid":
        return None
    noun = rng.choice(category_by_path(truth.category).nouns)
    family = truth.colour_family if "colour" in kind else None
    pattern = truth.pattern if "pattern" in kind else None
    material = truth.material if "material" in kind else None
    words = [word for word in (family, pattern, material, noun) if word is not None]
    return QuerySpec(
        "",
        "text",
        " ".join(words),
        truth.category,
        family=family,
        pattern=pattern,
        material=material,
    )


def _synonym_spec(
    rng: random.Random, truth: ProductTruth, _families: _Families
) -> QuerySpec | None:
    family = truth.colour_family
    synonyms, names = _COLOUR_WORDS[family]
    pool = synonyms if synonyms and rng.random() < _UNSEEN_SYNONYM_SHARE else names
    if not pool:
        return None
    noun = rng.choice(category_by_path(truth.category).nouns)
    text = f"{rng.choice(pool)} {noun}"
    return QuerySpec("", "colour_synonym", text, truth.category, family=family)


def _colour_words(family: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Words for a family that do not contain its name: (synonyms, shop colour names).

    "sky blue" or "navy blue" would let a query match on the family word, so they are left out.
    """

    def without_family(words: list[str]) -> tuple[str, ...]:
        return tuple(sorted(w for w in words if family not in w.replace("-", " ").split()))

    synonyms = [word for word, fam in COLOUR_SYNONYMS.items() if fam == family]
    names = [key for key, colour in COLOURS.items() if colour.family == family]
    return without_family(synonyms), without_family(names)


_COLOUR_WORDS = {family: _colour_words(family) for family in COLOUR_FAMILIES}


def _image_spec(rng: random.Random, truth: ProductTruth, families: _Families) -> QuerySpec | None:
    # Prefer products with variants, so grade 2 (same model, other colour) exists.
    has_variants = len(families.by_group[truth.group_id]) > 1
    if not has_variants and rng.random() > _KEEP_WITHOUT_VARIANTS:
        return None
    return QuerySpec("", "image", None, truth.category, source=truth)


def _image_text_spec(
    rng: random.Random, truth: ProductTruth, families: _Families
) -> QuerySpec | None:
    in_group = sorted(families.by_group[truth.group_id] - {truth.colour_family})
    # Prefer a colour the same model comes in, so a perfect (grade 3) answer exists.
    if not in_group and rng.random() > _KEEP_WITHOUT_VARIANTS:
        return None
    in_category = families.by_category[truth.category] - {truth.colour_family}
    options = in_group or sorted(in_category)
    if not options:
        return None
    family = rng.choice(options)
    text = rng.choice(_IMAGE_TEXT_TEMPLATES).format(family=family)
    return QuerySpec("", "image_text", text, truth.category, family=family, source=truth)
