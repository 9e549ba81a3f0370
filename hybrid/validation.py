"""One way to say what is wrong with an input: pydantic's errors as readable lines.

Every entry point that validates (search requests, feed records, the HTTP API's bodies and
parameters) describes problems with :func:`problems`, so a shopper, an operator reading the
rejects index and an API client all read the same words:
``price: Input should be a finite number``, ``colourway: unknown field``.
"""

from __future__ import annotations

import math
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


#: Deepest nesting of objects and arrays a record may have (a record is 3 deep at most:
#: record -> attributes -> list of values; the margin is for the API's own wrappers).
MAX_JSON_DEPTH = 8
#: Most characters of text (keys and strings, inline image bytes aside) one record may hold.
MAX_JSON_TEXT = 256 * 1024
#: Most values (objects, arrays, scalars) one record may hold.
MAX_JSON_NODES = 5_000
#: Keys whose string values are inline image bytes (bounded by the image limits, not here).
_BYTES_KEYS = frozenset({"data"})


def json_problem(
    value: Any,
    *,
    max_depth: int = MAX_JSON_DEPTH,
    max_text: int = MAX_JSON_TEXT,
    max_nodes: int = MAX_JSON_NODES,
    finite: bool = True,
) -> str | None:
    """What makes ``value`` unsafe to queue, store or encode, or None when it is bounded.

    Walks the value without recursion (a 100,000-deep nesting costs no stack), stopping at the
    first problem: nesting deeper than ``max_depth``, more than ``max_text`` characters of text,
    more than ``max_nodes`` values, or (with ``finite``) a float that is NaN or infinite (JSON has
    neither; a model whose float fields refuse them already passes ``finite=False``). The
    answer names where, what was found and the limit: ``"attributes.a.a.a.a.a.a...: nested
    more than 8 levels deep; that is the limit"``.
    """
    text, nodes = 0, 0
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, where = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return f"more than {max_nodes} values; that is the limit"
        if len(where) >= max_depth and isinstance(item, dict | list):
            return f"{_where(where)}: nested more than {max_depth} levels deep; that is the limit"
        problem = _value_problem(item, where, finite=finite)
        if problem is not None:
            return problem
        if isinstance(item, str) and not (where and where[-1] in _BYTES_KEYS):
            text += len(item)
        elif isinstance(item, dict):
            text += sum(len(str(key)) for key in item)
            stack += [(child, (*where, str(key))) for key, child in item.items()]
        elif isinstance(item, list):
            stack += [(child, (*where, str(i))) for i, child in enumerate(item)]
        if text > max_text:
            return f"more than {max_text} characters of text; that is the limit"
    return None


def _value_problem(item: Any, where: tuple[str, ...], *, finite: bool) -> str | None:
    """What makes one value unwritable as JSON Elasticsearch reads, or None."""
    if finite and isinstance(item, float) and not math.isfinite(item):
        return f"{_where(where)}: {item} is not a finite number (JSON has no NaN or Infinity)"
    if isinstance(item, str) and not _is_unicode(item):
        return f"{_where(where)}: a lone surrogate is not Unicode text (invalid UTF-8)"
    if isinstance(item, dict) and not all(_is_unicode(str(key)) for key in item):
        return f"{_where(where)}: a key with a lone surrogate is not Unicode text"
    return None


def _is_unicode(text: str) -> bool:
    """False for a string holding a lone UTF-16 surrogate (JSON's "\\ud800" decodes to one): no
    UTF-8 encodes it, so Elasticsearch refuses the document it is in."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _where(path: tuple[str, ...]) -> str:
    shown = ".".join(path[:6]) + ("..." if len(path) > 6 else "")
    return shown or "value"
