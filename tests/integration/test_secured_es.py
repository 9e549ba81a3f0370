"""Elasticsearch with security on: TLS on HTTP with a CA made here, least-privilege users.

A second node of the same distribution is started for this module with x-pack security and
TLS (:mod:`hybrid.stack.security`). Three file-realm users hold the roles of
:func:`hybrid.es.security.role_descriptors`: ingest, search and index administration run with
them, and what each may not do is refused. API keys cannot be created on this distribution (the
``.security`` index needs ``analysis-common``): that test is an expected failure naming the
blocker, strict, so it turns red the day the module is there.
"""

from __future__ import annotations

import logging
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import service_unavailable
from elasticsearch import ApiError
from pydantic import SecretStr

from hybrid import es as es_ops
from hybrid.demo.catalog import iter_records, write_catalog
from hybrid.errors import ConfigurationError, ElasticsearchRefusedError, HybridSearchError
from hybrid.es.client import make_client
from hybrid.es.security import ADMIN, INDEXER, SEARCHER, create_api_key, role_descriptors
from hybrid.indexing.migrate import migrate
from hybrid.indexing.pipeline import Ingestor
from hybrid.indexing.validation import validate_records
from hybrid.query.request import SearchRequest
from hybrid.search import SearchService
from hybrid.settings import Settings
from hybrid.stack import elasticsearch as es_node
from hybrid.stack import procs
from hybrid.stack.security import SecurityProfile, User, make_certificates

ALIAS = "secured-products"
PASSWORDS = {name: secrets.token_urlsafe(16) for name in ("admin", "indexer", "searcher")}


@pytest.fixture(scope="module")
def secured(base_settings: Settings) -> Iterator[es_node.EsNode]:
    """A secured single node: https with this module's CA, three least-privilege users."""
    scratch = Path(tempfile.mkdtemp(prefix="hybrid-test-secured-"))
    scratch.chmod(0o755)
    users = (
        User("admin", PASSWORDS["admin"], (ADMIN,)),
        User("indexer", PASSWORDS["indexer"], (INDEXER,)),
        User("searcher", PASSWORDS["searcher"], (SEARCHER,)),
    )
    profile = SecurityProfile(make_certificates(scratch / "certs"), users, role_descriptors(ALIAS))
    node = es_node.EsNode(
        instance_dir=scratch / "node",
        http_port=procs.free_port(),
        transport_port=procs.free_port(),
        heap="384m",
        cluster_name="hybrid-secured",
        security=profile,
    )
    try:
        es_node.start(node, base_settings)
    except HybridSearchError as exc:
        es_node.stop(node)
        service_unavailable("secured Elasticsearch", exc)
    yield node
    es_node.stop(node)
    shutil.rmtree(scratch, ignore_errors=True)


def as_user(node: es_node.EsNode, user: str, tmp_path: Path, **extra: object) -> Settings:
    """Settings of a client logging in as ``user`` and trusting the module's CA."""
    assert node.security is not None
    values: dict[str, object] = {
        "es_url": node.url,
        "es_username": user,
        "es_password": PASSWORDS[user],
        "es_ca_file": node.security.ca_file,
        "index_alias": ALIAS,
        "model": "demo",
        "image_root": tmp_path,
    }
    return Settings.model_validate({**values, **extra})


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, object]]]:
    """12 demo products with images."""
    root = tmp_path_factory.mktemp("secured-images")
    write_catalog(root, 12, seed=3)
    return root, list(iter_records(root))


