"""hybrid.cli.ingest: ``hybrid ingest FEED`` stays short for ``hybrid ingest feed FEED``."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from hybrid.cli import app


def test_a_feed_path_goes_to_the_feed_command(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.txt"
    short = CliRunner().invoke(app, ["ingest", str(missing), "--inline"])
    long = CliRunner().invoke(app, ["ingest", "feed", str(missing), "--inline"])
    assert short.exit_code == long.exit_code == 1
    assert "expected a .jsonl file" in short.output


def test_replay_and_reconcile_are_subcommands() -> None:
    result = CliRunner().invoke(app, ["ingest", "--help"])
    assert result.exit_code == 0
    assert all(name in result.output for name in ("feed", "replay", "reconcile"))
