"""The real server does what the product relies on: filtered kNN, BM25, keyword filters."""

from __future__ import annotations

from elasticsearch import Elasticsearch

DOCS = [
    ("p1", "Red running shoes", "red", [1.0, 0.0, 0.0, 0.0]),
    ("p2", "Blue running shoes", "blue", [0.9, 0.1, 0.0, 0.0]),
    ("p3", "Red leather handbag", "red", [0.0, 1.0, 0.0, 0.0]),
    ("p4", "Green coffee mug", "green", [0.0, 0.0, 1.0, 0.0]),
]


def _index_docs(es: Elasticsearch, index: str) -> None:
    es.indices.create(
        index=index,
        mappings={
            "dynamic": "strict",
            "properties": {
                "title": {"type": "text"},
                "colour_family": {"type": "keyword"},
                "v": {
                    "type": "dense_vector",
                    "dims": 4,
                    "index": True,
                    "similarity": "cosine",
                    "index_options": {"type": "int8_hnsw"},
                },
            },
        },
    )
    ops: list[dict[str, object]] = []
    for doc_id, title, colour, vector in DOCS:
        ops += [
            {"index": {"_index": index, "_id": doc_id}},
            {"title": title, "colour_family": colour, "v": vector},
        ]
    result = es.bulk(operations=ops, refresh=True)
    assert not result["errors"], result


def test_filtered_knn_honours_the_filter(es: Elasticsearch, index_name: str) -> None:
    _index_docs(es, index_name)
    response = es.search(
        index=index_name,
        knn={
            "field": "v",
            "query_vector": [1.0, 0.05, 0.0, 0.0],
            "k": 3,
            "num_candidates": 10,
            "filter": [{"term": {"colour_family": "red"}}],
        },
    )
    ids = [hit["_id"] for hit in response["hits"]["hits"]]
    # p2 is the second-nearest vector but blue: the filter must remove it, not post-filter it away.
    assert ids == ["p1", "p3"]


def test_bm25_match_ranks_by_terms(es: Elasticsearch, index_name: str) -> None:
    _index_docs(es, index_name)
    response = es.search(index=index_name, query={"match": {"title": "red shoes"}})
    ids = [hit["_id"] for hit in response["hits"]["hits"]]
    assert ids[0] == "p1"
    assert set(ids) == {"p1", "p2", "p3"}
    assert "p4" not in ids