def test_least_privilege_users_ingest_search_and_administer(
    secured: es_node.EsNode, catalogue: tuple[Path, list[dict[str, object]]]
) -> None:
    root, records = catalogue
    admin = as_user(secured, "admin", root)
    created = Ingestor(admin).ensure_index()  # templates, index and alias: the admin's job
    print(f"\nadmin created {created} behind {ALIAS}")

    indexer = as_user(secured, "indexer", root)
    valid, invalid = validate_records(records)
    assert not invalid
    ingestor = Ingestor(indexer)
    summary = ingestor.process(valid)
    assert len(summary.indexed) == 12, summary
    es_ops.refresh(make_client(admin), ALIAS)

    searcher = as_user(secured, "searcher", root)
    response = SearchService(searcher).search(SearchRequest(text="red trainers", size=5))
    assert len(response["hits"]["hits"]) == 5
    print(f"indexer indexed {len(summary.indexed)}; searcher found {response['hits']['total']}")

    with pytest.raises(ElasticsearchRefusedError) as refused:  # moving the alias is the admin's
        migrate(indexer)
    report = migrate(admin)
    assert (report.method, report.documents, report.old_index) == ("reindex", 12, created)
    es_ops.refresh(make_client(admin), ALIAS)
    again = SearchService(searcher).search(SearchRequest(text="red trainers", size=5))
    assert len(again["hits"]["hits"]) == 5
    print(f"indexer migrate -> {refused.value.status}; admin migrated 12 to {report.new_index}")


def test_the_searcher_cannot_write_and_the_indexer_cannot_delete_an_index(
    secured: es_node.EsNode, catalogue: tuple[Path, list[dict[str, object]]]
) -> None:
    root, _ = catalogue
    Ingestor(as_user(secured, "admin", root)).ensure_index()
    searcher = make_client(as_user(secured, "searcher", root))
    operations = [{"index": {"_index": ALIAS, "_id": "x"}}, {"title": "x"}]
    try:  # refused as a whole (403), or item by item: either way nothing is written
        answer = searcher.bulk(operations=operations)
        bulk_status = int(answer["items"][0]["index"]["status"])
    except ApiError as exc:
        bulk_status = int(exc.status_code)
    assert bulk_status == 403
    indexer = make_client(as_user(secured, "indexer", root))
    target = es_ops.alias_target(make_client(as_user(secured, "admin", root)), ALIAS)
    with (
        pytest.raises(ElasticsearchRefusedError) as denied,
        es_ops.translated("deleting an index as the indexer"),
    ):
        indexer.indices.delete(index=str(target))
    assert denied.value.status == 403
    print(f"\nsearcher _bulk -> {bulk_status}; indexer DELETE index -> {denied.value.status}")


def test_an_untrusted_certificate_is_a_clear_configuration_error(
    secured: es_node.EsNode, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other_ca = make_certificates(tmp_path / "other") / "ca.crt"
    wrong = as_user(secured, "searcher", tmp_path, es_ca_file=other_ca)
    with caplog.at_level(logging.WARNING), pytest.raises(ConfigurationError) as info:
        es_ops.cluster_status(make_client(wrong))
    message = str(info.value)
    assert "HYBRID_ES_CA_FILE" in message and "not trusted" in message
    assert "127.0.0.1" not in message  # hosts and ports only go to the log
    assert PASSWORDS["searcher"] not in caplog.text


def test_wrong_password_is_refused_401(secured: es_node.EsNode, tmp_path: Path) -> None:
    settings = as_user(secured, "searcher", tmp_path).model_copy(update={"es_password": None})
    with pytest.raises(ElasticsearchRefusedError) as info:
        es_ops.cluster_status(make_client(settings))
    assert info.value.status == 401


def test_api_keys_with_the_same_roles(secured: es_node.EsNode, tmp_path: Path) -> None:
    """Keys for the searcher's role work as the user does, where the distribution allows keys.

    Here it does not: creating a key writes the ``.security`` index, whose mapping needs the
    ``analysis-common`` module. That exact refusal (400, ``pattern_capture``) is an expected
    failure; any other outcome is checked or fails.
    """
    admin = make_client(as_user(secured, "admin", tmp_path))
    try:
        admin.security.create_api_key(name="hybrid-probe", role_descriptors={})
    except ApiError as exc:
        if exc.status_code == 400 and "pattern_capture" in str(exc.body):
            pytest.xfail(f"blocker: {exc.body['error']['reason']} (no analysis-common module)")
        raise
    key = create_api_key(admin, "hybrid-searcher", SEARCHER, ALIAS)
    searcher = as_user(secured, "searcher", tmp_path).model_copy(
        update={"es_username": None, "es_api_key": SecretStr(key)}
    )
    client = make_client(searcher)
    answer = client.bulk(operations=[{"index": {"_index": ALIAS, "_id": "k"}}, {"title": "k"}])
    assert answer["items"][0]["index"]["status"] == 403
