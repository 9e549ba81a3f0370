"""The shop's own words for its categories and colours: a synonyms file understanding reads.

Shoppers ask for "wellies", "joggers" or "aviators"; neither the project's tables nor WordNet
know every shop's slang, and Elasticsearch's synonym filters live in ``analysis-common`` (not in
every distribution, and analysis-time synonyms would not make a facet filter anyway). So the
shop names its words on the query side, one rule a line, in the spirit of Solr/Elasticsearch
explicit mappings::

    # comment lines and blank lines are ignored
    wellies, wellington boots, gumboots => category: Footwear > Boots
    matcha, hi-vis => colour: green

A phrase then reads like the shop's own nouns and colour names: strong (a filter in the default
``understanding: filter`` mode, relaxed visibly when it leaves too few hits), in singular and
plural for categories, and a typo target. Pure: :func:`read_synonyms` is the one reader of the
file; ``Settings.synonyms_file`` names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from hybrid.errors import ConfigurationError
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.vocab import COLOUR_FAMILIES

_ARROW: Final = "=>"
_KINDS: Final = ("category", "colour")


@dataclass(frozen=True)
class ShopSynonyms:
    """``(phrase, value)`` pairs: category paths and colour families, in file order."""

    categories: tuple[tuple[str, str], ...] = ()
    colours: tuple[tuple[str, str], ...] = ()


def _rule(line: str, where: str) -> tuple[str, str, list[str]]:
    if line.count(_ARROW) != 1:
        raise ConfigurationError(
            f"{where}: expected 'phrase, phrase => category: <path>' or '=> colour: <family>'"
        )
    left, right = (part.strip() for part in line.split(_ARROW))
    kind, _, value = (part.strip() for part in right.partition(":"))
    if kind not in _KINDS or not value:
        raise ConfigurationError(
            f"{where}: the right side must be 'category: <path>' or 'colour: <family>'; "
            f"got {right!r}"
        )
    phrases = [phrase.strip() for phrase in left.split(",") if phrase.strip()]
    if not phrases:
        raise ConfigurationError(f"{where}: no phrase before '=>'")
    return kind, value, phrases


def _category_path(value: str) -> str:
    """``Footwear>Boots`` or ``Footwear  >  Boots`` as the index writes it: ``Footwear > Boots``."""
    return CATEGORY_SEPARATOR.join(level.strip() for level in value.split(">"))


def parse_synonyms(text: str, *, source: str = "synonyms") -> ShopSynonyms:
    """Parse the rules of :mod:`this module's <hybrid.query.synonyms>` format.

    Raises:
        ConfigurationError: a line that is not a rule, or a colour that is not a family; the
            message names ``source`` and the line number.
    """
    categories: list[tuple[str, str]] = []
    colours: list[tuple[str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source} line {number}"
        kind, value, phrases = _rule(line, where)
        if kind == "colour":
            family = value.casefold()
            if family not in COLOUR_FAMILIES:
                raise ConfigurationError(
                    f"{where}: {value!r} is not a colour family; expected one of "
                    f"{', '.join(COLOUR_FAMILIES)}"
                )
            colours += [(phrase, family) for phrase in phrases]
        else:
            path = _category_path(value)
            categories += [(phrase, path) for phrase in phrases]
    return ShopSynonyms(tuple(categories), tuple(colours))


def read_synonyms(path: Path | None) -> ShopSynonyms:
    """The rules in ``path`` (none when ``path`` is None).

    Raises:
        ConfigurationError: the file cannot be read as UTF-8 text, or a rule is malformed.
    """
    if path is None:
        return ShopSynonyms()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(f"cannot read the synonyms file {str(path)!r}: {error}") from error
    return parse_synonyms(text, source=str(path))
