"""Query understanding: find colours, categories and brands in the text and use them.

"maroon sneakers" names a colour family (red) and a category (Footwear > Sneakers). Three modes:

* ``boost`` (default): BM25 gets ``should`` clauses favouring products of those facets, and the
  service adds the *understanding bonus* after fusion (:func:`understanding_fit` through
  :func:`hybrid.query.fusion.add_bonus`), so kNN hits of the right colour and category rise too.
  Nothing is excluded, so a wrong reading costs ranking, never recall.
* ``filter``: the facets become hard filters in every leg (kNN included). Explicit filters in
  the request win: a facet the shopper already filtered is left as it is. If a hard filter
  leaves too few hits, :func:`relaxation_steps` drops the understood facets one at a time.
* ``off``: nothing.

BM25 keeps the *whole* text: shops write "maroon" and "sneakers" in titles, so those words are
good BM25 evidence, and the CLIP text encoder reads colour words too. ``residual_text`` (the text
minus the matched phrases) is reported for explanations and for callers that want the rest.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from hybrid.query.filters import Clause
from hybrid.query.relaxation import ancestors
from hybrid.query.request import Filters, UnderstandingMode
from hybrid.query.vocabulary import Facet, FacetVocabulary, Token, phrase, tokenize
from hybrid.schema import (
    BRAND,
    CATEGORY_PATH,
    CATEGORY_SEPARATOR,
    COLOUR_FAMILY,
    IMAGE_COLOUR_FAMILY,
)

#: BM25 ``should`` boosts in ``boost`` mode. The label family counts more than the image family
#: (the photo's dominant colour is noisier than the shop's label).
COLOUR_LABEL_BOOST: Final = 2.0
COLOUR_IMAGE_BOOST: Final = 1.5
CATEGORY_BOOST: Final = 2.0
BRAND_BOOST: Final = 2.0
#: :func:`colour_fit` strengths.
LABEL_MATCH_STRENGTH: Final = 1.0
IMAGE_MATCH_STRENGTH: Final = 0.5
#: The Filters field each understood facet fills.
FACET_FILTER_FIELD: Final[Mapping[Facet, str]] = {
    "colour": "colour_family",
    "category": "category",
    "brand": "brand",
}


class MatchedSpan(NamedTuple):
    """A phrase of the query and the facet value it names."""

    span: str
    facet: Facet
    value: str


class ParsedQuery(BaseModel):
    """What :func:`understand` found in the text."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    residual_text: str
    colour_families: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    brands: list[str] = Field(default_factory=list)
    matched_spans: list[MatchedSpan] = Field(default_factory=list)
    #: Span texts read only as an extra colour name: favoured, never a filter.
    weak: list[str] = Field(default_factory=list)


