"""Tests for the judged query set: its texts, and judgments that agree with the truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from hybrid.demo.catalog import JudgedQuery, ProductTruth, iter_truths, load_queries
from hybrid.demo.catalog.plan import QUERY_TYPES, plan_queries, queries_per_type
from hybrid.demo.catalog.queries import judge_queries, write_queries
from hybrid.errors import InvalidRequestError
from hybrid.vocab import MATERIALS, PATTERNS, category_of_word, colour_family_of_word

N = 600


@pytest.fixture(scope="module")
def truths() -> list[ProductTruth]:
    return list(iter_truths(N, 5))


@pytest.fixture(scope="module")
def queries(truths: list[ProductTruth]) -> list[JudgedQuery]:
    specs = plan_queries(truths, seed=5, per_type=queries_per_type(N))
    return judge_queries(specs, truths)


def _parse(text: str) -> dict[str, str | None]:
    """Read a text query back with the public vocabulary: colour, pattern, material, category."""
    words = text.split()
    found: dict[str, str | None] = {"family": None, "pattern": None, "material": None}
    for width in (2, 1):
        family = colour_family_of_word(" ".join(words[:width]))
        if len(words) > width and family is not None:
            found["family"], words = family, words[width:]
            break
    if words[0] in PATTERNS:
        found["pattern"], words = words[0], words[1:]
    for material in sorted(MATERIALS, key=len, reverse=True):
        if " ".join(words).startswith(material + " "):
            found["material"], words = material, words[len(material.split()) :]
            break
    found["category"] = category_of_word(" ".join(words))
    return found


def _expected_text_grade(wanted: dict[str, str | None], truth: ProductTruth) -> int:
    if truth.category != wanted["category"]:
        return 0
    actual = {"family": truth.colour_family, "pattern": truth.pattern, "material": truth.material}
    asked = [key for key in actual if wanted[key] is not None]
    matched = sum(wanted[key] == actual[key] for key in asked)
    return 3 if matched == len(asked) else 2 if matched else 1


def _expected_image_grade(query: JudgedQuery, source: ProductTruth, truth: ProductTruth) -> int:
    if truth.id == source.id or truth.category != source.category:
        return 0
    if query.type == "image":
        same_family = truth.colour_family == source.colour_family
        if truth.group_id == source.group_id:
            return 3 if same_family else 2
        return 1 if same_family else 0
    assert query.text is not None
    target = colour_family_of_word(query.text.split()[-1])
    if truth.colour_family != target:
        return 0
    return 3 if truth.group_id == source.group_id else 2


def test_every_query_type_is_planned_with_unique_ids(queries: list[JudgedQuery]) -> None:
    counts = Counter(q.type for q in queries)
    per_type = queries_per_type(N)
    assert set(counts) == set(QUERY_TYPES)
    assert all(per_type // 2 <= count <= per_type for count in counts.values()), counts
    assert len({q.id for q in queries}) == len(queries)


def test_query_counts_scale_with_the_catalogue() -> None:
    assert queries_per_type(0) == 0
    assert queries_per_type(50) == 3
    assert 40 <= queries_per_type(2000) <= 80
    assert queries_per_type(1_000_000) <= 80


def test_text_judgments_match_the_truth_for_every_product(
    queries: list[JudgedQuery], truths: list[ProductTruth]
) -> None:
    for query in queries:
        if query.type not in ("text", "colour_synonym"):
            continue
        assert query.text is not None
        assert query.image is None
        wanted = _parse(query.text)
        assert wanted["category"] is not None, query.text
        expected = {t.id: _expected_text_grade(wanted, t) for t in truths}
        assert query.judgments == {pid: g for pid, g in expected.items() if g}, query.text
        assert 3 in query.judgments.values(), f"{query.text!r} has no perfect match"


def test_colour_synonym_queries_avoid_the_family_name(queries: list[JudgedQuery]) -> None:
    synonym_queries = [q for q in queries if q.type == "colour_synonym"]
    for query in synonym_queries:
        assert query.text is not None
        family = _parse(query.text)["family"]
        assert family is not None, query.text
        assert family not in query.text.replace("-", " ").split(), query.text


def test_image_judgments_match_the_truth_and_exclude_the_query_product(
    queries: list[JudgedQuery], truths: list[ProductTruth]
) -> None:
    by_id = {t.id: t for t in truths}
    for query in queries:
        if query.type not in ("image", "image_text"):
            continue
        assert query.source_id is not None
        assert query.image == f"images/{query.source_id}.png"
        assert query.source_id not in query.judgments
        source = by_id[query.source_id]
        expected = {t.id: _expected_image_grade(query, source, t) for t in truths}
        assert query.judgments == {pid: g for pid, g in expected.items() if g}


def test_image_text_queries_ask_for_another_colour_mostly_of_the_same_model(
    queries: list[JudgedQuery],
) -> None:
    image_text = [q for q in queries if q.type == "image_text"]
    assert all(q.text and "this" in q.text for q in image_text)
    with_perfect = [q for q in image_text if 3 in q.judgments.values()]
    assert len(with_perfect) > len(image_text) / 2


def test_judgments_are_capped_best_grades_first(truths: list[ProductTruth]) -> None:
    specs = plan_queries(truths, seed=5, per_type=5)
    capped = judge_queries(specs, truths, max_judgments=4)
    full = judge_queries(specs, truths)
    for small, big in zip(capped, full, strict=True):
        assert len(small.judgments) == min(4, len(big.judgments))
        grades = list(small.judgments.values())
        assert grades == sorted(grades, reverse=True)
        assert grades == sorted(big.judgments.values(), reverse=True)[: len(grades)]


def test_queries_round_trip_through_jsonl(queries: list[JudgedQuery], tmp_path: Path) -> None:
    path = tmp_path / "queries.jsonl"
    assert write_queries(path, queries) == len(queries)
    assert load_queries(path) == queries


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "is not JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"id": "q1", "type": "audio", "judgments": {}}', "'audio'"),
        ('{"id": "q1", "type": "text", "text": "x", "judgments": {"sku-1": 7}}', "1..3"),
    ],
)
def test_load_queries_rejects_malformed_lines(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "queries.jsonl"
    good = {"id": "q0", "type": "text", "text": "red mug", "judgments": {"sku-1": 3}}
    path.write_text(json.dumps(good) + "\n" + line + "\n", encoding="utf-8")
    with pytest.raises(InvalidRequestError, match=message):
        load_queries(path)
