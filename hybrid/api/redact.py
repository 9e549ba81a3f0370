"""Public error messages: what a caller may read of an exception, and nothing internal.

Domain messages say what was expected and found, which helps a caller; some also quote what
the project was told by a library (a Redis or OS error, a URL with credentials, an absolute
path). :func:`public_message` keeps the first and strips the second:

* everywhere: URL credentials (``//user:pass@`` -> ``//***@``); paths under the image root
  become relative to it, the root itself ``<image root>``; any other absolute path ``<path>``;
* in 5xx answers (failures of the service, not of the request) also: the text of the
  exception's cause (a client library's message becomes its class name), URLs, IP addresses
  and ``host:port`` endpoints.

The API logs the full message under the request id whenever the public one differs, with URL
credentials masked there too (:func:`strip_credentials`): a log is no place for a password.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

_USERINFO: Final = re.compile(r"(?<=://)[^/@\s'\"]+@")
# An absolute path starts after a space, quote, bracket or '=' (never inside a URL or a word).
_ABSOLUTE_PATH: Final = re.compile(r"(?<![\w/:.~-])/[^\s'\"/:,;()\[\]]+(?:/[^\s'\"/:,;()\[\]]*)*")
_URL: Final = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")
_ENDPOINT: Final = re.compile(
    r"(?:\b\d{1,3}(?:\.\d{1,3}){3}\b|\[[0-9A-Fa-f:.]+\]|\blocalhost\b"
    r"|\b[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?=:\d))(?::\d{1,5}\b)?"
)
#: Causes whose text is shorter than this are left alone: too likely to match innocent words.
_MIN_CAUSE_TEXT: Final = 8


def public_message(
    message: str, *, status: int, image_root: Path | None = None, cause: BaseException | None
) -> str:
    """``message`` with the internals of the module docstring removed.

    Args:
        message: the exception's full text.
        status: the HTTP status of the answer; 5xx answers are stripped more.
        image_root: the configured image root, whose paths become relative.
        cause: the exception's ``__cause__`` (or context), whose text goes in 5xx answers.
    """
    text = _without_causes(message, cause) if status >= 500 else message
    text = _USERINFO.sub("***@", text)
    if status >= 500:
        text = _URL.sub("<url>", text)
        text = _ENDPOINT.sub("<host>", text)
    return _without_paths(text, image_root)


def strip_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` part of any URL masked."""
    return _USERINFO.sub("***@", text)


def _without_causes(text: str, cause: BaseException | None) -> str:
    seen = 0
    while cause is not None and seen < 5:  # a chain of wrappers, never a cycle
        quoted = str(cause)
        if len(quoted) >= _MIN_CAUSE_TEXT:
            name = type(cause).__name__
            text = text.replace(quoted, name).replace(" ".join(quoted.split()), name)
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return text


def _without_paths(text: str, image_root: Path | None) -> str:
    if image_root is not None:
        for root in {str(image_root.resolve()), str(image_root)}:
            if root.startswith("/") and len(root) > 1:
                base = re.escape(root.rstrip("/"))
                text = re.sub(base + r"/+(?=[^\s/])", "", text)
                text = re.sub(base + r"(?![^\s'\",;:)\]])", "<image root>", text)
    return _ABSOLUTE_PATH.sub("<path>", text)
