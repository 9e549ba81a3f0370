"""``hybrid apikey``: a minted key and its entry configure a working key."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from hybrid.api.auth import KeyRing
from hybrid.cli import app
from hybrid.settings import Settings


def test_a_minted_entry_configures_the_printed_key() -> None:
    result = CliRunner().invoke(
        app, ["apikey", "mint", "shop", "-s", "search", "-s", "write", "--json"]
    )
    assert result.exit_code == 0, result.output
    minted = json.loads(result.output)
    assert minted["entry"]["scopes"] == ["search", "write"] and minted["key"] not in json.dumps(
        minted["entry"]
    )
    settings = Settings(api_keys=[minted["entry"]])
    assert KeyRing.from_settings(settings).principal(minted["key"]).key_id == "shop"


def test_hash_reads_the_key_from_stdin() -> None:
    result = CliRunner().invoke(app, ["apikey", "hash", "old", "-s", "admin"], input="hyb_kept\n")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.output)
    assert KeyRing.from_settings(Settings(api_keys=[entry])).principal("hyb_kept").scopes == {
        "admin"
    }


def test_a_bad_id_or_no_key_fails_with_exit_1() -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["apikey", "mint", "bad id", "-s", "search"]).exit_code == 1
    assert runner.invoke(app, ["apikey", "hash", "x", "-s", "search"], input="").exit_code == 1
