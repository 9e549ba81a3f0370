"""The stop words that keep "the" and "for" out of the unread words: a generated file."""

from __future__ import annotations

import runpy
from pathlib import Path

from hybrid.query.lexicon import stop_words

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "hybrid" / "data" / "stop_words.txt"
GENERATOR = ROOT / "scripts" / "gen_stop_words.py"


def test_the_file_is_what_the_generator_writes_from_scikit_learn() -> None:
    # No word was written by hand: scikit-learn's list (installed with sentence-transformers)
    # regenerates the shipped file byte for byte.
    assert runpy.run_path(str(GENERATOR))["render"]() == DATA.read_text("utf-8")


def test_the_list_holds_function_words_only_once() -> None:
    words = stop_words()
    assert {"the", "for", "with", "and", "not"} <= words
    assert len(words) == len(DATA.read_text("utf-8").splitlines()) - 1
    assert not {"sneakers", "boots", "red", "chucks"} & words
