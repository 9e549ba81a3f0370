"""The process-wide guesser of unread words' categories (:mod:`hybrid.query.suggest`).

Embedding the labelled words (about 1,000: the shop's nouns, WordNet's, the synonyms file's)
takes a few seconds, so one :class:`~hybrid.query.suggest.CategorySuggester` is built per
process, model and synonyms, on first use, and shared by every search service and thread.
"""

from __future__ import annotations

import logging
import threading

from hybrid.embedding import get_word_embedder
from hybrid.errors import HybridSearchError
from hybrid.query.reading import Reading, with_guess
from hybrid.query.suggest import CategorySuggester, labelled_words
from hybrid.query.synonyms import ShopSynonyms
from hybrid.settings import Settings

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


def guess_category(
    reading: Reading,
    settings: Settings,
    synonyms: ShopSynonyms,
    *,
    known: frozenset[str] | None,
) -> Reading:
    """``reading`` with the category its unread words' nearest labelled word names, when the
    reading names none, that word is at least ``settings.word_guess_min_similarity`` near, and
    the index holds the category (``known``; None: any); else ``reading`` unchanged.

    A model that cannot be loaded costs the guesses, said once in the log, never the search.
    """
    if reading.parsed.categories or not reading.unread or settings.guessing_model in _failed:
        return reading
    try:
        guesser = word_guesser(settings, synonyms)
    except HybridSearchError as exc:
        logger.warning("unread words are not guessed: %s", exc)
        _failed.add(settings.guessing_model)
        return reading
    if guesser is None or settings.guessing_model is None:
        return reading
    guess = guesser.guess(reading.unread, min_similarity=settings.word_guess_min_similarity)
    if guess is None or (known is not None and guess.category not in known):
        return reading
    return with_guess(reading, guess, model=settings.guessing_model)
