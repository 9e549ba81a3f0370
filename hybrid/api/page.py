"""The search page: ``GET /`` and its static files (plain HTML, CSS and JavaScript).

No build step and nothing from a CDN: the three files under ``hybrid/api/static/`` are package
data, served as they are, so the page works offline. They are public (they hold no data); the
page's own calls go to ``POST /search`` and ``GET /thumbnails/...``, which need the ``search``
scope - so in a browser the page works when anonymous search is on
(``HYBRID_API_ANONYMOUS_SEARCH=true``, which ``hybrid demo`` sets).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR: Final = Path(__file__).parent / "static"
#: The page and its files change with the package; a short cache keeps reloads cheap.
_CACHE: Final = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def search_page() -> FileResponse:
    """The search page (its state lives in the URL: ``/?q=red+sneakers&colour_family=red``)."""
    return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=_CACHE)


def install_page(app: FastAPI) -> None:
    """Serve the page at ``/`` and its files under ``/static``."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
