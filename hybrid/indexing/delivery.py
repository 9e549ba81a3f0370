"""Delivery rules of an ingest task: the retry budget, the delivery count, the last resorts.

Three rules keep an outage or a poison message from losing products (the task in
``workers/tasks.py`` applies them; the logic lives here):

- **Outages consume time, not products.** A transient failure (Elasticsearch or Redis down,
  429, timeouts) is retried with capped exponential backoff until ``retry_budget`` seconds have
  passed since the batch's first attempt. Then the batch gets one last attempt; what still
  fails lands in ``<alias>-rejects`` as ``transient_exhausted`` with its record, so
  ``hybrid ingest replay`` can send it again. If even that write fails (Elasticsearch still
  down), the task keeps retrying: nothing is acked before it is indexed, stale or dead-lettered.
- **A message that keeps failing is dead-lettered.** Every delivery of one task message (the
  same task id and retry number) is counted in Redis; a message delivered more than
  ``max_deliveries`` times (its worker was killed, it raised unexpectedly) is not run again:
  its records land in the rejects as ``delivery_limit``.
- **Redelivery is bounded.** A killed worker's unacked task returns after the visibility
  timeout, which :func:`hybrid.indexing.queue.celery_config` checks against the time limit.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any, Final

import redis

from hybrid import es as es_ops
from hybrid.indexing.outcome import MAX_MESSAGE, BatchSummary, Reject
from hybrid.settings import Settings

#: The stage of rejects written by these rules.
DELIVERY_STAGE: Final = "delivery"
#: Reason: the retry budget ran out while the failure was still transient.
TRANSIENT_EXHAUSTED: Final = "transient_exhausted"
#: Reason: the message was delivered more than ``max_deliveries`` times.
DELIVERY_LIMIT: Final = "delivery_limit"
#: Reasons ``hybrid ingest replay`` sends again by default.
REPLAYABLE: Final = (TRANSIENT_EXHAUSTED, DELIVERY_LIMIT)


def backoff(retries: int, *, cap: float) -> float:
    """Seconds before retry ``retries + 1``: exponential with jitter, never above ``cap``."""
    return float(min(cap, 2**retries) * (0.5 + random.random() / 2))  # noqa: S311 - jitter only


def budget_spent(started_at: float, settings: Settings, *, now: float | None = None) -> bool:
    """True when the batch first tried at ``started_at`` has used up its retry budget."""
    return (time.time() if now is None else now) - started_at >= settings.retry_budget


def last_attempt(started_at: float, retries: int, settings: Settings) -> bool:
    """True when no retry may follow this attempt (budget spent, or the hard retry cap)."""
    return budget_spent(started_at, settings) or retries >= settings.max_retries


class DeliveryCounter:
    """Counts deliveries of task messages in Redis (one key a message, expiring).

    The key is the task id and its retry number: a retry is a new message, a redelivery of
    the same message (its worker died, it was requeued) is not.
    """

    PREFIX: Final = "hybrid:deliveries:"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: redis.Redis | None = None
        # Long enough to see every redelivery of a message: the budget plus a few timeouts.
        self.ttl = settings.retry_budget + settings.visibility_timeout * (
            settings.max_deliveries + 1
        )

    def client(self) -> redis.Redis:
        """The Redis client, made on first use."""
        if self._client is None:
            self._client = redis.Redis.from_url(
                self.settings.effective_redis_url, socket_timeout=10, socket_connect_timeout=10
            )
        return self._client

    def count(self, task_id: str, retries: int) -> int:
        """Record one more delivery of this message; return how many there have been.

        Returns 1 when Redis cannot be reached: the message was just delivered by Redis, so an
        error here is a blip, and an uncounted delivery is safer than a refused one.
        """
        key = f"{self.PREFIX}{task_id}:{retries}"
        try:
            pipe = self.client().pipeline()
            pipe.incr(key)
            pipe.expire(key, self.ttl)
            deliveries, _ = pipe.execute()
        except redis.RedisError:
            return 1
        return int(deliveries)


def dead_letter_batch(
    client: es_ops.Client,
    alias: str,
    records: Sequence[dict[str, Any]],
    *,
    reason: str,
    message: str,
    attempts: int,
    task_id: str | None,
) -> BatchSummary:
    """Write every record of a batch to ``<alias>-rejects`` (record kept, for a replay).

    Raises:
        SearchUnavailableError: Elasticsearch cannot take the rejects now; retry later.
    """
    summary = BatchSummary()
    rejects = [
        (record, Reject(_record_id(record, n), DELIVERY_STAGE, reason, message[:MAX_MESSAGE]))
        for n, record in enumerate(records)
    ]
    if rejects:
        es_ops.ensure_rejects_template(client, alias)
        documents = [
            reject.document(attempts=attempts, task_id=task_id, record=record)
            for record, reject in rejects
        ]
        es_ops.write_rejects(client, alias, documents)
    summary.add_rejects([reject for _, reject in rejects])
    return summary


def _record_id(record: dict[str, Any], position: int) -> str:
    product_id = record.get("id") if isinstance(record, dict) else None
    return str(product_id) if product_id else f"<record {position} of the batch>"
