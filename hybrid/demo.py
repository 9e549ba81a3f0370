"""``make demo``: the product end to end on the embedded default stack."""

from __future__ import annotations

from rich.console import Console

from hybrid import stack
from hybrid.settings import Settings


def run_demo(settings: Settings, *, console: Console) -> None:
    """Start the local stack and show that it is healthy.

    The ingestion and query steps join this function as their issues land.
    """
    console.rule("hybrid demo: local stack")
    for name, seconds in stack.up(settings).items():
        console.print(f"{name}: ready in {seconds:.1f}s")
    for name, service in stack.status(settings).items():
        state = "up" if service.up else f"DOWN ({service.error})"
        console.print(f"{name} at {service.url}: {state} {service.detail}")
