"""``hybrid kibana import``: one line per object, idempotent, exit 1 on any error."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from support.kibana import FakeKibana, fake_kibana
from typer.testing import CliRunner

from hybrid.cli import app
from hybrid.kibana import load_objects, saved_objects_path
from hybrid.settings import get_settings


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("HYBRID_INDEX_ALIAS", raising=False)
    monkeypatch.delenv("HYBRID_KIBANA_API_KEY", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_import_prints_each_outcome_and_is_idempotent() -> None:
    runner = CliRunner()
    with fake_kibana() as kibana:
        first = runner.invoke(app, ["kibana", "import", "--url", kibana.url, "--api-key", "k"])
        second = runner.invoke(app, ["kibana", "import", "--url", kibana.url, "--json"])
    shipped = len(load_objects(saved_objects_path()))
    assert first.exit_code == 0, first.output
    assert shipped >= 20
    assert first.output.count("created") == shipped
    assert "hybrid-dashboard" in first.output
    assert f"{shipped} of {shipped} objects imported" in first.output
    assert second.exit_code == 0, second.output
    assert {row["status"] for row in json.loads(second.output)} == {"overwritten"}
    assert kibana.requests[0].headers["authorization"] == "ApiKey k"
    assert "authorization" not in kibana.requests[1].headers
    print(first.output)


def test_the_url_and_key_come_from_the_settings_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with fake_kibana() as kibana:
        monkeypatch.setenv("HYBRID_KIBANA_URL", kibana.url)
        monkeypatch.setenv("HYBRID_KIBANA_API_KEY", "from-env")
        monkeypatch.setenv("HYBRID_INDEX_ALIAS", "shop")
        result = CliRunner().invoke(app, ["kibana", "import", "--json"])
    assert result.exit_code == 0, result.output
    (request,) = kibana.requests
    assert request.headers["authorization"] == "ApiKey from-env"
    (part,) = request.parts()
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    assert b'"title": "shop-searchlog-*"' in payload


def test_any_refused_object_exits_1_and_says_why() -> None:
    refuse = {"hybrid-lens-latency": {"type": "unsupported_type"}}
    with fake_kibana(FakeKibana(refuse=refuse)) as kibana:
        result = CliRunner().invoke(app, ["kibana", "import", "--url", kibana.url])
    assert result.exit_code == 1
    assert "unsupported_type" in result.output
    shipped = len(load_objects(saved_objects_path()))
    assert f"{shipped - 1} of {shipped} objects imported" in result.output


def test_an_unreachable_kibana_exits_1() -> None:
    with fake_kibana() as kibana:
        url = kibana.url
    result = CliRunner().invoke(app, ["kibana", "import", "--url", url])
    assert result.exit_code == 1
    assert "cannot reach Kibana" in result.output
