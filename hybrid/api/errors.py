"""From exceptions to HTTP answers: one table, one JSON error body.

Domain errors carry no HTTP status; this module decides it. Every error answer has the body
``{"error": <code>, "detail": <readable message>}`` (plus ``reason`` for a rejected image):

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
    """The JSON body of every error answer."""
    return {"error": code, "detail": detail, **extra}


def describe_validation(errors: Sequence[Any]) -> str:
    """One readable line per FastAPI validation problem: ``query.version: Input should be...``."""
    return describe(errors, prefix="invalid request: ")


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HybridSearchError)
    status, code = domain_status(exc)
    extra = {"reason": exc.reason} if isinstance(exc, ImageRejectedError) else {}
    if status == 500:
        logger.error("%s %s failed: %s", request.method, request.url.path, exc, exc_info=exc)
    elif status > 500:
        logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body(code, str(exc), **extra), status_code=status)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    detail = describe_validation(exc.errors())
    return JSONResponse(error_body("invalid_request", detail), status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
    )


async def _deadline(request: Request, exc: Exception) -> JSONResponse:
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(error_body("timeout", str(exc)), status_code=504)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Starlette logs and re-raises the exception after sending this answer.
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
