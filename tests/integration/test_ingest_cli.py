"""``hybrid ingest``: inline in this process, and queued for the real worker from a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.catalogue import catalogue
from typer.testing import CliRunner

from hybrid import es as es_ops
from hybrid.cli import app
from hybrid.mapping import rejects_index
from hybrid.settings import Settings, get_settings

REPO = Path(__file__).resolve().parents[2]


def _env(settings: Settings) -> dict[str, str]:
    """The settings as a child process reads them, with small batches (several tasks)."""
    return settings.model_copy(update={"ingest_batch_size": 8}).as_environment()


@pytest.fixture
def cli_settings(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The process-wide settings of an in-process ``hybrid`` call, read from HYBRID_* again."""
    for key, value in _env(settings).items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


def _feed(test_images: Path, n: int) -> tuple[Path, list[dict[str, Any]]]:
    """A feed of ``n`` good records, one with a broken image and one invalid line."""
    records = catalogue(test_images, n, seed=5)
    records[1]["images"] = [f"{test_images.name}/missing.png"]
    lines = [json.dumps(record) for record in records] + ['{"id": "no-title"}']
    feed = test_images / "feed.jsonl"
    feed.write_text("\n".join(lines) + "\n")
    return feed, records


def _run(command: list[str], settings: Settings) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **_env(settings)}
    return subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=180, check=False
    )


def _check(report: dict[str, Any], n: int, missing_image: str) -> None:
    assert (report["enqueued"], report["indexed"], report["stale"]) == (n + 1, n - 1, 0)
    assert report["rejected_by_reason"] == {"image:not_found": 1, "validate:invalid_record": 1}
    assert sorted(r["id"] for r in report["rejects"]) == sorted([missing_image, "no-title"])
    assert report["failed_batches"] == []


def test_inline_ingest_indexes_and_reports(
    cli_settings: Settings, es: Elasticsearch, test_images: Path
) -> None:
    feed, records = _feed(test_images, 20)
    result = CliRunner().invoke(app, ["ingest", str(feed), "--inline", "--json"])
    assert result.exit_code == 0, result.output
    _check(json.loads(result.stdout), 20, records[1]["id"])
    # the report's promise holds: searchable right away, the rejects too
    assert es_ops.count(es, cli_settings.index_alias) == 19
    assert es_ops.count(es, rejects_index(cli_settings.index_alias)) == 2


@pytest.mark.worker
def test_queued_ingest_waits_for_the_worker_and_reports(
    settings: Settings, worker: object, es: Elasticsearch, test_images: Path
) -> None:
    feed, records = _feed(test_images, 30)
    command = [sys.executable, "-m", "hybrid.cli", "ingest", str(feed), "--wait", "--json"]
    done = _run(command, settings)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    _check(report, 30, records[1]["id"])
    assert es_ops.count(es, settings.index_alias) == 29
    assert es_ops.count(es, rejects_index(settings.index_alias)) == 2
    # every valid record accounted for, per id, from the index and the rejects
    account = report["reconciliation"]
    assert (account["records"], account["indexed"], account["stale"]) == (30, 29, 0)
    assert (account["rejected_by_reason"], account["missing"]) == ({"image:not_found": 1}, 0)
    # a second run of the same feed changes nothing and says so
    again = _run(command, settings)
    assert json.loads(again.stdout)["stale"] == 29
    second = json.loads(again.stdout)["reconciliation"]
    # this run's own rejects only: the broken image is rejected again, the rest were indexed
    assert (second["indexed"], second["rejected"], second["missing"]) == (29, 1, 0)
    es_ops.refresh(es, settings.index_alias)
    assert es_ops.count(es, settings.index_alias) == 29


@pytest.mark.worker
def test_poison_lines_are_rejected_by_the_producer_and_the_worker_lives_on(
    settings: Settings, worker: Any, es: Elasticsearch, test_images: Path
) -> None:
    """Issue 10's first and sixth cases through the queue: a 500-deep line and a line that is
    not UTF-8, among good ones; the rest is indexed, the two rejected with their line/reason."""
    records = catalogue(test_images, 5, seed=9)
    deep: dict[str, Any] = {"x": "y"}
    for _ in range(500):
        deep = {"a": deep}
    lines = [json.dumps(record).encode() for record in records]
    lines.insert(2, b'{"id": "latin-1", "title": "caf\xe9"}')
    lines.insert(4, json.dumps({"id": "deep", "title": "t", "attributes": deep}).encode())
    feed = test_images / "poison.jsonl"
    feed.write_bytes(b"\n".join(lines) + b"\n")
    command = [sys.executable, "-m", "hybrid.cli", "ingest", str(feed), "--wait", "--json"]
    done = _run(command, settings)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    print(
        f"7 lines, 2 poison, through the worker: enqueued {report['enqueued']}, indexed "
        f"{report['indexed']}, rejected {report['rejected']}, failed {report['failed_batches']}"
    )
    assert (report["enqueued"], report["indexed"], report["rejected"]) == (7, 5, 2)
    reasons = {r["id"]: (r["reason"], r["message"]) for r in report["rejects"]}
    assert reasons["poison.jsonl:3"] == ("invalid_json", "not UTF-8: byte 0xe9 at column 32")
    assert reasons["deep"][0] == "invalid_record"
    assert "nested more than 8 levels deep" in reasons["deep"][1]
    assert worker.process.poll() is None  # the worker never saw them, and is still running
    assert es_ops.count(es, rejects_index(settings.index_alias)) == 2
