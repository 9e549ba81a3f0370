"""hybrid.indexing.delivery: the retry budget in time and the backoff cap."""

from __future__ import annotations

import pytest

from hybrid.indexing.delivery import backoff, budget_spent, last_attempt
from hybrid.settings import Settings

SETTINGS = Settings(retry_budget=600, max_retries=50, retry_backoff_max=120)


@pytest.mark.parametrize("retries", [0, 3, 7, 20, 49])
def test_backoff_grows_exponentially_with_jitter_and_never_passes_the_cap(retries: int) -> None:
    delays = [backoff(retries, cap=120) for _ in range(200)]
    expected = min(120, 2**retries)
    print(f"retry {retries}: {min(delays):.2f}-{max(delays):.2f} s (cap {expected})")
    assert all(expected / 2 <= d <= expected for d in delays)


def test_the_budget_is_time_since_the_first_attempt_not_a_count() -> None:
    assert not budget_spent(1000.0, SETTINGS, now=1599.0)
    assert budget_spent(1000.0, SETTINGS, now=1600.0)


def test_an_outage_of_ten_minutes_is_retried_through_with_the_default_settings() -> None:
    defaults = Settings()
    assert defaults.retry_budget >= 600
    # The retries it takes to spend the budget at the capped backoff fit under the hard cap.
    elapsed, retries = 0.0, 0
    while elapsed < defaults.retry_budget:
        elapsed += min(defaults.retry_backoff_max, 2**retries)  # the longest jittered delay
        retries += 1
    print(f"default budget {defaults.retry_budget} s spent after at least {retries} retries")
    assert retries < defaults.max_retries


def test_the_last_attempt_comes_with_the_budget_or_the_hard_cap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("hybrid.indexing.delivery.time.time", lambda: 1100.0)
    assert not last_attempt(1000.0, 3, SETTINGS)
    assert last_attempt(1000.0, 50, SETTINGS)
    assert last_attempt(400.0, 3, SETTINGS)
