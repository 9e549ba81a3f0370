"""Reading a query before understanding: price, negations, typos, colour-or-material words.

:func:`read_query` is the first step of understanding, pure like the rest of it:

1. a price phrase ("under 40") becomes a price range and leaves the text;
2. negations ("not red", "without logo") leave the text: a negated phrase the vocabulary knows
   becomes a facet exclusion (colour family, category, brand), any other negated word a text
   exclusion; :func:`exclusion_clauses` turns them into one ``must_not`` filter clause, given
   to every leg (kNN ``filter`` included);
3. words within a typo of exactly one vocabulary word are corrected ("blakc" -> "black"), in
   the text sent to BM25 and the model too;
4. :func:`understand` reads the rest, and a word that is both a colour and a material the shop
   sells ("leather", "denim") is read as the material unless "colour" follows it.

Everything decided is reported: :class:`Reading` feeds the understanding report.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Final

from hybrid.query.filters import Clause, colour_clause
from hybrid.query.lexicon import MIN_FUZZY_LENGTH, material_words, stop_words
from hybrid.query.phrases import Negation, PricePhrase, extract_negations, extract_price
from hybrid.query.request import Filters, UnderstandingMode
from hybrid.query.suggest import Guess
from hybrid.query.text_match import DEFAULT_BOOSTS
from hybrid.query.understanding import (
    FACET_FILTER_FIELD,
    MatchedSpan,
    ParsedQuery,
    UnderstandingReport,
    understand,
)
from hybrid.query.vocabulary import FacetVocabulary, phrase, tokenize
from hybrid.schema import BRAND, CATEGORY_PATH
from hybrid.vocab import COLOUR_FAMILIES, colour_family_of_word

#: Shorter words are not listed as unread ("pjs" is, "xl" and "a" are not).
MIN_UNREAD_LENGTH: Final = 3
#: Words after a colour-or-material word that make it a colour: "leather colour boots".
COLOUR_NOUNS: Final = frozenset({"colour", "color", "coloured", "colored", "tone", "toned"})
#: The families' own names: a colour name ending in one ("dove grey") says its family.
FAMILY_WORDS: Final = frozenset({*COLOUR_FAMILIES, "gray"})


@dataclass(frozen=True)
class Reading:
    """What :func:`read_query` found.

    Attributes:
        original: the query as typed.
        text: the text for BM25 and the model: price phrase and negations removed, typos
            corrected (the original text when nothing would be left).
        parsed: understanding of ``text``.
        price: the price phrase, if any.
        excluded: negated phrases the vocabulary knows, with their facet values.
        excluded_words: other negated words (excluded from the text fields).
        corrected: typo -> correction.
        notes: readings chosen from context, in words ("'leather' read as a material").
        guessed: span texts whose category a text model guessed (:func:`with_guess`, then
            perhaps :func:`with_leaf`): still unread and unplaced, since no table of the
            shop's knows them.
        unplaced, unread: see the properties.
    """

    original: str
    text: str
    parsed: ParsedQuery
    price: PricePhrase | None = None
    excluded: list[MatchedSpan] = field(default_factory=list)
    excluded_words: list[str] = field(default_factory=list)
    corrected: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    guessed: tuple[str, ...] = ()

    def _placed(self) -> set[str]:
        """Words a facet reading placed; a text model's guess (``guessed``) places none."""
        spans = (s for s in self.parsed.matched_spans if s.span not in self.guessed)
        return {t.norm for span in spans for t in tokenize(span.span)}

    @property
    def unplaced(self) -> list[str]:
        """Words of ``text`` long enough to hold a typo that understanding did not recognise."""
        placed = self._placed()
        return [
            t.norm
            for t in tokenize(self.text)
            if t.norm not in placed and len(t.norm) >= MIN_FUZZY_LENGTH and t.norm.isalpha()
        ]

    @property
    def unread(self) -> list[str]:
        """The shopper's words no facet reading placed, once each, hyphenated words whole
        ("black docs in hi-vis" -> ["docs", "hi-vis"]); stop words, materials and numbers left
        out. BM25 and the models still search them: this is what the shop could teach
        understanding. The search log counts them (``unread_words``), the worklist of the
        shop's synonyms file."""
        placed = self._placed()
        skipped = stop_words() | material_words()
        found: list[str] = []
        for written in self.text.split():
            norms = [t.norm for t in tokenize(written)]
            word = "-".join(norms)
            if (
                norms
                and all(norm.isalpha() for norm in norms)
                and len(word) >= MIN_UNREAD_LENGTH
                and not placed & set(norms)
                and word not in skipped
            ):
                found.append(word)
        return list(dict.fromkeys(found))


def _negated(negation: Negation, vocab: FacetVocabulary) -> tuple[list[MatchedSpan], int]:
    """The facet values the longest known phrase after the trigger names, and its length."""
    words = [w.text for w in negation.words]
    if words[0].casefold() in material_words():
        return [], 0  # "non-leather", "without leather": the material, excluded as text
    for n in range(len(words), 0, -1):
        key = phrase(" ".join(words[:n]))
        if n == 1 and not vocab.lookup(key):
            corrected = vocab.correct(key[0]) if key else None
            key = (corrected,) if corrected else key
        values = vocab.lookup(key)
        if values:
            span = " ".join(words[:n])
            return [MatchedSpan(span, facet, value) for facet, value in values], n
    return [], 0


