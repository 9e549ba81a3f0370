"""Typos, price phrases and negations against the real Elasticsearch, through every leg."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import index_demo_products

from hybrid.errors import ConfigurationError
from hybrid.query.request import SearchRequest
from hybrid.search import SearchService
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.settings import Settings

SNEAKERS = "Footwear > Sneakers"


@pytest.fixture
def service(settings: Settings, es: Elasticsearch, test_images: Path) -> SearchService:
    """60 demo products in this test's index, and a service on them."""
    index_demo_products(settings, es, test_images, 60, seed=5)
    return SearchService(settings, gateway=ElasticsearchGateway(es, settings.index_alias))


def _sources(response: dict[str, Any]) -> list[dict[str, Any]]:
    return [hit["_source"] for hit in response["hits"]["hits"]]


def test_typos_find_the_intended_products_in_bm25_and_hybrid(service: SearchService) -> None:
    # BM25 alone, nothing corrected by understanding: the fuzzy clause still finds sneakers.
    raw = service.search(
        SearchRequest(text="sneakres", legs=frozenset({"bm25"}), understanding="off")
    )
    assert _sources(raw) and all(s["category"] == SNEAKERS for s in _sources(raw))
    typed = service.search(SearchRequest(text="blakc sneakres", explain=True))
    assert typed["understanding"]["corrected"] == {"blakc": "black", "sneakres": "sneakers"}
    # 60 products hold too few black sneakers for a page, so colour and category are relaxed
    # and the rest of the page is ranked by the legs: the demo CLIP trained on shopper views
    # puts a black boot third, the weights before it put three sneakers first.
    first = _sources(typed)[0]
    assert (first["category"], first["colour_family"]) == (SNEAKERS, "black")
    assert typed["understanding"]["relaxed"] == ["colour_family", "category"]
    clean = service.search(SearchRequest(text="black sneakers"))
    assert [h["_id"] for h in typed["hits"]["hits"]] == [h["_id"] for h in clean["hits"]["hits"]]


def test_price_phrase_bounds_every_hit_or_says_it_relaxed(service: SearchService) -> None:
    response = service.search(SearchRequest(text="sneakers under 60", size=20, explain=True))
    report = response["understanding"]
    assert report["price"] == {"span": "under 60", "gte": None, "lte": 59.99}
    assert report["text_sent"] == "sneakers"
    hits = _sources(response)
    assert hits
    if "price" not in report["relaxed"]:
        assert all(s["price"] < 60 for s in hits)


def test_negated_colour_is_excluded_from_every_leg(service: SearchService) -> None:
    request = SearchRequest(text="sneakers but not black", size=30, explain=True)
    response = service.search(request)
    assert response["understanding"]["excluded"] == {"colour_family": ["black"]}
    assert response["understanding"]["boosted"].get("colour_family") is None
    hits = _sources(response)
    assert hits
    assert all(s.get("colour_family") != "black" for s in hits)
    for hit in response["hits"]["hits"]:
        assert set(hit["_explanation"]["legs"]) <= {"bm25", "image_knn", "text_knn"}


def test_with_a_photo_a_wordnet_category_gives_way_and_a_colour_name_is_required(
    service: SearchService, settings: Settings, es: Elasticsearch
) -> None:
    # A product that is no footwear, asked for in "ballet-slipper ketchup": "slipper" is a
    # WordNet reading (Footwear), weaker than the product's own category; "ketchup" is a colour
    # name, only favoured without a photo.
    no_footwear = {"bool": {"must_not": {"term": {"category_path": "Footwear"}}}}
    found = es.search(index=settings.index_alias, query=no_footwear, size=1)["hits"]["hits"]
    product, pid = found[0]["_source"], found[0]["_id"]
    response = service.search(SearchRequest(text="ballet-slipper ketchup version", product_id=pid))
    report = response["understanding"]
    assert report["filters_added"]["category"] == [product["category"]]
    assert report["filters_added"]["colour_family"] == ["red"]
    assert any("gave way to the photo" in note for note in report["notes"])
    hits = _sources(response)
    assert hits
    assert all(s["category"] == product["category"] for s in hits)


