"""``hybrid serve``: the HTTP API under uvicorn (mounted by :mod:`hybrid.cli`)."""

from __future__ import annotations

from hybrid.settings import get_settings


def serve(host: str, port: int) -> None:
    """Run the API on ``host:port`` until interrupted (settings from the environment).

    One process, one event loop; searches run in a bounded thread pool (see
    :mod:`hybrid.api.state`). Run several processes behind a proxy to use more cores.
    """
    import uvicorn

    from hybrid.api import create_app

    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")
