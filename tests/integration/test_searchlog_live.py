"""The search log on the real Elasticsearch: searches leave documents, a dead log costs nothing.

The "dead" logs are real: an address nobody listens on (connection refused), and a loopback
server that accepts connections and never answers (the log's client waits for its timeout).
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from fastapi.testclient import TestClient
from support.apikeys import auth_header, configured
from support.catalogue import index_demo_products
from support.wait import wait_until
from typer.testing import CliRunner

from hybrid import es as es_ops
from hybrid.api import create_app
from hybrid.cli import app
from hybrid.errors import IndexingError
from hybrid.mapping import searchlog_index, searchlog_pattern, searchlog_template
from hybrid.query.request import SearchRequest
from hybrid.query.synonyms import ShopSynonyms, parse_synonyms
from hybrid.search import SearchService
from hybrid.search.gateway import ElasticsearchGateway
from hybrid.search.searchlog import SearchLog
from hybrid.settings import Settings, get_settings
from hybrid.vocab import CATEGORIES

pytestmark = pytest.mark.integration

QUERIES = ["red trainers", "black handbag", "blue shirt", "wool scarf"]


@pytest.fixture
def indexed(settings: Settings, es: Elasticsearch, test_images: Path) -> Settings:
    """16 demo products in this test's index, written inline; the search log on."""
    index_demo_products(settings, es, test_images, 16, seed=3)
    return settings.model_copy(update={"search_log": True})


def _log_docs(es: Elasticsearch, alias: str) -> list[dict[str, Any]]:
    pattern = searchlog_pattern(alias)
    es.options(ignore_status=404).indices.refresh(index=pattern, allow_no_indices=True)
    found = es.search(index=pattern, size=100, allow_no_indices=True, sort=[{"timestamp": "asc"}])
    return [hit["_source"] for hit in found["hits"]["hits"]]


def test_each_search_leaves_one_log_document(indexed: Settings, es: Elasticsearch) -> None:
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    assert service.search_log is not None
    found = service.search(SearchRequest(text="maroon sneakers", size=10))
    nothing = service.search(
        SearchRequest(text="scarf", filters={"brand": ["No Such Brand"]}, legs={"bm25"})
    )
    service.search_log.close()
    docs = _log_docs(es, indexed.index_alias)
    print(f"search log: {len(docs)} documents; stats {service.search_log.stats.as_dict()}")
    assert [d["query"] for d in docs] == ["maroon sneakers", "scarf"]
    first, second = docs
    assert first["fused_top10"] == [hit["_id"] for hit in found["hits"]["hits"]]
    assert first["zero_results"] is False and first["total_hits"] >= 10
    assert first["understood"] is True and "colour_family:red" in first["understood_facets"]
    assert set(first["legs"]) == {"bm25", "image_knn", "text_knn"}
    assert first["legs"]["image_knn"]["hits"] > 0 and first["legs"]["image_knn"]["top_score"] > 0
    assert first["latency_ms"] == found["took"]
    assert nothing["hits"]["hits"] == []
    assert second["zero_results"] is True and second["fused_top10"] == []
    assert second["filters"] == ["brand:No Such Brand"]
    today = datetime.now(UTC).date()
    assert es.indices.exists(index=searchlog_index(indexed.index_alias, today))


def test_the_api_logs_the_request_id(indexed: Settings, es: Elasticsearch) -> None:
    live = indexed.model_copy(update={"search_timeout": 60.0, "api_keys": configured()})
    with TestClient(create_app(live), headers=auth_header("all")) as client:
        response = client.post(
            "/search", json={"text": "black handbag"}, headers={"X-Request-ID": "trace-42"}
        )
        assert response.status_code == 200, response.text

        def logged() -> bool:
            return [d.get("request_id") for d in _log_docs(es, indexed.index_alias)] == ["trace-42"]

        wait_until(logged, "the API's search in the log with its request id", timeout=30)