def test_the_shops_synonyms_file_makes_its_slang_a_category_filter(
    settings: Settings, es: Elasticsearch, test_images: Path, tmp_path: Path
) -> None:
    index_demo_products(settings, es, test_images, 60, seed=5)
    rules = tmp_path / "synonyms.txt"
    rules.write_text("# this shop's words\nkickers, runarounds => category: Footwear > Sneakers\n")
    gateway = ElasticsearchGateway(es, settings.index_alias)
    request = SearchRequest(text="runarounds", size=3, explain=True)
    settings = settings.model_copy(update={"word_model": "off"})  # the file alone, no guess
    plain = SearchService(settings, gateway=gateway).search(request)
    assert not plain["understanding"]["filters_added"].get("category")  # unknown without it
    shop = SearchService(settings.model_copy(update={"synonyms_file": rules}), gateway=gateway)
    response = shop.search(request)
    report = response["understanding"]
    print("filters added:", report["filters_added"], "relaxed:", report["relaxed"])
    assert report["filters_added"]["category"] == [SNEAKERS]
    assert report["relaxed"] == []
    hits = _sources(response)
    assert len(hits) == 3 and all(s["category"] == SNEAKERS for s in hits)
    rules.write_text("runarounds => colour: tealish\n")
    with pytest.raises(ConfigurationError, match="line 1: 'tealish' is not a colour family"):
        SearchService(settings.model_copy(update={"synonyms_file": rules}), gateway=gateway)


def test_a_real_text_model_places_a_word_no_table_knows(service: SearchService) -> None:
    # "bumbag" is in no table, WordNet or dev set; all-MiniLM-L6-v2 puts it nearest "gamebag".
    response = service.search(SearchRequest(text="bumbag", size=5))
    report = response["understanding"]
    print("notes:", report["notes"], "relaxed:", report["relaxed"])
    assert report["filters_added"]["category"] == ["Bags"]
    assert any(
        note.startswith("'bumbag' read as 'Bags' by all-MiniLM-L6-v2") for note in report["notes"]
    )
    assert report["unread"] == ["bumbag"]  # still the synonyms file's worklist
    assert report["guessed"] == {"bumbag": "Bags"}
    hits = _sources(response)
    assert hits and all("Bags" in s["category_path"] for s in hits)
    off = service.search(SearchRequest(text="bumbag", size=5, understanding="off"))
    assert not off["understanding"]["filters_added"]  # nothing is read with understanding off
    named = service.search(SearchRequest(text="bumbag boots", size=5))
    assert named["understanding"]["filters_added"]["category"] == ["Footwear > Boots"]


def test_a_guessed_top_level_is_narrowed_to_a_leaf_the_index_holds(service: SearchService) -> None:
    # "maxidress" is in no table, WordNet or dev set: all-MiniLM-L6-v2 places it in Clothing
    # (a top-level labelled word), then nearest a dress word by a clear margin.
    response = service.search(SearchRequest(text="maxidress", size=5))
    report = response["understanding"]
    print("notes:", report["notes"], "relaxed:", report["relaxed"])
    assert report["filters_added"]["category"] == ["Clothing > Dresses"]
    assert report["guessed"] == {"maxidress": "Clothing > Dresses"}
    assert any(
        note.startswith("'maxidress' narrowed from 'Clothing' to 'Clothing > Dresses'")
        for note in report["notes"]
    )
    # 60 products hold fewer dresses than a page: the leaf is widened, visibly, to the guessed
    # top level, so the rest of the page is other clothing, not anything at all.
    sources = _sources(response)
    hits = [s["category"] == "Clothing > Dresses" for s in sources]
    print("categories:", [s["category"] for s in sources])
    assert hits[0] and not all(hits), "the fixture holds fewer dresses than a page"
    assert hits == sorted(hits, reverse=True)
    assert all(s["category"].startswith("Clothing > ") for s in sources)
    assert report["relaxed"] == ["category"]
    assert "category 'Clothing > Dresses' widened to 'Clothing': too few hits" in report["notes"]
    assert report["widened"] == {"Clothing > Dresses": "Clothing"}
