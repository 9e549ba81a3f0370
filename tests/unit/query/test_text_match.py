"""The BM25 leg's text clauses: scored and counted."""

from __future__ import annotations

from hybrid.query.text_match import (
    FALLBACK_MINIMUM_SHOULD_MATCH,
    FUZZINESS,
    text_clause,
    text_match_clause,
)


def test_text_clause_without_fuzzy_keeps_the_exact_and_fallback_clauses() -> None:
    queries = text_clause("red sneakers", minimum_should_match="2<-34%", fuzzy=False)["dis_max"]
    assert [q["multi_match"].get("fuzziness") for q in queries["queries"]] == [None, None]
    assert [q["multi_match"].get("boost") for q in queries["queries"]] == [None, 0.2]


def test_text_match_clause_is_the_fallback_and_the_typo_clause_only_when_fuzzy() -> None:
    plain = text_match_clause("red sneakers", fuzzy=False)
    assert plain["multi_match"]["minimum_should_match"] == FALLBACK_MINIMUM_SHOULD_MATCH
    assert "fuzziness" not in plain["multi_match"]
    either = text_match_clause("red sneakers")["bool"]
    assert either["should"][0] == plain
    assert either["should"][1]["multi_match"]["fuzziness"] == FUZZINESS
    assert either["minimum_should_match"] == 1
