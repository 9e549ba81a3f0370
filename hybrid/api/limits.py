"""Request-size caps and strict JSON decoding.

:class:`BodyLimitMiddleware` refuses a body larger than its route allows with a 413 before the
app sees it: at once when ``Content-Length`` says so, otherwise (chunked uploads) as soon as the
bytes received pass the limit. :func:`loads_strict` is ``json.loads`` without Python's
extensions: ``NaN``, ``Infinity`` and numbers that overflow a float are refused, so they become
a 422 instead of a non-finite float deep inside the search.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final, NoReturn

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hybrid.api.requestid import current_request_id
from hybrid.errors import InvalidRequestError
from hybrid.settings import Settings

KIB: Final = 1024
MIB: Final = 1024 * KIB
#: Room for everything in a request but the image (JSON fields, multipart headers).
OVERHEAD_BYTES: Final = 64 * KIB
#: Bodies of routes without a larger allowance (GET, DELETE, /health).
DEFAULT_MAX_BODY: Final = 64 * KIB
#: ``POST /products``: a batch of up to :data:`MAX_BATCH` records, images as URLs or paths.
PRODUCTS_MAX_BODY: Final = 32 * MIB
#: Records one ``POST /products`` may carry.
MAX_BATCH: Final = 1000


def base64_size(raw: int) -> int:
    """Characters base64 needs for ``raw`` bytes."""
    return 4 * math.ceil(raw / 3)


def body_limits(settings: Settings) -> dict[str, int]:
    """The largest body each path accepts; other paths get :data:`DEFAULT_MAX_BODY`."""
    image = settings.max_image_bytes
    inline_image = base64_size(image) + OVERHEAD_BYTES  # JSON carries images as base64
    return {
        "/search": inline_image,
        "/search/image": image + OVERHEAD_BYTES,
        "/products": max(PRODUCTS_MAX_BODY, inline_image),
    }


def too_large_response(size: int | None, limit: int) -> JSONResponse:
    """The 413 answer for a body above ``limit`` bytes."""
    found = f"{size} bytes" if size is not None else f"more than {limit} bytes"
    return JSONResponse(
        {
            "error": "too_large",
            "detail": f"request body is {found}; the limit is {limit} bytes",
            "request_id": current_request_id(),
        },
        status_code=413,
    )


class BodyLimitMiddleware:
    """Refuse request bodies larger than their path allows (413), before the app reads them.

    The body is read here, up to the limit, and replayed to the app in one message: the app
    reads whole bodies anyway, and this way an oversized body never reaches a parser.

    Args:
        app: the ASGI app to protect.
        limits: path -> the largest body in bytes.
        default: the limit of any other path.
    """

    def __init__(self, app: ASGIApp, *, limits: Mapping[str, int], default: int) -> None:
        self.app = app
        self.limits = dict(limits)
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.get(scope["path"].rstrip("/") or "/", self.default)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await too_large_response(declared, limit)(scope, receive, send)
            return
        body = await _read_body(receive, limit)
        if body is None:
            await too_large_response(None, limit)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(scope: Scope) -> int | None:
    value = Headers(scope=scope).get("content-length")
    return int(value) if value is not None and value.isdigit() else None


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client went away; the app will notice
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # later calls wait for the disconnect, as usual

    return replayed


def _reject_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number; expected a finite number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is out of range; expected a finite number")
    return value


def loads_strict(raw: bytes | str, *, what: str = "request body") -> Any:
    """Decode JSON, refusing ``NaN``, ``Infinity`` and floats that overflow.

    Raises:
        InvalidRequestError: not valid (strict) JSON, with the position when known.
    """
    try:
        return json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(
            f"{what} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from exc
    except RecursionError as exc:
        raise InvalidRequestError(f"{what} is nested too deeply") from exc
    except ValueError as exc:  # parse_constant/parse_float, bad UTF-8, 5000-digit integers
        raise InvalidRequestError(f"{what} is not valid JSON: {exc}") from exc


def json_type(value: Any) -> str:
    """The JSON name of a decoded value's type, for messages."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def json_object(raw: bytes | str, *, what: str) -> dict[str, Any]:
    """Decode ``raw`` strictly (see :func:`loads_strict`); it must be a JSON object.

    Raises:
        InvalidRequestError: empty, not strict JSON, or not an object.
    """
    if not raw.strip():
        raise InvalidRequestError(f"{what} is empty; expected a JSON object")
    data = loads_strict(raw, what=what)
    if not isinstance(data, dict):
        raise InvalidRequestError(f"{what} must be a JSON object; found {json_type(data)}")
    return data


async def read_json_body(request: Request) -> bytes:
    """The raw body of a request that must carry JSON.

    A missing ``Content-Type`` is taken as JSON (``curl --data-binary``); any other type than
    ``application/json`` or ``*+json`` is a 415, which also keeps browsers from posting here
    cross-site without a CORS preflight.
    """
    declared = request.headers.get("content-type")
    media = (declared or "application/json").split(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HTTPException(415, f"expected Content-Type application/json; found {declared!r}")
    return await request.body()
