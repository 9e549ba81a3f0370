"""The process-wide guesser of unread words' categories (:mod:`hybrid.query.suggest`).

Embedding the labelled words (about 1,000: the shop's nouns, WordNet's, the synonyms file's)
takes a few seconds, so one :class:`~hybrid.query.suggest.CategorySuggester` is built per
process, model and synonyms, on first use, and shared by every search service and thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

from hybrid.embedding import get_word_embedder
from hybrid.errors import HybridSearchError
from hybrid.query.reading import Reading, with_guess, with_leaf
from hybrid.query.request import UnderstandingMode
from hybrid.query.suggest import CategorySuggester, Guess, labelled_words
from hybrid.query.synonyms import ShopSynonyms
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.settings import Settings
from hybrid.vocab import CATEGORIES

logger = logging.getLogger(__name__)
_lock = threading.Lock()
#: Models that could not be loaded: not tried again in this process.
_failed: set[str | None] = set()
_cache: dict[tuple[str, ShopSynonyms], CategorySuggester] = {}


def word_guesser(settings: Settings, synonyms: ShopSynonyms) -> CategorySuggester | None:
    """The shared guesser of ``settings.guessing_model`` over ``synonyms`` (None when off).

    Raises:
        EmbeddingError: the model cannot be loaded.
    """
    embedder = get_word_embedder(settings)
    if embedder is None or settings.guessing_model is None:
        return None
    key = (settings.guessing_model, synonyms)
    with _lock:
        guesser = _cache.get(key)
        if guesser is None:
            guesser = CategorySuggester(embedder.encode_texts, labelled_words(synonyms))
            _cache[key] = guesser
    return guesser


def warm(settings: Settings, synonyms: ShopSynonyms) -> None:
    """Build the shared guesser now (the API's warm-up); a model that cannot load is logged
    and leaves searches without guesses, it does not stop the start."""
    _guesser_or_none(settings, synonyms)


def _guesser_or_none(settings: Settings, synonyms: ShopSynonyms) -> CategorySuggester | None:
    model = settings.guessing_model
    if model is None or model in _failed:
        return None
    try:
        return word_guesser(settings, synonyms)
    except HybridSearchError as exc:
        logger.warning("unread words are not guessed: %s", exc)
        _failed.add(model)
        return None


def _overlaps(category: str, excluded: Iterable[str]) -> bool:
    """Whether ``category`` is, lies under or holds one of the ``excluded`` categories."""
    return any(
        category == other
        or category.startswith(f"{other}{CATEGORY_SEPARATOR}")
        or other.startswith(f"{category}{CATEGORY_SEPARATOR}")
        for other in excluded
    )


def guess_category(
    reading: Reading,
    settings: Settings,
    synonyms: ShopSynonyms,
    *,
    known: frozenset[str] | None,
    mode: UnderstandingMode,
    alone: bool,
) -> Reading:
    """``reading`` with the category its unread words' nearest labelled word names, narrowed to
    a leaf when it is a top level (:func:`_narrowed`); else ``reading`` unchanged.

    Only for a text query alone (``alone``: no photo, no product id, no category filter in the
    request) in ``filter`` mode. A category is guessed only when the words name none, never from
    a negated word, never a category the shopper excluded, only one the index holds (``known``;
    None: any), and only when the nearest labelled word is at least
    ``settings.word_guess_min_similarity`` near; a guessed top level is narrowed to a leaf by
    :func:`_leaf`. A model that cannot be loaded or run costs the guesses (those of the whole
    process, since it is taken for broken), said once in the log, never the search.
    """
    if mode != "filter" or not alone:
        return reading
    model = settings.guessing_model
    negated = {word.casefold() for word in reading.excluded_words}
    words = [word for word in reading.unread if word not in negated]
    if reading.parsed.categories or not words:
        return reading
    guesser = _guesser_or_none(settings, synonyms)
    if guesser is None or model is None:
        return reading
    try:
        guess = _guess(reading, guesser, words, settings, known=known)
        if guess is None:
            return reading
        guessed = with_guess(reading, guess, model=model)
        leaf = _leaf(guess, guesser, settings, known=known)
        return guessed if leaf is None else with_leaf(guessed, guess.category, leaf, model=model)
    except HybridSearchError as exc:
        logger.warning("unread words are not guessed: %s", exc)
        _failed.add(model)
        return reading


def _guess(
    reading: Reading,
    guesser: CategorySuggester,
    words: list[str],
    settings: Settings,
    *,
    known: frozenset[str] | None,
) -> Guess | None:
    guess = guesser.guess(words, min_similarity=settings.word_guess_min_similarity)
    excluded = [span.value for span in reading.excluded if span.facet == "category"]
    if guess is None or _overlaps(guess.category, excluded):
        return None
    if known is not None and guess.category not in known:
        return None
    return guess


def _leaf(
    guess: Guess,
    guesser: CategorySuggester,
    settings: Settings,
    *,
    known: frozenset[str] | None,
) -> Guess | None:
    """The leaf a guessed top level ("minidress": Clothing) narrows to: the one under it, held
    by the index, whose labelled word is nearest to the guessed words, by a clear margin over
    the next leaf (``settings.word_leaf_min_margin``); None for a guessed leaf. Only a guess is
    narrowed: the shop's "bag" means every bag, and WordNet places "sandal" in Footwear because
    it is in none of the shop's footwear leaves. The leaf lies under the guessed top level,
    which overlaps no excluded category, so it overlaps none either."""
    if CATEGORY_SEPARATOR in guess.category:
        return None
    prefix = f"{guess.category}{CATEGORY_SEPARATOR}"
    leaves = {path for path in (known or _all_paths()) if path.startswith(prefix)}
    return guesser.refine(guess.words, leaves, min_margin=settings.word_leaf_min_margin)


def _all_paths() -> frozenset[str]:
    return frozenset(category.path for category in CATEGORIES)
