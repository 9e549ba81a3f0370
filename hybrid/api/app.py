"""The app factory: routers, error handlers, body caps and OpenAPI."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import anyio.to_thread
from fastapi import FastAPI

from hybrid.api import errors, health, products, search, thumbnails
from hybrid.api.auth import AUTH_RESPONSES, WRITE_RESPONSES, install_auth
from hybrid.api.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware, body_limits
from hybrid.api.openapi import install_openapi
from hybrid.api.page import install_page
from hybrid.api.requestid import RequestIdMiddleware, install_log_context
from hybrid.api.state import ApiState, Searcher
from hybrid.indexing.records import ProductRecord
from hybrid.query.request import SearchRequest
from hybrid.query.synonyms import read_synonyms
from hybrid.settings import Settings, get_settings

DESCRIPTION = """Hybrid product search: BM25 + CLIP kNN + filters, fused in our code.

Send `Authorization: ApiKey <key>` (or `Bearer <key>`); scopes: `search` (searches, product
reads), `write` (product writes), `admin` (health details). Search may be open to callers
without a key (`HYBRID_API_ANONYMOUS_SEARCH`).

Errors answer `{"error": code, "detail": message, "request_id": id}` (the id is also the
`X-Request-ID` answer header; quote it to the operators): 401 no or unknown key, 403 key
without the scope, 404 unknown product, 413 body or image too large, 422 invalid content
(unknown field, bad filter, NaN, size over the cap, not an image), 429 too many writes in flight
for the key, 503 Elasticsearch or Redis unavailable, 504 over the search timeout."""


logger = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, service: Searcher | None = None) -> FastAPI:
    """Build the API.

    Args:
        settings: limits, index and services; default :func:`~hybrid.settings.get_settings`.
        service: the searcher (tests pass a fake); default: a
            :class:`hybrid.search.SearchService`, whose model is loaded at start-up when
            ``settings.warm_up`` is set (else on the first search).
    """
    settings = settings or get_settings()
    read_synonyms(settings.synonyms_file)  # a malformed file stops the API here, not on a search
    state = ApiState(settings, service=service)
    app = FastAPI(
        title="Hybrid product search",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=_warm_up(state) if settings.warm_up else None,
    )
    app.state.api = state
    install_auth(app, settings)
    app.include_router(search.router, responses=AUTH_RESPONSES)
    app.include_router(products.router, responses=WRITE_RESPONSES)
    app.include_router(health.router)
    app.include_router(thumbnails.router, responses=AUTH_RESPONSES)
    install_page(app)  # GET / and /static: the search page
    errors.install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, limits=body_limits(settings), default=DEFAULT_MAX_BODY)
    app.add_middleware(RequestIdMiddleware)  # outermost: even a 413 answer carries the id
    install_log_context()
    install_openapi(app, [SearchRequest, ProductRecord])
    return app


def _warm_up(state: ApiState) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """A lifespan that loads the model before the server accepts requests.

    A model that cannot be loaded stops the start-up: every search would fail anyway.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        logger.info("loading the search model (%s)", state.settings.model)
        await anyio.to_thread.run_sync(state.warm_up)
        yield

    return lifespan
