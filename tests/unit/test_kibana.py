"""hybrid.kibana: loading, adapting and importing the saved objects.

The contract tests check the request :func:`import_saved_objects` sends against what Kibana's
Saved Objects import API takes (``POST /api/saved_objects/_import?overwrite=true``, a
multipart/form-data body with one ``file`` part named ``*.ndjson``, a ``kbn-xsrf`` header, an
``Authorization: ApiKey`` header when a key is given), on a loopback server that records it.
No real Kibana runs here; the README says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.kibana import FakeKibana, fake_kibana

from hybrid.errors import ConfigurationError, KibanaError
from hybrid.kibana import for_alias, import_saved_objects, load_objects, saved_objects_path


@pytest.fixture(scope="module")
def shipped() -> list[dict[str, object]]:
    return load_objects(saved_objects_path())


def test_contract_the_import_request_is_what_the_saved_objects_api_takes(
    shipped: list[dict[str, object]],
) -> None:
    with fake_kibana() as kibana:
        import_saved_objects(kibana.url, shipped, api_key="k3y")
    (request,) = kibana.requests
    assert (request.method, request.path) == ("POST", "/api/saved_objects/_import")
    assert request.query == {"overwrite": ["true"]}
    assert request.headers["kbn-xsrf"]
    assert request.headers["authorization"] == "ApiKey k3y"
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    (part,) = request.parts()
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename().endswith(".ndjson")  # Kibana refuses other extensions
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    sent = [json.loads(line) for line in payload.decode().splitlines()]
    assert sent == shipped
    print(f"contract: {len(payload)} bytes, {len(sent)} objects in one 'file' part")


def test_contract_no_key_no_authorization_header(shipped: list[dict[str, object]]) -> None:
    with fake_kibana() as kibana:
        import_saved_objects(kibana.url + "/", shipped[:1])
    (request,) = kibana.requests
    assert "authorization" not in request.headers
    assert request.path == "/api/saved_objects/_import"  # a trailing slash in the URL is fine


def test_importing_twice_creates_then_overwrites_every_object(
    shipped: list[dict[str, object]],
) -> None:
    with fake_kibana() as kibana:
        first = import_saved_objects(kibana.url, shipped)
        second = import_saved_objects(kibana.url, shipped)
    assert {o.status for o in first} == {"created"}
    assert {o.status for o in second} == {"overwritten"}
    assert [(o.type, o.id) for o in second] == [(o["type"], o["id"]) for o in shipped]


def test_each_refused_object_is_an_error_with_kibanas_reason(
    shipped: list[dict[str, object]],
) -> None:
    refuse = {
        "hybrid-dashboard": {
            "type": "missing_references",
            "references": [{"type": "lens", "id": "gone"}],
        },
        "hybrid-products": {"type": "unknown", "message": "boom"},
    }
    with fake_kibana(FakeKibana(refuse=refuse)) as kibana:
        results = import_saved_objects(kibana.url, shipped)
    errors = {o.id: o.detail for o in results if o.status == "error"}
    assert errors == {
        "hybrid-dashboard": "missing_references: lens/gone",
        "hybrid-products": "unknown: boom",
    }


def test_a_refused_import_or_an_unreachable_kibana_raises(
    shipped: list[dict[str, object]],
) -> None:
    with fake_kibana(FakeKibana(status=403)) as kibana:
        with pytest.raises(KibanaError, match="403"):
            import_saved_objects(kibana.url, shipped)
        url = kibana.url
    with pytest.raises(KibanaError, match="cannot reach Kibana"):
        import_saved_objects(url, shipped, timeout=5)  # the server is gone: connection refused


def test_for_alias_renames_the_data_view_titles_only(shipped: list[dict[str, object]]) -> None:
    adapted = for_alias(shipped, "shop")
    titles = {o["id"]: o["attributes"]["title"] for o in adapted if o["type"] == "index-pattern"}  # type: ignore[index]
    assert titles == {
        "hybrid-products": "shop",
        "hybrid-rejects": "shop-rejects",
        "hybrid-searchlog": "shop-searchlog-*",
    }
    others = [o for o in adapted if o["type"] != "index-pattern"]
    assert others == [o for o in shipped if o["type"] != "index-pattern"]
    assert shipped[0]["attributes"]["title"] == "products"  # type: ignore[index]  # untouched


def test_load_objects_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "x.ndjson"
    path.write_text('{"type": "lens", "id": "a", "attributes": {}}\n\n{nope\n')
    with pytest.raises(ConfigurationError, match=r"x.ndjson:3 is not JSON"):
        load_objects(path)
    path.write_text('{"id": "a"}\n')
    with pytest.raises(ConfigurationError, match=r"x.ndjson:1: expected an object"):
        load_objects(path)