class Blackhole:
    """A loopback TCP server that accepts connections and never answers."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.1)
        self.held: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            self.held.append(connection)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.server.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def blackhole() -> Iterator[Blackhole]:
    hole = Blackhole()
    yield hole
    hole.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _latencies(services: list[SearchService], rounds: int) -> list[list[float]]:
    """Per service, the ms of ``rounds`` searches, the services taking turns on each query."""
    times: list[list[float]] = [[] for _ in services]
    for n in range(rounds):
        request = SearchRequest(text=QUERIES[n % len(QUERIES)], size=10)
        for service, own in zip(services, times, strict=True):
            started = time.perf_counter()
            response = service.search(request)
            own.append((time.perf_counter() - started) * 1000)
            assert response["hits"]["hits"], "a search failed to find anything"
    return times


@pytest.mark.parametrize("sink", ["refused", "hangs"])
def test_a_dead_log_neither_fails_nor_slows_searches(
    sink: str, indexed: Settings, es: Elasticsearch, blackhole: Blackhole
) -> None:
    dead_url = blackhole.url if sink == "hangs" else f"http://127.0.0.1:{_free_port()}"
    dead = indexed.model_copy(update={"es_url": dead_url, "es_request_timeout": 3.0})
    log = SearchLog.from_settings(dead)
    assert log is not None
    gateway = ElasticsearchGateway(es, indexed.index_alias)
    plain = SearchService(indexed.model_copy(update={"search_log": False}), gateway=gateway)
    logged = SearchService(indexed, gateway=gateway, search_log=log)
    plain.warm_up()
    logged.warm_up()
    _latencies([plain, logged], 4)  # each service's text vector cache warm
    rounds = 24
    without, with_log = (statistics.median(t) for t in _latencies([plain, logged], rounds))
    stats = log.stats.as_dict()
    print(
        f"sink {sink}: median search {without:.1f} ms without the log, {with_log:.1f} ms with a "
        f"dead one ({rounds} searches each); log stats {stats}"
    )
    assert stats["submitted"] == rounds + 4 and stats["written"] == 0
    assert with_log < without * 1.5 + 15  # same order: the log's waits are not the search's
    assert _log_docs(es, indexed.index_alias) == []


def test_prune_deletes_the_days_before_the_kept_ones(
    indexed: Settings, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    alias = indexed.index_alias
    client = es_ops.make_client(indexed)
    es_ops.ensure_searchlog_template(client, alias)
    today = datetime.now(UTC).date()
    old = searchlog_index(alias, date(2020, 1, 1))
    recent = searchlog_index(alias, today)
    doc = {"timestamp": "2020-01-01T00:00:00+00:00", "query": "x", "zero_results": True}
    es_ops.append_searchlog(client, [(old, doc), (recent, {**doc, "timestamp": f"{today}"})])
    monkeypatch.setenv("HYBRID_ES_URL", indexed.effective_es_url)
    monkeypatch.setenv("HYBRID_INDEX_ALIAS", alias)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["searchlog", "prune", "--days", "7"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    print(result.output)
    assert not es.indices.exists(index=old)
    assert es.indices.exists(index=recent)
    mapping = es.indices.get_mapping(index=recent)[recent]["mappings"]
    assert mapping["properties"]["zero_results"]["type"] == "boolean"  # the template applied


def test_the_words_nothing_read_are_counted_for_the_synonyms_file(
    indexed: Settings, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    assert service.search_log is not None
    shown = service.search(SearchRequest(text="comfy black chucks"))
    nothing = service.search(SearchRequest(text="chucks", filters={"brand": ["No Such Brand"]}))
    service.search(SearchRequest(text="black sneakers"))
    service.search_log.close()
    assert shown["understanding"]["unread"] == ["comfy", "chucks"]
    monkeypatch.setenv("HYBRID_ES_URL", indexed.effective_es_url)
    monkeypatch.setenv("HYBRID_INDEX_ALIAS", indexed.index_alias)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["searchlog", "unread", "--days", "1", "--json"])
        table = CliRunner().invoke(app, ["searchlog", "unread"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    print(table.output)
    words = {row["word"]: row for row in json.loads(result.output)["words"]}
    assert set(words) == {"chucks", "comfy"}
    relaxed = sum(bool(r["understanding"]["relaxed"]) for r in (shown, nothing))
    assert words["chucks"] == {
        "word": "chucks",
        "searches": 2,
        "zero_results": 1,
        "relaxed": relaxed,
    }
    assert words["comfy"]["searches"] == 1
    assert "chucks" in table.output


def test_a_real_text_model_proposes_categories_a_person_then_accepts(
    indexed: Settings, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    service = SearchService(indexed, gateway=ElasticsearchGateway(es, indexed.index_alias))
    assert service.search_log is not None
    for text in ("grey hoodie", "hoodie", "bumbag"):
        service.search(SearchRequest(text=text))
    service.search_log.close()
    monkeypatch.setenv("HYBRID_ES_URL", indexed.effective_es_url)
    monkeypatch.setenv("HYBRID_INDEX_ALIAS", indexed.index_alias)
    monkeypatch.setenv("HYBRID_TEXT_MODEL", "off")  # proposals fall back to all-MiniLM-L6-v2
    draft_file = tmp_path / "synonyms-draft.txt"
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["searchlog", "unread", "--draft", str(draft_file), "--json"])
        table = runner.invoke(app, ["searchlog", "unread", "--suggest"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert table.exit_code == 0, table.output
    print(table.output)
    words = {row["word"]: row for row in json.loads(result.stdout)["words"]}  # JSON alone
    assert list(words) == ["hoodie", "bumbag"]  # most searched first
    paths = {c.path for c in CATEGORIES} | {c.top_level for c in CATEGORIES}
    for row in words.values():
        proposals = row["suggestions"]
        assert 1 <= len(proposals) <= 3
        assert len({p["category"] for p in proposals}) == len(proposals)
        assert {p["category"] for p in proposals} <= paths
        similarities = [p["similarity"] for p in proposals]
        assert similarities == sorted(similarities, reverse=True)
    # The real model's first proposals (all-MiniLM-L6-v2): a hoodie is clothing, a bumbag a bag.
    assert words["hoodie"]["suggestions"][0]["category"].startswith("Clothing")
    assert words["bumbag"]["suggestions"][0]["category"].startswith("Bags")
    text = draft_file.read_text("utf-8")
    assert parse_synonyms(text) == ShopSynonyms()  # all commented out until a person decides
    first = words["bumbag"]["suggestions"][0]["category"]
    rule = f"bumbag => category: {first}\n"
    accepted = text.replace(f"# {rule}", rule)
    assert parse_synonyms(accepted).categories == (("bumbag", first),)


def test_a_day_logged_before_a_new_field_takes_it(indexed: Settings, es: Elasticsearch) -> None:
    # Today's index was created with the first mapping (strict, no unread_words): preparing the
    # log adds the field, so today's searches are not refused until tomorrow's index.
    alias = indexed.index_alias
    today = searchlog_index(alias, datetime.now(UTC).date())
    old = searchlog_template(alias)["template"]
    del old["mappings"]["properties"]["unread_words"]
    es.indices.create(index=today, **old)
    client = es_ops.make_client(indexed)
    doc = {"timestamp": f"{datetime.now(UTC).date()}", "query": "x", "unread_words": ["x"]}
    with pytest.raises(IndexingError):
        es_ops.append_searchlog(client, [(today, doc)])
    es_ops.ensure_searchlog_template(client, alias)
    assert es_ops.append_searchlog(client, [(today, doc)]) == 1
