"""Unrelated words for the calibrations of the word benchmarks: seeded WordNet lemmas.

Debian's wordnet-base (installed by ``make setup``) holds the index files read here.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import numpy as np

WORDNET = Path("/usr/share/wordnet")


def unrelated_words(known: Collection[str], size: int) -> list[str]:
    """``size`` seeded single alphabetic lemmas of WordNet's noun and adjective indexes, less
    the ``known`` words: words that name no product, the negatives of a calibration."""
    lines = [
        line
        for part in ("noun", "adj")
        for line in (WORDNET / f"index.{part}").read_text("utf-8").splitlines()
        if not line.startswith("  ")
    ]
    pool = [word for word in (line.split()[0] for line in lines) if word.isalpha()]
    picked = np.random.default_rng(7).choice(len(pool), size=size, replace=False)
    return [pool[int(i)] for i in picked if pool[int(i)] not in known]
