"""The search log's writes: its index template, bulk appends to daily indices, pruning old days.

The documents are built by :mod:`hybrid.search.searchlog`, which calls these from its background
thread; nothing here runs on a search's request path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from elasticsearch import Elasticsearch

from hybrid.errors import IndexingError
from hybrid.es.errors import translated
from hybrid.mapping import searchlog_day, searchlog_pattern, searchlog_template


def ensure_searchlog_template(client: Elasticsearch, alias: str) -> None:
    """Put the template of ``<alias>-searchlog-*``, so each day's index is created as mapped,
    and give the days already created the fields a newer mapping brings (the mapping is
    strict: today's index would refuse every document carrying a field it lacks). Only missing
    fields are added, so a field whose type changed never blocks the log."""
    template = searchlog_template(alias)
    wanted = template["template"]["mappings"]["properties"]
    with translated(f"preparing the search log of {alias!r}"):
        client.indices.put_index_template(name=f"{alias}-searchlog", **template)
        found = client.options(ignore_status=404).indices.get_mapping(
            index=searchlog_pattern(alias), allow_no_indices=True
        )
        for index, body in (found.body or {}).items():
            have = body.get("mappings", {}).get("properties", {})
            missing = {name: spec for name, spec in wanted.items() if name not in have}
            if missing:
                client.indices.put_mapping(index=index, properties=missing)


def append_searchlog(client: Elasticsearch, entries: Sequence[tuple[str, dict[str, Any]]]) -> int:
    """Append ``(index, document)`` pairs in one ``_bulk`` (no refresh); return how many.

    Raises:
        SearchUnavailableError: the cluster could not be reached or answered 429/5xx.
        IndexingError: some documents were refused (the first reasons attached).
    """
    if not entries:
        return 0
    operations: list[dict[str, Any]] = []
    for index, document in entries:
        operations += [{"create": {"_index": index}}, document]
    with translated(f"appending {len(entries)} search log entries"):
        response = client.bulk(operations=operations)
    if response["errors"]:
        failed = [i["create"] for i in response["items"] if "error" in i["create"]]
        raise IndexingError(f"{len(failed)} search log entries were refused", failed[:5])
    return len(entries)


def searchlog_indices(client: Elasticsearch, alias: str) -> dict[str, date]:
    """Every daily search log index of ``alias``, with its day."""
    with translated(f"listing the search log indices of {alias!r}"):
        found = client.options(ignore_status=404).indices.get(
            index=searchlog_pattern(alias), allow_no_indices=True, expand_wildcards="open,closed"
        )
    days = {name: searchlog_day(alias, name) for name in (found.body or {})}
    return {name: day for name, day in days.items() if day is not None}


def delete_indices(client: Elasticsearch, names: Sequence[str]) -> None:
    """Delete the named indices (absent ones are ignored)."""
    if not names:
        return
    with translated(f"deleting {', '.join(names)}"):
        client.options(ignore_status=404).indices.delete(index=",".join(names))


def searchlog_summary(client: Elasticsearch, alias: str) -> dict[str, int]:
    """How many searches the log of ``alias`` holds, and how many found nothing."""
    with translated(f"summarising the search log of {alias!r}"):
        response = _search_fresh(
            client,
            alias,
            size=0,
            track_total_hits=True,
            aggs={"zero": {"filter": {"term": {"zero_results": True}}}},
        )
    zero = response.get("aggregations", {}).get("zero", {}).get("doc_count", 0)
    return {"searches": int(response["hits"]["total"]["value"]), "zero_results": int(zero)}


def _search_fresh(client: Elasticsearch, alias: str, **body: Any) -> Any:
    """Refresh the log of ``alias`` (the writer does not), then search every day of it."""
    pattern = searchlog_pattern(alias)
    client.options(ignore_status=404).indices.refresh(index=pattern, allow_no_indices=True)
    return client.search(index=pattern, allow_no_indices=True, **body)


def unread_words(client: Elasticsearch, alias: str, *, days: int, top: int) -> list[dict[str, Any]]:
    """The words understanding did not read, most searched first, over the last ``days`` days
    (today included): ``{"word", "searches", "zero_results", "relaxed"}`` per word (counts of
    searches)."""
    with translated(f"reading the unread words of {alias!r}'s search log"):
        response = _search_fresh(client, alias, **unread_words_body(days, top))
    buckets = response.get("aggregations", {}).get("words", {}).get("buckets", [])
    return [
        {
            "word": str(bucket["key"]),
            "searches": int(bucket["doc_count"]),
            "zero_results": int(bucket["zero"]["doc_count"]),
            "relaxed": int(bucket["relaxed"]["doc_count"]),
        }
        for bucket in buckets
    ]


def unread_words_body(days: int, top: int) -> dict[str, Any]:
    """The ``_search`` body of :func:`unread_words`: the last ``days`` UTC days, today included
    (``days`` 1 is today since midnight), the ``top`` words by searches."""
    if days < 1 or top < 1:
        raise ValueError(f"days and top must be >= 1; got {days} and {top}")
    return {
        "size": 0,
        "query": {"range": {"timestamp": {"gte": f"now-{days - 1}d/d"}}},
        "aggs": {
            "words": {
                "terms": {"field": "unread_words", "size": top},
                "aggs": {
                    "zero": {"filter": {"term": {"zero_results": True}}},
                    "relaxed": {"filter": {"term": {"relaxed": True}}},
                },
            }
        },
    }
