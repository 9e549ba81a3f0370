"""hybrid.validation: readable problems, and the bounds that keep a value safe to queue."""

from __future__ import annotations

from typing import Any

import pytest

from hybrid.validation import MAX_JSON_DEPTH, describe, json_problem


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": "x"}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def test_describe_names_each_field_and_what_was_wrong() -> None:
    errors = [
        {"loc": ("price",), "type": "finite_number", "msg": "Input should be a finite number"},
        {"loc": ("colourway",), "type": "extra_forbidden", "msg": "ignored"},
    ]
    assert describe(errors, prefix="bad: ") == (
        "bad: price: Input should be a finite number; colourway: unknown field"
    )


def test_nesting_is_bounded_without_recursion() -> None:
    assert json_problem(_nested(MAX_JSON_DEPTH)) is None
    assert json_problem(_nested(MAX_JSON_DEPTH + 1)) == (
        "a.a.a.a.a.a...: nested more than 8 levels deep; that is the limit"
    )
    # Far deeper than Python's recursion limit: still a plain answer, no RecursionError.
    assert "nested more than 8 levels" in str(json_problem(_nested(100_000)))


def test_text_and_value_counts_are_bounded() -> None:
    assert json_problem({"d": "x" * 100}, max_text=101) is None
    assert json_problem({"d": "x" * 100}, max_text=100) == (
        "more than 100 characters of text; that is the limit"
    )
    assert json_problem({"images": [{"data": "A" * 1000}]}, max_text=100) is None  # bytes aside
    assert json_problem({"l": list(range(10))}, max_nodes=10) == (
        "more than 10 values; that is the limit"
    )


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_are_named_unless_left_to_the_fields(number: float) -> None:
    assert json_problem({"price": number}) == (
        f"price: {number} is not a finite number (JSON has no NaN or Infinity)"
    )
    assert json_problem({"price": number}, finite=False) is None


def test_a_lone_surrogate_in_a_value_or_a_key_is_not_unicode_text() -> None:
    # json.loads('"caf\\ud800"') gives such a string; no UTF-8 holds it, so Elasticsearch refuses.
    assert json_problem({"title": "caf\ud800"}) == (
        "title: a lone surrogate is not Unicode text (invalid UTF-8)"
    )
    assert json_problem({"attributes": {"k\udfff": "v"}}) == (
        "attributes: a key with a lone surrogate is not Unicode text"
    )
    assert json_problem({"title": "café 🥾"}) is None  # a real astral character is fine
