"""hybrid.search.anchor: image + text keeps the photographed product's category."""

from __future__ import annotations

from typing import Any

import numpy as np
from support.fakes import HashEmbedder, RecordingGateway, hits

from hybrid.query.fusion import LegHit
from hybrid.query.request import SearchRequest
from hybrid.search.anchor import MIN_SHARE, find_anchor, leaf, majority
from hybrid.search.service import SearchService
from hybrid.settings import Settings

BOOTS = ["Footwear", "Footwear > Boots"]
MUGS = ["Home", "Home > Mugs"]


def _hit(doc_id: str, path: list[str]) -> LegHit:
    return LegHit(doc_id, 1.0, 1, {"category_path": path})


def test_the_leaf_is_the_longest_path_and_the_majority_has_its_share() -> None:
    assert leaf({"category_path": BOOTS}) == "Footwear > Boots"
    assert leaf({}) is None
    voted = majority([_hit("a", BOOTS), _hit("b", BOOTS), _hit("c", MUGS), _hit("d", BOOTS)])
    assert voted == ("Footwear > Boots", 0.75)


def test_a_product_id_keeps_its_own_category_without_a_search() -> None:
    gateway = RecordingGateway(respond=lambda body: hits(("sku-1", 1.0), category="Bags > Totes"))
    gateway.msearch([{}], timeout=1)  # the product is "stored" by the fake
    found = find_anchor(gateway, product_id="sku-1", image_vector=np.ones(4), timeout=1)
    assert found is not None and found.category == "Bags > Totes"
    assert len(gateway.rounds) == 1  # no neighbour search


def _split(*counts: tuple[list[str], int]) -> RecordingGateway:
    """A gateway whose nearest images fall in these categories, this many each."""

    def respond(body: dict[str, Any]) -> dict[str, Any]:
        found = []
        for n, (path, count) in enumerate(counts):
            ranked = [(f"p{n}-{i}", 1.0) for i in range(count)]
            found += hits(*ranked, category_path=path)["hits"]["hits"]
        return {"hits": {"hits": found}}

    return RecordingGateway(respond=respond)


def test_a_photo_keeps_the_majority_category_of_its_neighbours_only_when_clear() -> None:
    vector = np.ones(4)
    clear = find_anchor(
        _split((BOOTS, 7), (MUGS, 3)), product_id=None, image_vector=vector, timeout=1
    )
    assert clear is not None and clear.category == "Footwear > Boots" and "70%" in clear.note
    three = _split((BOOTS, 4), (MUGS, 3), (["Bags", "Bags > Totes"], 3))  # 40% < MIN_SHARE
    assert MIN_SHARE > 0.4
    assert find_anchor(three, product_id=None, image_vector=vector, timeout=1) is None


def test_like_this_but_in_a_colour_filters_every_leg_on_the_products_category() -> None:
    ranked = [(f"sku-{i}", 1.0 - i / 100) for i in range(1, 30)]
    gateway = RecordingGateway(
        respond=lambda body: hits(*ranked, category="Footwear > Boots"),
        vectors={"sku-1": {"image_vector": [1.0] * 8, "text_vector": [1.0] * 8}},
    )
    gateway.stored["sku-1"] = {"category": "Footwear > Boots"}
    service = SearchService(
        Settings(index_alias="products", vector_index_type="hnsw"),
        gateway=gateway,
        embedder=HashEmbedder(),
    )
    response = service.search(
        SearchRequest(product_id="sku-1", text="make it green", facets=False, explain=True)
    )
    legs = gateway.rounds[0]
    for body in legs:
        searched = str({key: value for key, value in body.items() if key != "_source"})
        assert "Footwear > Boots" in searched
    understanding = response["understanding"]
    assert understanding["filters_added"]["category"] == ["Footwear > Boots"]
    assert any("sku-1" in note for note in understanding["notes"])
