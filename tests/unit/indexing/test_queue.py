"""hybrid.indexing.queue: the Celery configuration and its guards."""

from __future__ import annotations

import pytest

from hybrid.errors import ConfigurationError
from hybrid.indexing.queue import celery_config
from hybrid.settings import Settings


def test_tasks_are_acked_late_requeued_when_lost_and_redelivered_within_minutes() -> None:
    config = celery_config(Settings())
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"]
    assert config["task_acks_on_failure_or_timeout"] is False  # a timed-out task goes back
    assert config["task_soft_time_limit"] is None  # never turned into a permanent reject
    transport = config["broker_transport_options"]
    sweep = transport["unacked_restore_interval"] * transport["unacked_restore_throttle"]
    redelivery = transport["visibility_timeout"] + sweep
    print(f"a killed worker's task comes back after at most {redelivery} s")
    assert redelivery <= 20 * 60
    assert config["result_backend_always_retry"]  # a Redis restart fails no finished task


def test_a_visibility_timeout_shorter_than_a_task_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="visibility timeout is 700 s"):
        celery_config(Settings(visibility_timeout=700, task_time_limit=600))


def test_a_redelivery_longer_than_the_tombstones_is_refused() -> None:
    settings = Settings(visibility_timeout=20_000, max_deliveries=5, retry_budget=900)
    with pytest.raises(ConfigurationError, match="stale write could resurrect"):
        celery_config(settings)
