"""``hybrid serve``: the HTTP API under uvicorn ."""

from __future__ import annotations

from typing import Annotated

import typer

from hybrid.settings import get_settings


def serve(
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Run the HTTP API (FastAPI under uvicorn); OpenAPI at /docs and /openapi.json.

    One process, one event loop; searches run in a bounded thread pool (see
    :mod:`hybrid.api.state`). Run several processes behind a proxy to use more cores.
    """
    import uvicorn

    from hybrid.api import create_app

    uvicorn.run(create_app(get_settings()), host=host, port=port, log_level="info")