def _remove(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = [" "] * (end - start)
    kept = re.sub(r"(?:^|\s)-+(?=\s|$)", " ", "".join(chars))
    return re.sub(r"\s+", " ", kept).strip(" ,.;")


def _negations(text: str, vocab: FacetVocabulary) -> tuple[str, list[MatchedSpan], list[str]]:
    excluded: list[MatchedSpan] = []
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for negation in extract_negations(text):
        found, n = _negated(negation, vocab)
        taken = negation.words[: max(n, 1)]
        excluded += found
        if not found:
            words.append(taken[0].text.casefold())
        spans += [(negation.start, negation.end), *((w.start, w.end) for w in taken)]
    return _remove(text, spans), excluded, words


def _corrections(text: str, vocab: FacetVocabulary) -> tuple[str, dict[str, str]]:
    corrected: dict[str, str] = {}
    pieces: list[str] = []
    last = 0
    for token in tokenize(text):
        fixed = vocab.correct(token.norm)
        if fixed is not None:
            corrected[text[token.start : token.end]] = fixed
            pieces += [text[last : token.start], fixed]
            last = token.end
    return "".join([*pieces, text[last:]]), corrected


def _materials(parsed: ParsedQuery) -> tuple[ParsedQuery, list[str]]:
    """Drop colour readings of material words unless a colour noun follows them."""
    words = [t.norm for t in tokenize(parsed.text)]
    dropped: set[str] = set()
    for span in parsed.matched_spans:
        norm = span.span.casefold()
        if span.facet != "colour" or norm not in material_words() or norm not in words:
            continue
        after = words[words.index(norm) + 1 : words.index(norm) + 2]
        if not (set(after) & COLOUR_NOUNS):
            dropped.add(norm)
    if not dropped:
        return parsed, []
    spans = [
        s
        for s in parsed.matched_spans
        if not (s.facet == "colour" and s.span.casefold() in dropped)
    ]
    families = list(dict.fromkeys(s.value for s in spans if s.facet == "colour"))
    notes = [f"{word!r} read as a material, not a colour" for word in sorted(dropped)]
    return parsed.model_copy(update={"matched_spans": spans, "colour_families": families}), notes


def _said_colours(parsed: ParsedQuery) -> ParsedQuery:
    """A weak colour name followed by a colour noun, or ending in the name of its own family
    (:data:`FAMILY_WORDS`), is a colour the shopper asked for: "ketchup coloured mug" and
    "dove grey hat" require red and grey, "ketchup mug" only favours red."""
    if not parsed.weak:
        return parsed
    words = [t.norm for t in tokenize(parsed.text)]
    families = {s.span: s.value for s in parsed.matched_spans if s.facet == "colour"}
    said = set()
    for name in parsed.weak:
        name_words = [t.norm for t in tokenize(name)]
        last = name_words[-1]
        if (
            len(name_words) > 1
            and last in FAMILY_WORDS
            and colour_family_of_word(last) == families.get(name)
        ):
            said.add(name)
        for i in range(len(words) - len(name_words)):
            after = words[i + len(name_words)]
            if words[i : i + len(name_words)] == name_words and after in COLOUR_NOUNS:
                said.add(name)
    if not said:
        return parsed
    return parsed.model_copy(update={"weak": [name for name in parsed.weak if name not in said]})


def read_query(
    text: str, vocab: FacetVocabulary, *, mode: UnderstandingMode, with_photo: bool = False
) -> Reading:
    """Read ``text``: price, negations, typos, then :func:`understand` (see the module doc).

    With a photo (``with_photo``: an image or a product beside the text) a weak colour name is
    a colour the shopper asked for: the photo fixes the product, so "make it tomato" asks for
    red, where "tomato mug" alone might mean a mug printed with tomatoes."""
    if mode == "off":
        return Reading(original=text, text=text, parsed=understand(text, vocab, mode="off"))
    price, rest = extract_price(text)
    rest, excluded, excluded_words = _negations(rest, vocab)
    rest, corrected = _corrections(rest, vocab)
    parsed, notes = _materials(understand(rest, vocab, mode=mode))
    parsed = _said_colours(parsed)
    if with_photo and parsed.weak:
        notes += [f"{name!r} read as a colour name: with a photo, a colour" for name in parsed.weak]
        parsed = parsed.model_copy(update={"weak": []})
    for span in parsed.matched_spans:
        if span.facet == "colour" and span.span.casefold() in material_words():
            notes.append(f"{span.span!r} read as a colour (followed by a colour word)")
        if span.facet == "category" and vocab.is_related(phrase(span.span)):
            notes.append(f"{span.span!r} read as {span.value!r} (WordNet)")
        if span.span in parsed.weak:
            notes.append(f"{span.span!r} read as colour {span.value} (a colour name), favoured")
    return Reading(
        original=text,
        text=rest or text,
        parsed=parsed,
        price=price,
        excluded=excluded,
        excluded_words=excluded_words,
        corrected=corrected,
        notes=notes,
    )


def exclusion_clauses(reading: Reading) -> list[Clause]:
    """One ``bool.must_not`` filter clause for everything negated (empty when nothing was)."""
    families = [s.value for s in reading.excluded if s.facet == "colour"]
    paths = [s.value for s in reading.excluded if s.facet == "category"]
    brands = [s.value for s in reading.excluded if s.facet == "brand"]
    must_not: list[Clause] = []
    if families:
        must_not.append(colour_clause(list(dict.fromkeys(families))))
    if paths:
        must_not.append({"terms": {CATEGORY_PATH: list(dict.fromkeys(paths))}})
    if brands:
        must_not.append({"terms": {BRAND: list(dict.fromkeys(brands))}})
    for word in reading.excluded_words:
        fields = list(DEFAULT_BOOSTS)
        must_not.append({"multi_match": {"query": word, "fields": fields, "operator": "and"}})
    return [{"bool": {"must_not": must_not}}] if must_not else []


def _price_report(price: PricePhrase) -> dict[str, object]:
    return {"span": price.span, "gte": price.price.gte, "lte": price.price.lte}


def with_guess(reading: Reading, guess: Guess, *, model: str) -> Reading:
    """``reading`` with a text model's guess as its understood category, said in its notes.

    Only for a reading that names no category: the guess reads words no table knows, so it is
    weaker than any of them; it filters like them and is relaxed like them when it leaves too
    few hits.
    """
    if reading.parsed.categories:
        raise ValueError(f"expected a reading without a category; got {reading.parsed.categories}")
    span = MatchedSpan(guess.words, "category", guess.category)
    parsed = reading.parsed.model_copy(
        update={
            "categories": [guess.category],
            "matched_spans": [*reading.parsed.matched_spans, span],
        }
    )
    note = f"{guess.words!r} read as {guess.category!r} {_by(guess, model)}"
    return replace(
        reading,
        parsed=parsed,
        notes=[*reading.notes, note],
        guessed=(*reading.guessed, guess.words),
    )


def with_leaf(reading: Reading, top: str, guess: Guess, *, model: str) -> Reading:
    """``reading`` with its one understood category, the guessed top level ``top``, narrowed to
    the leaf a text model placed ``guess.words`` in, said in its notes."""
    if guess.words not in reading.guessed:
        raise ValueError(f"expected guessed words; {guess.words!r} were read by a table")
    if reading.parsed.categories != [top]:
        raise ValueError(f"expected the one category {top!r}; got {reading.parsed.categories}")
    spans = [
        MatchedSpan(s.span, s.facet, guess.category)
        if s.facet == "category" and s.value == top and s.span == guess.words
        else s
        for s in reading.parsed.matched_spans
    ]
    parsed = reading.parsed.model_copy(
        update={"categories": [guess.category], "matched_spans": spans}
    )
    note = f"{guess.words!r} narrowed from {top!r} to {guess.category!r} {_by(guess, model)}"
    return replace(reading, parsed=parsed, notes=[*reading.notes, note])


def _by(guess: Guess, model: str) -> str:
    """How a guess was made, for its note: the model and the labelled word behind it."""
    return (
        f"by {model} (nearest labelled word {guess.nearest!r}, similarity {guess.similarity:.2f})"
    )


def apply_reading(
    reading: Reading, filters: Filters, report: UnderstandingReport
) -> tuple[Filters, UnderstandingReport]:
    """Add the price filter (unless the request filters price itself) and report the reading.

    The price range is a hard filter in every mode but ``off`` (``read_query`` finds none then):
    a shopper who typed "under 40" asked for it. It is listed in ``filters_added`` so that
    relaxation may drop it, visibly, when it leaves too few hits.
    """
    update: dict[str, object] = {
        "corrected": dict(reading.corrected),
        "notes": list(reading.notes),
        "excluded": _excluded_by_field(reading),
        "unread": reading.unread if report.mode != "off" else [],
        "guessed": {
            s.span: s.value for s in reading.parsed.matched_spans if s.span in reading.guessed
        },
    }
    if reading.text != reading.original:
        update["text_sent"] = reading.text
    if reading.price is not None:
        update["price"] = _price_report(reading.price)
        if filters.price is None:
            filters = filters.model_copy(update={"price": reading.price.price})
            update["filters_added"] = {**report.filters_added, "price": [reading.price.span]}
        else:  # the shopper's explicit price filter wins over our reading of the text
            update["ignored"] = {**report.ignored, "price": [reading.price.span]}
    return filters, report.model_copy(update=update)


def _excluded_by_field(reading: Reading) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for span in reading.excluded:
        values = result.setdefault(FACET_FILTER_FIELD[span.facet], [])
        if span.value not in values:
            values.append(span.value)
    if reading.excluded_words:
        result["text"] = list(dict.fromkeys(reading.excluded_words))
    return result
