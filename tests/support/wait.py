"""Waiting on conditions, never on the clock: one poll loop with a deadline and a reason."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

#: Long enough for a busy 2-core machine (worker, Elasticsearch and the suite on one box).
DEFAULT_TIMEOUT = 120.0


def wait_until(
    check: Callable[[], bool],
    what: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.25,
    detail: Callable[[], str] | None = None,
) -> None:
    """Poll ``check`` until it is true; fail the test naming ``what`` after ``timeout`` s.

    Args:
        check: the condition a user would notice (searchable, deleted, counted...).
        what: said in the failure, e.g. ``"6 products searchable"``.
        timeout: seconds before the test fails.
        interval: seconds between polls.
        detail: called on failure for more context (e.g. the worker log's tail).
    """
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            extra = f"\n{detail()}" if detail is not None else ""
            pytest.fail(f"{what} did not happen within {timeout:.0f} s{extra}")
        time.sleep(interval)  # between polls of the condition, not instead of it
