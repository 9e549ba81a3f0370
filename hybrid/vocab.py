"""The shop vocabulary: colours, categories, patterns, materials and brands.

One table shared by the demo catalogue generator (what it writes), colour normalisation (what a
shop colour name means) and query understanding (which words in a query are a colour or a
category). Everything here is plain, immutable data plus two lookups:

* :func:`colour_family_of_word` maps ``"Burgundy"``, ``"off white"``, ``"gray"`` or
  ``"light blue"`` to one of the 12 :data:`COLOUR_FAMILIES`.
* :func:`category_of_word` maps ``"trainers"``, ``"running shoe"`` or ``"tees"`` to a
  category path such as ``"Footwear > Sneakers"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from hybrid.schema import CATEGORY_SEPARATOR

COLOUR_FAMILIES: tuple[str, ...] = (
    "red",
    "pink",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "brown",
    "black",
    "white",
    "grey",
    "beige",
)
"""The closed set of colour families every colour is normalised to."""


@dataclass(frozen=True)
class ColourName:
    """A colour name a shop writes on a product.

    Attributes:
        name: the display form used in titles and the ``colour`` field, e.g. ``"Off-White"``.
        rgb: a plausible sRGB value for the colour.
        family: one of :data:`COLOUR_FAMILIES`.
    """

    name: str
    rgb: tuple[int, int, int]
    family: str


_COLOUR_TABLE: tuple[tuple[str, tuple[int, int, int], str], ...] = (
    ("Red", (200, 30, 40), "red"),
    ("Burgundy", (128, 0, 32), "red"),
    ("Maroon", (112, 22, 30), "red"),
    ("Crimson", (220, 20, 60), "red"),
    ("Scarlet", (235, 35, 25), "red"),
    ("Pink", (245, 160, 190), "pink"),
    ("Hot Pink", (255, 105, 180), "pink"),
    ("Blush", (240, 190, 200), "pink"),
    ("Rose", (230, 120, 150), "pink"),
    ("Orange", (245, 130, 20), "orange"),
    ("Coral", (255, 127, 80), "orange"),
    ("Burnt Orange", (204, 85, 0), "orange"),
    ("Tangerine", (250, 150, 40), "orange"),
    ("Yellow", (250, 215, 30), "yellow"),
    ("Mustard", (215, 170, 30), "yellow"),
    ("Lemon", (255, 240, 90), "yellow"),
    ("Green", (40, 150, 60), "green"),
    ("Olive", (110, 115, 40), "green"),
    ("Forest Green", (30, 90, 45), "green"),
    ("Mint", (150, 220, 170), "green"),
    ("Lime", (150, 210, 40), "green"),
    ("Blue", (30, 90, 200), "blue"),
    ("Navy", (20, 30, 80), "blue"),
    ("Cobalt", (0, 71, 171), "blue"),
    ("Teal", (0, 120, 130), "blue"),
    ("Sky Blue", (120, 180, 230), "blue"),
    ("Powder Blue", (165, 198, 230), "blue"),
    ("Purple", (120, 40, 150), "purple"),
    ("Lavender", (180, 150, 220), "purple"),
    ("Lilac", (200, 160, 215), "purple"),
    ("Plum", (110, 40, 90), "purple"),
    ("Violet", (130, 60, 200), "purple"),
    ("Brown", (120, 75, 40), "brown"),
    ("Chocolate", (80, 45, 25), "brown"),
    ("Tan", (175, 125, 80), "brown"),
    ("Camel", (170, 120, 65), "brown"),
    ("Cognac", (150, 75, 30), "brown"),
    ("Black", (20, 20, 22), "black"),
    ("Jet Black", (10, 10, 10), "black"),
    ("White", (248, 248, 248), "white"),
    ("Off-White", (240, 237, 228), "white"),
    ("Ivory", (250, 246, 232), "white"),
    ("Grey", (128, 128, 128), "grey"),
    ("Charcoal", (54, 60, 65), "grey"),
    ("Silver", (192, 192, 196), "grey"),
    ("Slate", (100, 110, 120), "grey"),
    ("Beige", (225, 205, 165), "beige"),
    ("Khaki", (195, 176, 135), "beige"),
    ("Sand", (215, 195, 150), "beige"),
    ("Stone", (205, 195, 172), "beige"),
)

COLOURS: dict[str, ColourName] = {
    name.lower(): ColourName(name, rgb, family) for name, rgb, family in _COLOUR_TABLE
}
"""Shop colour names keyed by lowercase name (``"off-white"``, ``"hot pink"``)."""

COLOUR_SYNONYMS: dict[str, str] = {
    "gray": "grey",
    "cream": "beige",
    "wine": "red",
    "oxblood": "red",
    "cherry": "red",
    "ruby": "red",
    "claret": "red",
    "fuchsia": "pink",
    "magenta": "pink",
    "salmon": "pink",
    "peach": "orange",
    "apricot": "orange",
    "amber": "yellow",
    "ochre": "yellow",
    "canary": "yellow",
    "emerald": "green",
    "jade": "green",
    "sage": "green",
    "bottle green": "green",
    "navy blue": "blue",
    "royal blue": "blue",
    "indigo": "blue",
    "azure": "blue",
    "sapphire": "blue",
    "turquoise": "blue",
    "aubergine": "purple",
    "eggplant": "purple",
    "mauve": "purple",
    "mocha": "brown",
    "espresso": "brown",
    "chestnut": "brown",
    "ebony": "black",
    "onyx": "black",
    "jet": "black",
    "snow": "white",
    "pearl": "white",
    "optic white": "white",
    "graphite": "grey",
    "gunmetal": "grey",
    "ash": "grey",
    "ecru": "beige",
    "oatmeal": "beige",
    "nude": "beige",
}
"""Extra colour words (never written by the demo shop) mapped to their family."""

COLOUR_MODIFIERS: tuple[str, ...] = ("light", "dark", "pale", "bright", "deep", "soft", "muted")
"""Words that shade a colour without changing its family (``"light blue"`` is blue)."""


@dataclass(frozen=True)
class Category:
    """A leaf of the category taxonomy.

    Attributes:
        path: the full path, e.g. ``"Footwear > Sneakers"``.
        shape: the silhouette key the catalogue renderer draws for this category.
        nouns: words used for the category in titles and queries, in their natural title form.
    """

    path: str
    shape: str
    nouns: tuple[str, ...]

    @property
    def top_level(self) -> str:
        """The first segment of the path, e.g. ``"Footwear"``."""
        return self.path.split(CATEGORY_SEPARATOR, 1)[0]

    @property
    def leaf(self) -> str:
        """The last segment of the path, e.g. ``"Sneakers"``."""
        return self.path.rsplit(CATEGORY_SEPARATOR, 1)[-1]


CATEGORIES: tuple[Category, ...] = (
    Category("Footwear > Sneakers", "sneaker", ("sneakers", "trainers", "running shoes", "kicks")),
    Category("Footwear > Boots", "boot", ("boots", "ankle boots", "chelsea boots", "booties")),
    Category("Clothing > T-Shirts", "tshirt", ("t-shirt", "tee", "tshirt", "tee shirt")),
    Category("Clothing > Dresses", "dress", ("dress", "sundress", "midi dress", "frock")),
    Category("Clothing > Trousers", "trousers", ("trousers", "pants", "chinos", "slacks")),
    Category("Bags > Handbags", "handbag", ("handbag", "purse", "tote", "shoulder bag")),
    Category("Bags > Backpacks", "backpack", ("backpack", "rucksack", "daypack")),
    Category("Accessories > Hats & Caps", "cap", ("cap", "baseball cap", "hat", "snapback")),
    Category("Accessories > Watches", "watch", ("watch", "wristwatch", "timepiece")),
    Category("Accessories > Sunglasses", "sunglasses", ("sunglasses", "shades", "sunnies")),
    Category("Home > Mugs", "mug", ("mug", "coffee mug", "cup")),
    Category("Home > Cushions", "cushion", ("cushion", "throw pillow", "pillow")),
)
"""The leaf categories of the demo shop, each with its own silhouette."""

TOP_LEVEL_NOUNS: dict[str, str] = {
    "footwear": "Footwear",
    "shoes": "Footwear",
    "clothing": "Clothing",
    "clothes": "Clothing",
    "apparel": "Clothing",
    "bags": "Bags",
    "accessories": "Accessories",
    "home": "Home",
    "homeware": "Home",
}
"""Words naming a whole top-level category; :func:`category_of_word` returns the top path."""

PATTERNS: tuple[str, ...] = ("solid", "striped", "dotted", "checked")
"""Surface patterns; the renderer draws each one."""

PATTERN_SYNONYMS: dict[str, str] = {
    "plain": "solid",
    "stripes": "striped",
    "stripe": "striped",
    "pinstripe": "striped",
    "polka dot": "dotted",
    "polka dots": "dotted",
    "spotted": "dotted",
    "dots": "dotted",
    "check": "checked",
    "checkered": "checked",
    "plaid": "checked",
    "gingham": "checked",
    "tartan": "checked",
}
"""Other words for the patterns, for query understanding."""

MATERIALS: tuple[str, ...] = (
    "leather",
    "suede",
    "canvas",
    "mesh",
    "cotton",
    "linen",
    "denim",
    "wool",
    "polyester",
    "nylon",
    "silk",
    "stainless steel",
    "acetate",
    "ceramic",
    "stoneware",
    "velvet",
)
"""Materials the demo shop sells, lowercase."""

BRANDS: tuple[str, ...] = (
    "Velora",
    "Northvane",
    "Kestrel & Co",
    "Lumo",
    "Brightfold",
    "Ashgrove",
    "Tidemark",
    "Orla Vey",
    "Quillon",
    "Marlowe Street",
    "Fennick",
    "Solenne",
    "Harbrook",
    "Zephyra",
    "Copperline",
    "Wrenfield",
)
"""Invented brand names."""

_SEPARATORS = re.compile(r"[\s_\-]+")


def _normalise(phrase: str) -> str:
    """Lowercase, and turn hyphens, underscores and runs of spaces into one space."""
    return _SEPARATORS.sub(" ", phrase.lower()).strip()


@cache
def _colour_index() -> dict[str, str]:
    index: dict[str, str] = {family: family for family in COLOUR_FAMILIES}
    index.update({_normalise(key): c.family for key, c in COLOURS.items()})
    index.update({_normalise(word): family for word, family in COLOUR_SYNONYMS.items()})
    # "offwhite", "hotpink": shops and shoppers drop the space too.
    index.update({key.replace(" ", ""): family for key, family in list(index.items())})
    return index


def colour_family_of_word(word: str) -> str | None:
    """Return the colour family a colour word or short phrase names.

    Family names, shop colour names (:data:`COLOURS`) and synonyms
    (:data:`COLOUR_SYNONYMS`) are recognised case-insensitively, with hyphens, spaces or
    nothing between words (``"Off-White"``, ``"off white"``, ``"offwhite"``). One leading
    modifier such as ``"light"`` or ``"dark"`` is ignored.

    Args:
        word: e.g. ``"Burgundy"``, ``"gray"``, ``"light blue"``.

    Returns:
        The family (one of :data:`COLOUR_FAMILIES`), or ``None`` for a non-colour word.
    """
    key = _normalise(word)
    index = _colour_index()
    found = index.get(key) or index.get(key.replace(" ", ""))
    if found is not None:
        return found
    first, _, rest = key.partition(" ")
    if first in COLOUR_MODIFIERS and rest:
        return index.get(rest) or index.get(rest.replace(" ", ""))
    return None


def _singular(word: str) -> str:
    """A naive English singular, good enough for product nouns."""
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    if word.endswith("ies") and len(word) > len("ties"):
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith(("ch", "sh", "ss", "x")):
        return word + "es"
    return word + "s"


def _forms(phrase: str) -> set[str]:
    """The phrase with its last word in singular and plural form, spaced and unspaced."""
    key = _normalise(phrase)
    head, _, last = key.rpartition(" ")
    prefix = f"{head} " if head else ""
    forms = {key, prefix + _singular(last), prefix + _plural(_singular(last))}
    return forms | {form.replace(" ", "") for form in forms}


@cache
def _category_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for word, path in TOP_LEVEL_NOUNS.items():
        index.update(dict.fromkeys(_forms(word), path))
    for category in CATEGORIES:
        for noun in (*category.nouns, category.leaf):
            index.update(dict.fromkeys(_forms(noun), category.path))
    return index


def category_of_word(phrase: str) -> str | None:
    """Return the category path a product noun names.

    Nouns and their synonyms (:attr:`Category.nouns`), in singular or plural, with or without
    hyphens (``"t-shirt"``, ``"t shirts"``, ``"tees"``, ``"running shoe"``), map to their leaf
    path. Words for a whole department (``"footwear"``, ``"shoes"``, ``"bags"``) map to the
    top-level path, which is a valid ``category_path`` filter too.

    Args:
        phrase: one word or a multi-word noun phrase.

    Returns:
        e.g. ``"Footwear > Sneakers"`` or ``"Footwear"``, or ``None`` if the phrase is no
        category noun.
    """
    key = _normalise(phrase)
    if not key:
        return None
    index = _category_index()
    for form in (key, key.replace(" ", "")):
        if form in index:
            return index[form]
    head, _, last = key.rpartition(" ")
    singular = f"{head} {_singular(last)}" if head else _singular(last)
    return index.get(singular) or index.get(singular.replace(" ", ""))


def category_by_path(path: str) -> Category:
    """Return the leaf :class:`Category` with this exact path.

    Raises:
        KeyError: if no leaf category has this path.
    """
    for category in CATEGORIES:
        if category.path == path:
            return category
    known = ", ".join(c.path for c in CATEGORIES)
    raise KeyError(f"unknown category path {path!r}; expected one of: {known}")
