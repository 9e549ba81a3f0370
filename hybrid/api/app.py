"""The app factory: routers, error handlers, body caps and OpenAPI."""

from __future__ import annotations

from fastapi import FastAPI

from hybrid.api import errors, health, products, search
from hybrid.api.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware, body_limits
from hybrid.api.openapi import install_openapi
from hybrid.api.state import ApiState, Searcher
from hybrid.query.request import SearchRequest
from hybrid.records import ProductRecord
from hybrid.settings import Settings, get_settings

DESCRIPTION = """Hybrid product search: BM25 + CLIP kNN + filters, fused in our code.

Errors answer `{"error": code, "detail": message}`: 404 unknown product, 413 body or image too
large, 422 invalid content (unknown field, bad filter, NaN, size over the cap, not an image),
503 Elasticsearch or Redis unavailable, 504 over the search timeout."""


def create_app(settings: Settings | None = None, *, service: Searcher | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: limits, index and services; default :func:`~hybrid.settings.get_settings`.
        service: the searcher (tests pass a fake); default: a
            :class:`hybrid.search.SearchService` created on the first search.
    """
    settings = settings or get_settings()
    app = FastAPI(title="Hybrid product search", version="0.1.0", description=DESCRIPTION)
    app.state.api = ApiState(settings, service=service)
    for module in (search, products, health):
        app.include_router(module.router)
    errors.install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limits=body_limits(settings), default=DEFAULT_MAX_BODY)
    install_openapi(app, [SearchRequest, ProductRecord])
    return app
