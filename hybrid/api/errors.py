"""From exceptions to HTTP answers: one table, one JSON error body.

Domain errors carry no HTTP status; this module decides it. Every error answer has the body
``{"error": <code>, "detail": <readable message>, "request_id": <id>}`` (plus ``reason`` for a
rejected image). ``detail`` is the public message of :mod:`hybrid.api.redact`: internals (a
client library's text, hosts, ports, paths, URL credentials) go to the server log only, on a
line that carries the same request id (:mod:`hybrid.api.requestid`):

=================================================  ======  =======================
exception                                          status  ``error``
=================================================  ======  =======================
``ProductNotFoundError``                           404     ``not_found``
``ImageRejectedError`` (too many bytes or pixels)  413     ``image_too_large``
``ImageRejectedError`` (any other reason)          422     ``image_rejected``
``InvalidFilterError``                             422     ``invalid_filter``
``InvalidRequestError``, FastAPI validation        422     ``invalid_request``
``ElasticsearchRefusedError`` (a 4xx from ES)     502     ``backend_refused``
``SearchUnavailableError``, ``StackError``         503     ``unavailable``
:class:`~hybrid.api.state.DeadlineExceeded`        504     ``timeout``
``ConfigurationError``                             500     ``configuration_error``
``EmbeddingError``                                 500     ``embedding_error``
``IndexingError``                                  500     ``indexing_error``
``HTTPException`` from FastAPI/Starlette           its     e.g. ``method_not_allowed``
anything else                                      500     ``internal_error``
=================================================  ======  =======================

Every 422 is content the caller can fix (an unknown field, a NaN bound, size over the cap, bytes
that are not an image); 400 is left to bodies the server cannot even parse (a broken multipart
stream, too many form fields), 415 to a JSON route sent another ``Content-Type``. A body over its
route's cap is a 413 from :mod:`hybrid.api.limits`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from hybrid.api.models import ErrorResponse
from hybrid.api.redact import public_message, strip_credentials
from hybrid.api.requestid import current_request_id
from hybrid.api.state import DeadlineExceeded
from hybrid.errors import (
    ConfigurationError,
    ElasticsearchRefusedError,
    EmbeddingError,
    HybridSearchError,
    ImageRejectedError,
    IndexingError,
    InvalidFilterError,
    InvalidRequestError,
    ProductNotFoundError,
    SearchUnavailableError,
    StackError,
)
from hybrid.validation import describe

logger = logging.getLogger(__name__)

#: Image rejection reasons (see :mod:`hybrid.images`) that mean "too big" rather than "bad".
TOO_LARGE_REASONS: Final = frozenset({"too_large", "too_many_pixels"})

#: Checked in order, so a subclass comes before its base class.
_DOMAIN_STATUS: Final[tuple[tuple[type[HybridSearchError], int, str], ...]] = (
    (ProductNotFoundError, 404, "not_found"),
    (ImageRejectedError, 422, "image_rejected"),
    (InvalidFilterError, 422, "invalid_filter"),
    (InvalidRequestError, 422, "invalid_request"),
    (ElasticsearchRefusedError, 502, "backend_refused"),
    (SearchUnavailableError, 503, "unavailable"),
    (StackError, 503, "unavailable"),
    (ConfigurationError, 500, "configuration_error"),
    (EmbeddingError, 500, "embedding_error"),
    (IndexingError, 500, "indexing_error"),
)


def domain_status(exc: HybridSearchError) -> tuple[int, str]:
    """The HTTP status and error code of a domain error."""
    if isinstance(exc, ImageRejectedError) and exc.reason in TOO_LARGE_REASONS:
        return 413, "image_too_large"
    for error_class, status, code in _DOMAIN_STATUS:
        if isinstance(exc, error_class):
            return status, code
    return 500, "internal_error"


def error_body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of every error answer (with the id of the request being served)."""
    return {"error": code, "detail": detail, "request_id": current_request_id(), **extra}


def public_detail(request: Request, exc: BaseException, status: int) -> str:
    """The message of ``exc`` a caller may read; the full one is logged when they differ."""
    full = str(exc)
    settings = getattr(getattr(request.app.state, "api", None), "settings", None)
    image_root = settings.image_root if settings is not None else None
    cause = exc.__cause__ or exc.__context__
    public = public_message(full, status=status, image_root=image_root, cause=cause)
    if public != full and status < 500:  # 5xx are logged in full by their handlers anyway
        logged = strip_credentials(full)
        logger.info("%s %s: %d, in full: %s", request.method, request.url.path, status, logged)
    return public


def describe_validation(errors: Sequence[Any]) -> str:
    """One readable line per FastAPI validation problem: ``query.version: Input should be...``."""
    return describe(errors, prefix="invalid request: ")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HybridSearchError)
    status, code = domain_status(exc)
    extra = {"reason": exc.reason} if isinstance(exc, ImageRejectedError) else {}
    if status == 500:
        logger.error(
            "%s %s failed: %s", request.method, request.url.path, _chain(exc), exc_info=exc
        )
    elif status > 500:
        logger.warning("%s %s: %s", request.method, request.url.path, _chain(exc))
    detail = public_detail(request, exc, status)
    return JSONResponse(error_body(code, detail, **extra), status_code=status)


def _chain(exc: BaseException) -> str:
    """``exc`` and the causes it wraps, for the log: ``message <- Cause: its text``."""
    parts, cause = [str(exc)], exc.__cause__ or exc.__context__
    while cause is not None and len(parts) < 5:
        parts.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    return strip_credentials(" <- ".join(parts))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = describe_validation(exc.errors())
    return JSONResponse(error_body("invalid_request", detail), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    if exc.status_code in (401, 403, 429):  # who was refused, never with the key itself
        logger.info("%s %s: %d %s", request.method, request.url.path, exc.status_code, exc.detail)
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _deadline(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body("timeout", public_detail(request, exc, 504)), status_code=504)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs the traceback (outside the request's context) after this answer: name the
    # request id here so the two can be put together.
    logger.error("%s %s failed: %s", request.method, request.url.path, type(exc).__name__)
    return JSONResponse(
        error_body("internal_error", "internal error; see the server log"), status_code=500
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register every mapping of the module docstring on ``app``."""
    app.add_exception_handler(HybridSearchError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(DeadlineExceeded, _deadline)
    app.add_exception_handler(Exception, _unexpected)


#: The error answers routes document in OpenAPI.
ERROR_RESPONSES: Final[dict[int | str, dict[str, Any]]] = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (413, "The body or the image is too large."),
        (422, "Invalid content: unknown field, bad filter, NaN, size over the cap, not an image."),
        (503, "Elasticsearch or Redis is unavailable."),
        (504, "The request did not finish within the search timeout."),
    )
}
