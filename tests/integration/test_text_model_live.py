"""The text model leg on a real index: MiniLM finds what the demo CLIP's tokenizer cannot read.

"cuppa" is in none of the project's tables and no dev set; the demo CLIP, whose tokenizer was
trained on the generator's captions, breaks it into fragments and lands elsewhere. ("teacup" was
the word until the demo CLIP retrained with shopper views read its fragments "tea" and "cup" as
a mug: which unread words a small model gets right by chance changes with its weights.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import index_demo_products

from hybrid import es as es_ops
from hybrid.query.request import SearchRequest
from hybrid.search import SearchService
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.settings import MINILM_MODEL, Settings

MUGS = "Home > Mugs"
WORD = "cuppa"  # a mug of tea to a British shopper; no table of the project has it


@pytest.fixture
def indexed(settings: Settings, es: Elasticsearch, test_images: Path) -> Settings:
    """60 demo products written inline with the CLIP and the packaged MiniLM."""
    configured = settings.model_copy(update={"text_model": MINILM_MODEL})
    index_demo_products(configured, es, test_images, 60, seed=5)
    return configured


def _service(settings: Settings, es: Elasticsearch) -> SearchService:
    return SearchService(settings, gateway=ElasticsearchGateway(es, settings.index_alias))


def _categories(service: SearchService, **request: object) -> list[str]:
    data = {"text": WORD, "size": 5, "understanding": "off", "facets": False, **request}
    hits = service.search(SearchRequest.model_validate(data))["hits"]["hits"]
    return [hit["_source"]["category"] for hit in hits]


def test_the_text_model_leg_finds_a_word_the_clip_misses(
    indexed: Settings, es: Elasticsearch
) -> None:
    service = _service(indexed, es)
    meta = es_ops.index_meta(es, es_ops.alias_target(es, indexed.index_alias) or "")
    assert meta["text_model_id"].startswith(f"{MINILM_MODEL}@") and meta["text_dims"] == 384
    assert _categories(service, legs=["text_model_knn"]) == [MUGS] * 5
    assert _categories(service, legs=["text_knn"])[0] != MUGS
    assert _categories(service, legs=["image_knn"])[0] != MUGS


def test_every_hit_explains_the_text_model_leg_and_filters_reach_it(
    indexed: Settings, es: Elasticsearch
) -> None:
    service = _service(indexed, es)
    request = SearchRequest.model_validate(
        {"text": WORD, "size": 10, "explain": True, "fusion": {"weights": {"text_model_knn": 3}}}
    )
    response = service.search(request)
    hits = response["hits"]["hits"]
    assert hits[0]["_source"]["category"] == MUGS
    legs = hits[0]["_explanation"]["legs"]
    assert legs["text_model_knn"]["weighted"] > 0
    assert set(legs) <= {"bm25", "image_knn", "text_knn", "text_model_knn"}
    family = hits[0]["_source"]["colour_family"]
    kept = service.search(
        request.model_copy(update={"text": f"{WORD} not {family}", "understanding": "boost"})
    )["hits"]["hits"]
    assert kept and all(hit["_source"].get("colour_family") != family for hit in kept)
