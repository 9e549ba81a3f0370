"""``hybrid demo``: the demo on the embedded default stack."""

from __future__ import annotations

from hybrid.cli.common import console, fail
from hybrid.errors import HybridSearchError
from hybrid.settings import get_settings


def demo() -> None:
    """Run the demo on the embedded default stack (local Elasticsearch + Redis)."""
    from hybrid.demo.run import run_demo

    try:
        run_demo(get_settings(), console=console)
    except HybridSearchError as exc:
        raise fail(exc) from exc
