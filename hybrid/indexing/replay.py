"""Sending records again: ``hybrid ingest replay`` (from the rejects) and ``reconcile`` (a feed).

- :func:`replay` re-enqueues the records kept with rejects whose reason is replayable
  (``transient_exhausted``, ``delivery_limit``: the product itself was never found wrong), then
  deletes those rejects; a record that fails again gets a new reject.
- :func:`reconcile_feed` accounts for every record of a feed (:mod:`hybrid.indexing.reconcile`)
  and re-enqueues the missing ones.

Both have a dry run that only reports.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hybrid import es as es_ops
from hybrid.indexing.delivery import REPLAYABLE
from hybrid.indexing.feed import read_feed
from hybrid.indexing.producer import enqueue_records
from hybrid.indexing.queue import make_celery
from hybrid.indexing.reconcile import Account, account
from hybrid.indexing.records import ProductRecord
from hybrid.indexing.validation import validate_records
from hybrid.settings import Settings


@dataclass
class Replayed:
    """What :func:`replay` found and sent."""

    found: int = 0
    sent: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    task_ids: list[str] = field(default_factory=list)


def replay(
    settings: Settings, *, reasons: Sequence[str] = REPLAYABLE, dry_run: bool = False
) -> Replayed:
    """Re-enqueue the records of the rejects with one of ``reasons``; delete those rejects.

    Raises:
        SearchUnavailableError: Elasticsearch or Redis cannot be reached.
    """
    client = es_ops.make_client(settings)
    stored = es_ops.replayable_rejects(client, settings.index_alias, reasons)
    valid, invalid = validate_records([reject.record for reject in stored])
    result = Replayed(found=len(stored), sent=[r.id for r in valid])
    result.invalid = [reject.product_id for _, reject in invalid]
    if dry_run or not stored:
        return result
    result.task_ids = _enqueue(settings, valid)
    es_ops.delete_rejects(client, settings.index_alias, [reject.doc_id for reject in stored])
    return result


@dataclass
class Reconciled:
    """A feed's account, how many of its lines were invalid, and what was sent again."""

    account: Account
    invalid: int
    task_ids: list[str]


def reconcile_feed(settings: Settings, path: Path, *, dry_run: bool = False) -> Reconciled:
    """Account for every valid record of the feed at ``path``; re-enqueue the missing ones.

    Raises:
        SearchUnavailableError: Elasticsearch or Redis cannot be reached.
    """
    valid, invalid = validate_records(list(read_feed(path)))
    expected = [(record.id, record.external_version()) for record in valid]
    found = account(es_ops.make_client(settings), settings.index_alias, expected)
    missing = set(found.missing)
    resend = [record for record in valid if record.id in missing]
    task_ids = [] if dry_run else _enqueue(settings, resend)
    return Reconciled(found, len(invalid), task_ids)


def _enqueue(settings: Settings, records: Sequence[ProductRecord]) -> list[str]:
    if not records:
        return []
    app = make_celery(settings)
    with contextlib.closing(app):
        return enqueue_records(app, settings, records)
