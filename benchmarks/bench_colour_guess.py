"""Could a real text model name the colour family of a word no colour list holds? Measured.

The category guess (``HYBRID_WORD_GUESS_MIN_SIMILARITY``) reads an unread word as the category
of its nearest labelled word under all-MiniLM-L6-v2. This script measures the same rule for
colours, over every single-word colour name the project has: the XKCD/CSS4 lexicon and the
color-name-list extras ("walnut", "biscuit", "candyfloss"), each with the family the project's
CIELAB code gives its RGB value.

* Leave-one-out: each name (and its singular or plural twin) is held out, and the family of its
  nearest other name is compared with its own; "read" is the share of names whose nearest name
  is at least the threshold near, "precision" the share of those with the right family.
* Unrelated words: seeded WordNet nouns and adjectives outside every table, for how often a
  shopper's word that names no colour would be read as one.
* Chance: the precision of a guess drawn from the families' own shares.

No dev set is read. Run (needs Debian's wordnet-base, which ``make setup`` installs)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_colour_guess.py

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

import numpy as np
from bench_word_guess import inflections
from wordnet_sample import WORDNET, unrelated_words

from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.query.lexicon import colour_lexicon, extra_colour_names
from hybrid.query.suggest import labelled_words
from hybrid.settings import MINILM_MODEL

THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85)


def nearest_families(names: list[str], families: list[str], vectors: np.ndarray) -> list[tuple]:
    """(similarity, right) of each name's nearest other name, its twins left out."""
    similarity = vectors @ vectors.T
    where = {name: i for i, name in enumerate(names)}
    found = []
    for j, name in enumerate(names):
        row = similarity[j].copy()
        row[[where[w] for w in inflections(name) if w in where]] = -np.inf
        k = int(np.argmax(row))
        found.append((float(row[k]), families[k] == families[j]))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--negatives", type=int, default=2000, help="WordNet words sampled")
    args = parser.parse_args()
    if not (WORDNET / "index.noun").is_file():
        sys.exit("WordNet is missing: make setup installs Debian's wordnet-base")
    colours = {**extra_colour_names(), **colour_lexicon()}
    names = sorted(name for name in colours if name.isalpha())
    families = [colours[name] for name in names]
    known = set(colours) | set(labelled_words())
    unrelated = unrelated_words(known, args.negatives)
    model = SentenceTransformerEmbedder(MINILM_MODEL, device="cpu", threads=2)
    started = time.perf_counter()
    vectors = model.encode_texts(names)
    negatives = model.encode_texts(unrelated)
    print(
        f"{MINILM_MODEL}: {len(names)} single-word colour names, {len(unrelated)} unrelated "
        f"WordNet words embedded in {time.perf_counter() - started:.1f} s"
    )
    shares = np.array(list(Counter(families).values())) / len(families)
    print(
        f"families: {dict(Counter(families).most_common())}; a guess drawn from these shares "
        f"is right {float(shares @ shares):.2f} of the time\n"
    )
    found = nearest_families(names, families, vectors)
    fired = (negatives @ vectors.T).max(axis=1)
    print("| nearest name >= | names read | precision | unrelated words read |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        read = [right for similarity, right in found if similarity >= threshold]
        print(
            f"| {threshold} | {len(read) / len(found):.2f} | {np.mean(read or [0]):.2f} "
            f"| {np.mean(fired >= threshold):.3f} |"
        )


if __name__ == "__main__":
    main()
