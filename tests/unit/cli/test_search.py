"""hybrid.cli.search: ``-f`` filter options."""

from __future__ import annotations

from hybrid.cli.search import parse_filter_options


def test_cli_filter_options_become_request_filters() -> None:
    parsed = parse_filter_options(
        ["colour=red", "category=Footwear", "price<=50", "price>=10", "in_stock=true", "size=42"]
    )
    assert parsed == {
        "colour_family": ["red"],
        "category": ["Footwear"],
        "price": {"lte": 50.0, "gte": 10.0},
        "in_stock": True,
        "attributes": {"size": ["42"]},
    }


def test_cli_results_show_whole_ids_at_80_columns() -> None:
    from rich.console import Console

    from hybrid.cli.search import print_results

    ids = [f"sku-{n:06d}" for n in range(1, 4)] + ["a-rather-long-product-id-42"]
    hits = [
        {
            "_id": product_id,
            "_score": 0.5,
            "_source": {
                "title": "Trail running sneakers with a very long descriptive title",
                "colour": "Maroon",
                "category": "Footwear > Sneakers",
                "price": 79.99,
            },
            "_explanation": {"legs": {"bm25": {"rank": 1}, "knn_image": {"rank": 2}}},
        }
        for product_id in ids
    ]
    response = {"hits": {"hits": hits, "total": {"value": 4}}, "took": 3}
    console = Console(width=80, record=True, color_system=None)
    print_results(response, console=console, as_json=False)
    text = console.export_text()
    print(text)
    for product_id in ids:
        assert product_id in text
