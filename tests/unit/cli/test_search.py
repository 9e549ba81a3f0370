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