class UnderstandingReport(BaseModel):
    """What was understood and what was done with it (returned with ``explain``).

    Attributes:
        mode: the understanding mode applied.
        matched_spans: every phrase recognised.
        boosted: Filters field -> values favoured by BM25 ``should`` clauses.
        filters_added: Filters field -> values added as hard filters (``filter`` mode).
        ignored: Filters field -> understood values not applied because the request already
            filters that field, or because the phrase was ambiguous.
        relaxed: Filters fields whose understood values were dropped to find enough hits.
        price: the price phrase read from the text and the range it became (a hard filter in
            every leg unless the request already filters on price; relaxed only visibly).
        excluded: Filters field (or ``text``) -> values excluded by a negation.
        corrected: typo -> the vocabulary word it was read as.
        unread: the shopper's words nothing read (stop words and materials left out), in the
            search log as ``unread_words``: what a shop's synonyms file could add.
        guessed: unread words -> the category a text model guessed for them
            (:mod:`hybrid.search.guessing`); in ``matched_spans`` and filtered like any reading,
            but a guess, not a table's reading (the search log's ``guessed``).
        widened: understood category -> the category above it the page was found in, when
            relaxation widened it rather than dropped it (``relaxed`` lists ``category``).
        notes: readings chosen from context ("'leather' read as a material, not a colour").
        text_sent: the text given to BM25 and the model, when it differs from the query.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: UnderstandingMode
    matched_spans: list[MatchedSpan] = Field(default_factory=list)
    boosted: dict[str, list[str]] = Field(default_factory=dict)
    filters_added: dict[str, list[str]] = Field(default_factory=dict)
    ignored: dict[str, list[str]] = Field(default_factory=dict)
    relaxed: list[str] = Field(default_factory=list)
    price: dict[str, Any] | None = None
    excluded: dict[str, list[str]] = Field(default_factory=dict)
    corrected: dict[str, str] = Field(default_factory=dict)
    unread: list[str] = Field(default_factory=list)
    guessed: dict[str, str] = Field(default_factory=dict)
    widened: dict[str, str] = Field(default_factory=dict)
    notes: list[str] = Field(default_factory=list)
    text_sent: str | None = None

    def with_relaxed(
        self, dropped: Iterable[str], filters: Filters | None = None
    ) -> UnderstandingReport:
        """A copy recording that the understood filters of ``dropped`` fields were relaxed.

        With the ``filters`` the page was found with, an understood category widened to a
        category above it rather than dropped is recorded in ``widened`` and said in ``notes``
        ("category 'Clothing > Dresses' widened to 'Clothing': too few hits")."""
        relaxed = list(dropped)
        kept = set(filters.category) if filters is not None and "category" in relaxed else set()
        widened = {
            path: wider
            for path in self.filters_added.get("category", [])
            if (wider := next((a for a in ancestors(path) if a in kept), None))
        }
        notes = [
            f"category {path!r} widened to {wider!r}: too few hits"
            for path, wider in widened.items()
        ]
        return self.model_copy(
            update={"relaxed": relaxed, "widened": widened, "notes": [*self.notes, *notes]}
        )


_Found = tuple[int, int, tuple[tuple[Facet, str], ...]]


def _scan(tokens: Sequence[Token], vocab: FacetVocabulary) -> list[_Found]:
    """Longest match first, left to right: ``(first token, end token, facet values)``."""
    found: list[_Found] = []
    i = 0
    while i < len(tokens):
        for n in range(min(vocab.max_ngram, len(tokens) - i), 0, -1):
            values = vocab.lookup(tuple(t.norm for t in tokens[i : i + n]))
            if values:
                found.append((i, i + n, values))
                i += n
                break
        else:
            i += 1
    return found


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))


def understand(
    text: str, vocab: FacetVocabulary, *, mode: UnderstandingMode = "boost"
) -> ParsedQuery:
    """Recognise colour, category and brand phrases in ``text``.

    Args:
        text: the user's query.
        vocab: the phrases to recognise.
        mode: ``off`` recognises nothing.

    Returns:
        The parsed query; values keep the order in which they appear.
    """
    if mode == "off":
        return ParsedQuery(text=text, residual_text=text)
    tokens = tokenize(text)
    spans: list[MatchedSpan] = []
    kept = list(text)
    for first, end, values in _scan(tokens, vocab):
        start, stop = tokens[first].start, tokens[end - 1].end
        spans += [MatchedSpan(text[start:stop], facet, value) for facet, value in values]
        kept[start:stop] = [" "] * (stop - start)
    residual = re.sub(r"\s+", " ", "".join(kept)).strip()
    spans = _prefer_shop_words(spans, vocab)
    weak = [s.span for s in spans if s.facet == "colour" and vocab.is_weak(phrase(s.span))]

    def of(facet: Facet) -> list[str]:
        return _unique(s.value for s in spans if s.facet == facet)

    return ParsedQuery(
        text=text,
        residual_text=residual,
        colour_families=of("colour"),
        categories=_most_specific(of("category")),
        brands=of("brand"),
        matched_spans=spans,
        weak=weak,
    )


def _prefer_shop_words(spans: list[MatchedSpan], vocab: FacetVocabulary) -> list[MatchedSpan]:
    """Drop third-party readings of a facet when stronger words name that facet too.

    "hunter boots": "boots" is the shop's word, so "hunter" (a pocket watch, to WordNet) is
    not read as Watches; "red papaya cushion" keeps red, not papaya's orange.
    """
    kept = spans
    for facet in ("category", "colour"):
        weak = [s for s in kept if s.facet == facet and vocab.is_related(phrase(s.span))]
        if weak and any(s.facet == facet and s not in weak for s in kept):
            kept = [s for s in kept if s not in weak]
    return kept


def _most_specific(paths: list[str]) -> list[str]:
    """Drop a path when one of its descendants was named too: "home cushion" means Cushions."""
    return [p for p in paths if not any(o.startswith(p + CATEGORY_SEPARATOR) for o in paths)]


def boost_clauses(parsed: ParsedQuery) -> list[Clause]:
    """BM25 ``should`` clauses favouring the understood facets."""
    clauses: list[Clause] = []
    if parsed.colour_families:
        families = list(parsed.colour_families)
        clauses.append({"terms": {COLOUR_FAMILY: families, "boost": COLOUR_LABEL_BOOST}})
        clauses.append({"terms": {IMAGE_COLOUR_FAMILY: families, "boost": COLOUR_IMAGE_BOOST}})
    if parsed.categories:
        clauses.append({"terms": {CATEGORY_PATH: list(parsed.categories), "boost": CATEGORY_BOOST}})
    if parsed.brands:
        clauses.append({"terms": {BRAND: list(parsed.brands), "boost": BRAND_BOOST}})
    return clauses


def _by_field(spans: Iterable[MatchedSpan]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for span in spans:
        values = result.setdefault(FACET_FILTER_FIELD[span.facet], [])
        if span.value not in values:
            values.append(span.value)
    return result


def _ambiguous(spans: Sequence[MatchedSpan]) -> set[str]:
    """Span texts read as more than one facet (a brand "Orange"): never a hard filter."""
    facets: dict[str, set[str]] = {}
    for span in spans:
        facets.setdefault(span.span.casefold(), set()).add(span.facet)
    return {text for text, kinds in facets.items() if len(kinds) > 1}


def apply_understanding(
    parsed: ParsedQuery, filters: Filters, *, mode: UnderstandingMode
) -> tuple[Filters, list[Clause], UnderstandingReport]:
    """Turn a parsed query into filters and BM25 boosts, according to ``mode``.

    Args:
        parsed: from :func:`understand`.
        filters: the request's explicit filters.
        mode: ``boost``, ``filter`` or ``off``.

    Returns:
        ``(filters, should clauses, report)``: the filters to run with (explicit plus, in
        ``filter`` mode, understood ones), the BM25 ``should`` clauses (both ``boost`` and
        ``filter`` modes; in ``filter`` mode they still rank label-and-image agreement first),
        and the report.
    """
    if mode == "off" or not parsed.matched_spans:
        return filters, [], UnderstandingReport(mode=mode)
    # Ancestors of a named category were pruned from parsed.categories; prune their spans too.
    spans = [
        s for s in parsed.matched_spans if s.facet != "category" or s.value in parsed.categories
    ]
    report = UnderstandingReport(
        mode=mode, matched_spans=parsed.matched_spans, boosted=_by_field(spans)
    )
    if mode == "boost":
        return filters, boost_clauses(parsed), report
    ambiguous = _ambiguous(spans) | {text.casefold() for text in parsed.weak}
    certain = _by_field(s for s in spans if s.span.casefold() not in ambiguous)
    ignored = _by_field(s for s in spans if s.span.casefold() in _ambiguous(spans))
    added: dict[str, list[str]] = {}
    for field, values in certain.items():
        if not getattr(filters, field):
            added[field] = values
            continue
        # The shopper already filtered this field: their choice wins over our reading.
        known = ignored.setdefault(field, [])
        known += [value for value in values if value not in known]
    report = report.model_copy(update={"filters_added": added, "ignored": ignored})
    return filters.model_copy(update=added), boost_clauses(parsed), report


def _values(source: Mapping[str, Any], field: str) -> set[str]:
    value = source.get(field)
    if value is None:
        return set()
    return {str(v) for v in value} if isinstance(value, list) else {str(value)}


def colour_fit(hit_source: Mapping[str, Any] | None, parsed: ParsedQuery) -> float:
    """How well a hit's colour fits the understood colour: 1 label, 0.5 image only, else 0.

    One part of :func:`understanding_fit`, the strength of the understanding bonus.
    """
    if not parsed.colour_families or not hit_source:
        return 0.0
    wanted = set(parsed.colour_families)
    if _values(hit_source, COLOUR_FAMILY) & wanted:
        return LABEL_MATCH_STRENGTH
    if _values(hit_source, IMAGE_COLOUR_FAMILY) & wanted:
        return IMAGE_MATCH_STRENGTH
    return 0.0


def category_fit(hit_source: Mapping[str, Any] | None, parsed: ParsedQuery) -> float:
    """1 when the hit lies in an understood category's subtree, else 0."""
    if not parsed.categories or not hit_source:
        return 0.0
    return 1.0 if _values(hit_source, CATEGORY_PATH) & set(parsed.categories) else 0.0


def understanding_fit(hit_source: Mapping[str, Any] | None, parsed: ParsedQuery) -> float:
    """How well a hit fits everything understood (0..1): the mean of the colour and category
    fits over the facets the query named.

    BM25's ``should`` boosts only reach hits the BM25 leg found; kNN hits ("maroon sneakers"
    shares no word with "Burgundy Trainers") are brought in line by this post-fusion bonus.
    """
    parts = []
    if parsed.colour_families:
        parts.append(colour_fit(hit_source, parsed))
    if parsed.categories:
        parts.append(category_fit(hit_source, parsed))
    return sum(parts) / len(parts) if parts else 0.0
