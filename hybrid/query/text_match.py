"""The BM25 leg's text clauses: what a product must match, scored or only counted.

Pure, like :mod:`hybrid.query.builders`, which puts these clauses into request bodies.

BM25 uses ``multi_match`` of type ``cross_fields``: a product query spreads its words over
fields ("red nike running shoes": colour, brand, category, title), and ``cross_fields`` scores
each *word* in its best field and requires the words (see ``minimum_should_match``) across the
fields taken together, while ``best_fields`` scores the single best field and so favours a
title that repeats one word over a product matching every word in different fields. All text
fields use the standard analyser (the test server has no ``analysis-common``), so they form a
single cross-field group. User text only ever goes into ``multi_match.query`` verbatim: it is
never parsed as query syntax (no ``query_string``), so it needs no escaping.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from hybrid.query.filters import Clause
from hybrid.schema import BRAND_TEXT, CATEGORY_TEXT, COLOUR_TEXT, DESCRIPTION, TITLE

#: Field boosts of the BM25 leg: the title says what the product is; brand, category and colour
#: are short, high-precision fields; the description is long and chatty.
DEFAULT_BOOSTS: Final[Mapping[str, float]] = MappingProxyType(
    {TITLE: 3.0, BRAND_TEXT: 2.0, CATEGORY_TEXT: 2.0, COLOUR_TEXT: 2.0, DESCRIPTION: 1.0}
)
#: One- and two-word queries need every word; longer ones may miss a third of them, so a
#: stray word ("comfy red sneakers") does not empty the BM25 leg.
DEFAULT_MINIMUM_SHOULD_MATCH: Final = "2<-34%"
#: The fallback of longer queries with an unknown word: one word may be missing from a two-word
#: query, a third of a longer one; scored well below full matches (see :func:`text_clause`).
FALLBACK_MINIMUM_SHOULD_MATCH: Final = "1<-1 3<-34%"
FALLBACK_BOOST: Final = 0.2
#: The typo-tolerant clause (``cross_fields`` takes no ``fuzziness``) scores below exact matches.
FUZZY_BOOST: Final = 0.5
#: No edit under 5 letters ("red" must not find "bed"), one up to 7, two from 8: the guard
#: understanding uses for its own corrections (:mod:`hybrid.query.lexicon`).
FUZZINESS: Final = "AUTO:5,8"
#: Fuzzy terms per query word; a prefix of one letter is kept exact (typos rarely hit the first
#: letter, and it keeps the expansion cheap).
FUZZY_MAX_EXPANSIONS: Final = 20
FUZZY_PREFIX_LENGTH: Final = 1


def _over_fields(
    text: str,
    boosts: Mapping[str, float] | None,
    kind: str,
    minimum_should_match: str | None,
    **options: Any,
) -> Clause:
    """A ``multi_match`` of ``kind`` over the boosted text fields, with ``options`` added."""
    weights = DEFAULT_BOOSTS if boosts is None else boosts
    clause: dict[str, Any] = {
        "query": text,
        "type": kind,
        "fields": [f"{field}^{boost:g}" for field, boost in weights.items()],
        "operator": "or",
        **options,
    }
    if minimum_should_match is not None:
        clause["minimum_should_match"] = minimum_should_match
    return {"multi_match": clause}


def multi_match(
    text: str, boosts: Mapping[str, float] | None = None, *, minimum_should_match: str | None
) -> Clause:
    """The ``cross_fields`` ``multi_match`` clause over the boosted text fields."""
    if not text.strip():
        raise ValueError("BM25 needs non-empty text")
    return _over_fields(text, boosts, "cross_fields", minimum_should_match)


def fuzzy_match(
    text: str, boosts: Mapping[str, float] | None = None, *, minimum_should_match: str | None
) -> Clause:
    """A ``best_fields`` ``multi_match`` with :data:`FUZZINESS`: "sneakres" finds "sneakers"."""
    return _over_fields(
        text,
        boosts,
        "best_fields",
        minimum_should_match,
        fuzziness=FUZZINESS,
        prefix_length=FUZZY_PREFIX_LENGTH,
        max_expansions=FUZZY_MAX_EXPANSIONS,
        boost=FUZZY_BOOST,
    )


def text_clause(
    text: str,
    boosts: Mapping[str, float] | None = None,
    *,
    minimum_should_match: str | None,
    fuzzy: bool = True,
) -> Clause:
    """What BM25 requires of a product: the words across fields, or the words with typos.

    ``dis_max`` (no tie breaker) scores a product by the best of three: the words across fields
    (``minimum_should_match``), the words with typos, and a fallback that lets one word of a
    two-word query (a third of a longer one) be missing at a fifth of the score, so one unknown
    word no longer empties the leg. Exact matches keep their ``cross_fields`` ranking.

    Measured with ``hybrid eval`` (2,000 products, seed 7, served default
    ``hybrid_linear_zscore+qu``, nDCG@10): text 0.825 -> 0.857, colour_synonym 0.999 -> 0.998,
    image_text 0.788 -> 0.788, all 0.870 -> 0.881; BM25 alone 0.255 -> 0.307. Summing the fuzzy
    score onto exact matches instead cost BM25 text queries 0.02; loosening
    ``minimum_should_match`` itself to the fallback's value cost the served text queries 0.014.
    """
    queries = [
        multi_match(text, boosts, minimum_should_match=minimum_should_match),
        fuzzy_match(text, boosts, minimum_should_match=minimum_should_match),
        _boosted(
            multi_match(text, boosts, minimum_should_match=FALLBACK_MINIMUM_SHOULD_MATCH),
            FALLBACK_BOOST,
        ),
    ]
    # Fuzzy expansion is the costly part (served p50 +20% on the 10k benchmark): the service
    # asks for it only when the text holds a word understanding could not place.
    return {"dis_max": {"queries": queries if fuzzy else [queries[0], queries[2]]}}


def text_match_clause(
    text: str, boosts: Mapping[str, float] | None = None, *, fuzzy: bool = True
) -> Clause:
    """The products :func:`text_clause` matches, unscored: what facet counts need.

    Its fallback asks for a subset of the words the exact clause asks for, over the same
    fields, so it matches every product the exact clause does ("2<-34%" against
    "1<-1 3<-34%": equal from three words, one fewer below). The fallback, with the typo
    clause when ``fuzzy``, is the whole set: one ``multi_match`` fewer to run, and no typo
    expansion when the legs run none.
    """
    fallback = multi_match(text, boosts, minimum_should_match=FALLBACK_MINIMUM_SHOULD_MATCH)
    if not fuzzy:
        return fallback
    typos = fuzzy_match(text, boosts, minimum_should_match=DEFAULT_MINIMUM_SHOULD_MATCH)
    return {"bool": {"should": [fallback, typos], "minimum_should_match": 1}}


def _boosted(clause: Clause, boost: float) -> Clause:
    ((kind, body),) = clause.items()
    return {kind: {**body, "boost": boost}}
