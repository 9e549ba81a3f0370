"""Could a real text model anchor a word's category the way a photo anchors it? Measured: no.

Image + text search keeps the category of a photo's nearest indexed images when at least half of
the 20 agree (:mod:`hybrid.search.anchor`; 93.7% precision on shopper photos). The text analogue
for a word no table reads: embed it with all-MiniLM-L6-v2, take the 20 products whose
``text_model_vector`` (the same model over the product text) is nearest, and keep their majority
category. This script measures that rule without any dev set:

* positives: the WordNet category words that are not the shop's own nouns
  (``hybrid/data/category_words.tsv``, each with its category), as one-word queries;
* negatives: seeded WordNet nouns and adjectives outside every table: how often an unrelated
  word would be anchored, i.e. would filter a shopper's query to one category.

It needs an index built with the text model on, e.g. the one ``hybrid eval`` builds::

    export HYBRID_HOME=/tmp/ev/home HYBRID_ES_PORT=19287 HYBRID_MODEL=demo HF_HUB_OFFLINE=1
    export HYBRID_TEXT_MODEL=all-MiniLM-L6-v2
    .venv/bin/hybrid eval --catalog /tmp/ev/cat4242 --alias ev-tm --devset open_vocab \\
        --no-ann --modes knn_text_model
    .venv/bin/python benchmarks/bench_text_anchor.py --es-url http://127.0.0.1:19287 \\
        --index ev-tm

A script that prints figures, not a test.
"""

from __future__ import annotations

import argparse

import numpy as np
from common import project_client
from elasticsearch import Elasticsearch
from wordnet_sample import unrelated_words

from hybrid.embedding import SentenceTransformerEmbedder
from hybrid.query.suggest import labelled_words
from hybrid.schema import CATEGORY_PATH, TEXT_MODEL_VECTOR
from hybrid.search.anchor import MIN_SHARE, NEIGHBOURS, leaf, vote
from hybrid.settings import MINILM_MODEL
from hybrid.vocab import CATEGORIES

SHARES = (MIN_SHARE, 0.6, 0.7, 0.8, 0.9, 1.0)


def anchors(client: Elasticsearch, index: str, vectors: np.ndarray) -> list[tuple[str, float]]:
    """(majority leaf category, its share) of each vector's nearest products."""
    out = []
    for vector in vectors:
        found = client.search(
            index=index,
            knn={
                "field": TEXT_MODEL_VECTOR,
                "query_vector": vector.tolist(),
                "k": NEIGHBOURS,
                "num_candidates": 100,
            },
            size=NEIGHBOURS,
            source=[CATEGORY_PATH],
        )
        leaves = [leaf(hit["_source"]) or "" for hit in found["hits"]["hits"]]
        voted = vote(leaves, out_of=NEIGHBOURS)
        out.append(voted if voted else ("", 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--es-url", required=True)
    parser.add_argument("--index", required=True, help="an index built with the text model on")
    parser.add_argument("--negatives", type=int, default=1000, help="WordNet words sampled")
    args = parser.parse_args()
    shop = {noun.lower() for category in CATEGORIES for noun in (category.leaf, *category.nouns)}
    known = labelled_words()
    positives = [(word, path) for word, path in known.items() if word not in shop]
    negatives = unrelated_words(known, args.negatives)
    model = SentenceTransformerEmbedder(MINILM_MODEL, device="cpu", threads=1)
    client = project_client(args.es_url)
    anchored = anchors(client, args.index, model.encode_texts([w for w, _ in positives]))
    unrelated = anchors(client, args.index, model.encode_texts(negatives))
    print(f"{len(positives)} WordNet category words, {len(negatives)} unrelated WordNet words")
    print(f"{NEIGHBOURS} nearest products by {TEXT_MODEL_VECTOR} vote\n")
    print("| share >= | recall | precision | unrelated words anchored |")
    print("|---|---|---|---|")
    for share in SHARES:
        read = [
            (a, path) for a, (_, path) in zip(anchored, positives, strict=True) if a[1] >= share
        ]
        right = sum(path.startswith(a[0]) or a[0].startswith(path) for a, path in read)
        fired = sum(a[1] >= share for a in unrelated)
        print(
            f"| {share} | {right / len(positives):.2f} | {right / max(1, len(read)):.2f} "
            f"| {fired / len(negatives):.3f} |"
        )


if __name__ == "__main__":
    main()
