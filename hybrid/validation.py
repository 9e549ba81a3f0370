"""One way to say what is wrong with an input: pydantic's errors as readable lines.

Every entry point that validates (search requests, feed records, the HTTP API's bodies and
parameters) describes problems with :func:`problems`, so a shopper, an operator reading the
rejects index and an API client all read the same words:
``price: Input should be a finite number``, ``colourway: unknown field``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def problems(errors: Iterable[Mapping[str, Any]], *, subject: str = "request") -> list[str]:
    """One ``where: what`` line per error of ``ValidationError.errors()`` (or FastAPI's).

    Args:
        errors: the error dicts; ``loc`` says where, ``type``/``msg`` what.
        subject: what an error without a location is about (``"request"``, ``"record"``).
    """
    return [_line(error, subject) for error in errors]


def describe(errors: Iterable[Mapping[str, Any]], *, prefix: str, subject: str = "request") -> str:
    """``prefix`` then every problem, ``; ``-separated, on one line."""
    return prefix + "; ".join(problems(errors, subject=subject))


def _line(error: Mapping[str, Any], subject: str) -> str:
    where = ".".join(str(part) for part in error.get("loc", ())) or subject
    kind = error.get("type")
    if kind == "extra_forbidden":
        return f"{where}: unknown field"
    if kind == "json_invalid":
        reason = error.get("ctx", {}).get("error", "cannot be decoded")
        return f"{where}: invalid JSON: {reason}"
    message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
    return f"{where}: {message}"
