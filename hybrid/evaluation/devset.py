"""Frozen dev sets of shopper language (issue #13): queries judged from their stated intent.

A dev set (``devsets/<name>.jsonl``, described in ``devsets/README.md``) holds queries written
before the project's lexicons were read, each with a structured intent (category, colour family,
price bounds, excluded colour family, a photographed product) and a control asking for the same
thing in the catalogue's label words. :func:`dev_queries` turns every line into two
:class:`DevQuery` (the query and its control, type ``<type>~control``) judged over a generated
catalogue's ground truth, so the same file measures any catalogue:

* grades of a text query: 3 = the category and the colour family asked; 2 = the category and an
  accepted neighbouring family (``colour_also``); 1 = the category in another colour; no colour
  asked: 3 for the category. Without a category the colour alone grades (3 / 2 / 0).
* grades of a photo + text query: 3 = the photographed product's group in the asked family (or an
  accepted one); 2 = its category in the asked family; 1 = its category in an accepted family.
* a product outside the price bounds or in the excluded family is never relevant.

The extra metrics (:func:`intent_metrics`) are shares of the first page, from the ground truth:
in the asked category, in the asked (or an accepted) family, within the price bounds, in the
excluded family. Production code never reads these files.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from hybrid.demo.catalog import ProductTruth, read_truth, render_image
from hybrid.errors import InvalidRequestError
from hybrid.vocab import COLOUR_FAMILIES

DEVSET_DIR: Final = Path(__file__).parent / "devsets"
#: The dev sets ``hybrid eval --devset`` knows.
DEVSETS: Final[tuple[str, ...]] = ("open_vocab", "open_vocab_blind", "open_vocab_blind2")
CONTROL_SUFFIX: Final = "~control"
#: Where off-index photos of dev-set image queries are drawn, inside the catalogue directory.
DEV_IMAGES_DIR: Final = "devset_images"
#: The extra metrics of a dev-set query, shares of the first page.
INTENT_METRICS: Final[tuple[str, ...]] = ("category@10", "family@10", "in_price@10", "excluded@10")


@dataclass(frozen=True)
class Intent:
    """What a dev-set query asks for (see ``devsets/README.md``)."""

    category: str | None = None
    colour_family: str | None = None
    colour_also: tuple[str, ...] = ()
    price_min: float | None = None
    price_max: float | None = None
    exclude_colour_family: str | None = None
    image: Mapping[str, Any] | None = None

    def families(self) -> tuple[str, ...]:
        """The asked family first, then the accepted neighbours (empty: no colour asked)."""
        return () if self.colour_family is None else (self.colour_family, *self.colour_also)

    def allows(self, fact: ProductFact) -> bool:
        """The hard constraints: price bounds and the excluded family."""
        if self.price_min is not None and fact.price < self.price_min:
            return False
        if self.price_max is not None and fact.price > self.price_max:
            return False
        return fact.family != self.exclude_colour_family


@dataclass(frozen=True)
class DevEntry:
    """One line of a dev-set file."""

    id: str
    type: str
    query: str
    control: str
    words: tuple[str, ...]
    intent: Intent


@dataclass(frozen=True)
class ProductFact:
    """What the judgments read of a catalogue product: its truth and its price."""

    id: str
    group: str
    category: str
    family: str
    price: float


@dataclass(frozen=True)
class DevQuery:
    """A judged dev-set query as the evaluation runs it (same attributes as ``JudgedQuery``)."""

    id: str
    type: str
    text: str | None
    image: str | None
    judgments: dict[str, int]
    source_id: str | None
    intent: Intent
    product_id: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)

    def request_extras(self) -> dict[str, Any]:
        """The request fields beyond text and image: the named product and the filters."""
        extras: dict[str, Any] = {}
        if self.product_id is not None:
            extras["product_id"] = self.product_id
        if self.filters:
            extras["filters"] = self.filters
        return extras


def load_devset(name: str) -> list[DevEntry]:
    """Read the dev set ``name`` (one of :data:`DEVSETS`).

    Raises:
        InvalidRequestError: an unknown name, or a line that is not a valid entry.
    """
    if name not in DEVSETS:
        raise InvalidRequestError(f"unknown dev set {name!r}; expected one of {DEVSETS}")
    path = DEVSET_DIR / f"{name}.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_entry(json.loads(line), f"{path}:{n}") for n, line in enumerate(lines, 1) if line]


def _entry(data: dict[str, Any], where: str) -> DevEntry:
    try:
        raw = dict(data["intent"])
        raw["colour_also"] = tuple(raw.get("colour_also", ()))
        intent = Intent(**raw)
        entry = DevEntry(
            data["id"], data["type"], data["query"], data["control"], tuple(data["words"]), intent
        )
    except (KeyError, TypeError) as exc:
        raise InvalidRequestError(f"{where}: not a dev-set entry ({exc})") from exc
    for family in (*intent.families(), intent.exclude_colour_family):
        if family is not None and family not in COLOUR_FAMILIES:
            raise InvalidRequestError(f"{where}: unknown colour family {family!r}")
    return entry


def read_facts(catalog: Path) -> dict[str, ProductFact]:
    """Every product's truth (category, group, family) and record price, by id."""
    prices = {}
    with (catalog / "products.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                prices[record["id"]] = float(record["price"])
    return {
        truth.id: ProductFact(
            truth.id, truth.group_id, truth.category, truth.colour_family, prices[truth.id]
        )
        for truth in read_truth(catalog / "truth.jsonl")
    }


def grade(intent: Intent, fact: ProductFact, *, photo: ProductFact | None = None) -> int:
    """The grade (0-3) of ``fact`` for ``intent``; ``photo`` is an image query's product."""
    if not intent.allows(fact):
        return 0
    if photo is not None:
        return _photo_grade(intent, fact, photo)
    if intent.category is not None and fact.category != intent.category:
        return 0
    families = intent.families()
    if not families or fact.family == intent.colour_family:
        return 3
    if fact.family in families:
        return 2
    return 1 if intent.category is not None else 0


def _photo_grade(intent: Intent, fact: ProductFact, photo: ProductFact) -> int:
    if fact.category != photo.category or fact.family not in intent.families():
        return 0
    if fact.group == photo.group:
        return 3
    return 2 if fact.family == intent.colour_family else 1


def judge(
    intent: Intent, facts: Mapping[str, ProductFact], photo: ProductFact | None
) -> dict[str, int]:
    """Product id -> grade for every relevant product, best grades first."""
    graded = [(pid, grade(intent, fact, photo=photo)) for pid, fact in facts.items()]
    if photo is not None:
        graded = [(pid, g) for pid, g in graded if pid != photo.id]
    kept = [(pid, g) for pid, g in graded if g]
    return dict(sorted(kept, key=lambda item: -item[1]))


def pick_photo(entry: DevEntry, facts: Mapping[str, ProductFact]) -> ProductFact:
    """The catalogue product an image query photographs (stable for a catalogue).

    A product of the named category and family; in a small catalogue without one, a product of
    the category in a family the text does not ask for.

    Raises:
        InvalidRequestError: the catalogue has no product of that category.
    """
    spec = entry.intent.image or {}
    in_category = sorted(
        (f for f in facts.values() if f.category == spec.get("category")), key=lambda f: f.id
    )
    found = [f for f in in_category if f.family == spec.get("colour_family")] or [
        f for f in in_category if f.family not in entry.intent.families()
    ]
    if not found:
        raise InvalidRequestError(f"{entry.id}: the catalogue has no product like {spec}")
    digest = int(hashlib.sha256(entry.id.encode()).hexdigest(), 16)
    return found[digest % len(found)]


def off_index_photo(catalog: Path, truth: ProductTruth, query_id: str) -> str:
    """A new photo of ``truth`` (turned, shifted, smaller): a shopper's picture, not indexed.

    Returns:
        Its path relative to the catalogue directory.
    """
    moved = dataclasses.replace(
        truth,
        angle=truth.angle + 12.0,
        offset=(-truth.offset[0], truth.offset[1] * 0.5),
        scale=truth.scale * 0.9,
    )
    relative = f"{DEV_IMAGES_DIR}/{query_id}.png"
    (catalog / DEV_IMAGES_DIR).mkdir(exist_ok=True)
    render_image(moved).save(catalog / relative)
    return relative


def control_filters(intent: Intent) -> dict[str, Any]:
    """The price bounds and excluded family of ``intent`` as request filters (for controls)."""
    filters: dict[str, Any] = {}
    if intent.price_min is not None or intent.price_max is not None:
        filters["price"] = {"gte": intent.price_min, "lte": intent.price_max}
    if intent.exclude_colour_family is not None:
        filters["colour_family"] = [f for f in COLOUR_FAMILIES if f != intent.exclude_colour_family]
    return filters


def dev_queries(name: str, catalog: Path) -> list[DevQuery]:
    """Every entry of dev set ``name`` as a query and its control, judged over ``catalog``.

    Queries whose intent no catalogue product meets keep empty judgments: the metrics skip
    them and count how many they were taken over.
    """
    facts = read_facts(catalog)
    truths: dict[str, ProductTruth] | None = None
    queries: list[DevQuery] = []
    for entry in load_devset(name):
        photo = pick_photo(entry, facts) if entry.intent.image else None
        image, product_id = None, None
        if photo is not None and entry.intent.image and entry.intent.image.get("indexed"):
            product_id = photo.id
        elif photo is not None:
            if truths is None:
                truths = {t.id: t for t in read_truth(catalog / "truth.jsonl")}
            image = off_index_photo(catalog, truths[photo.id], entry.id)
        query = DevQuery(
            entry.id,
            entry.type,
            entry.query,
            image,
            judge(entry.intent, facts, photo),
            None if photo is None else photo.id,
            entry.intent,
            product_id=product_id,
        )
        control = dataclasses.replace(
            query,
            id=entry.id + CONTROL_SUFFIX,
            type=entry.type + CONTROL_SUFFIX,
            text=entry.control,
            filters=control_filters(entry.intent),
        )
        queries += [query, control]
    return queries


def intent_metrics(
    query: DevQuery, ranked: Sequence[str], facts: Mapping[str, ProductFact]
) -> dict[str, float]:
    """Shares of the first page (``ranked``, the query product dropped) that meet the intent.

    Only the shares the intent defines are returned, and none for an empty page.
    """
    page = [facts[pid] for pid in ranked[:10] if pid in facts]
    if not page:
        return {}
    intent = query.intent
    category = intent.category
    values: dict[str, float] = {}
    if category is not None:
        values["category@10"] = _share(page, lambda f: f.category == category)
    if intent.families():
        values["family@10"] = _share(page, lambda f: f.family in intent.families())
    if intent.price_min is not None or intent.price_max is not None:
        bounded = dataclasses.replace(intent, exclude_colour_family=None)
        values["in_price@10"] = _share(page, bounded.allows)
    if intent.exclude_colour_family is not None:
        values["excluded@10"] = _share(page, lambda f: f.family == intent.exclude_colour_family)
    return values


def _share(page: Sequence[ProductFact], test: Any) -> float:
    return sum(1 for fact in page if test(fact)) / len(page)
