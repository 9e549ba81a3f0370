"""One id per request: in the ``X-Request-ID`` answer header, in error bodies, in every log line.

An incoming ``X-Request-ID`` is kept when it is sane (1 to 128 characters of ``A-Z a-z 0-9 . _
-``), so a proxy's id follows the request through; anything else is replaced by a fresh one.
The id lives in a context variable: worker threads started with ``anyio.to_thread`` copy the
context, so the Elasticsearch client's log lines carry it too. :func:`install_log_context`
prefixes every log record made during a request with ``[request <id>]`` and sets the record's
``request_id`` attribute (``-`` outside requests) for formatters that want a column of it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar
from typing import Any, Final

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER: Final = "X-Request-ID"
_SANE: Final = re.compile(r"[A-Za-z0-9._-]{1,128}")
_current: ContextVar[str | None] = ContextVar("hybrid_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or None outside a request."""
    return _current.get()


def accepted_request_id(value: str | None) -> str:
    """``value`` when it is a sane id, else a new random one (32 hex digits)."""
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Give each HTTP request an id and answer it in the ``X-Request-ID`` header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = accepted_request_id(Headers(scope=scope).get(HEADER))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = request_id
            await send(message)

        token = _current.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _current.reset(token)


_installed: set[str] = set()  # "log" once install_log_context ran


def install_log_context() -> None:
    """Make every log record carry the current request id (idempotent, process-wide).

    A record factory rather than a handler filter: it reaches records of every logger
    (uvicorn, elasticsearch, celery) whatever handlers and formats the process configured.
    """
    if "log" in _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        request_id = _current.get()
        record.request_id = request_id or "-"
        if request_id is not None and isinstance(record.msg, str):
            # Sane ids hold no '%', so the message's own %-arguments are unaffected.
            record.msg = f"[request {request_id}] {record.msg}"
        return record

    logging.setLogRecordFactory(factory)
    _installed.add("log")
