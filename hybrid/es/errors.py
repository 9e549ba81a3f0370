"""The one error policy of :mod:`hybrid.es`.

Every function of the package runs its requests inside :func:`translated`, so callers meet two
domain errors only, and never the client's own exception text (it can hold hosts and ports):

* connection failures, timeouts, HTTP 429 and 5xx -> :class:`SearchUnavailableError`
  (transient: the same request may succeed later; tasks retry it, the API answers 503);
* any other 4xx -> :class:`ElasticsearchRefusedError` (permanent: the request itself was
  refused; tasks dead-letter it, the API answers 502 or, where the caller's input caused it,
  422);
* a TLS failure (the cluster's certificate is not trusted) -> :class:`ConfigurationError`: no
  retry fixes a wrong CA, so the message says which setting to change.

Callers that expect a status (404 "absent", 409 "stale") ask the client to ignore it instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from elastic_transport import TlsError
from elasticsearch import ApiError, TransportError

from hybrid.errors import ConfigurationError, ElasticsearchRefusedError, SearchUnavailableError

logger = logging.getLogger(__name__)


def is_transient_status(status: int) -> bool:
    """True for answers worth retrying later: 429 (too many requests) and every 5xx."""
    return status == 429 or status >= 500


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Run Elasticsearch requests, translating their failures by the package's policy.

    Args:
        what: what was being done and on which index, e.g. ``"search on 'products'"``; it
            starts the error message.
    """
    try:
        yield
    except ApiError as exc:
        raise _from_status(what, int(exc.status_code), _api_reason(exc)) from exc
    except TlsError as exc:
        logger.warning("%s: TLS with Elasticsearch failed: %s", what, exc)
        raise ConfigurationError(
            f"{what}: the Elasticsearch server's TLS certificate is not trusted; set "
            "HYBRID_ES_CA_FILE to the CA that signed it (or HYBRID_ES_CA_FINGERPRINT to its "
            "SHA-256 fingerprint)"
        ) from exc
    except (TransportError, ConnectionError) as exc:
        # Transport errors name the node's host and port: log them, keep them out of the message.
        logger.warning("%s: Elasticsearch is unavailable: %s", what, exc)
        raise SearchUnavailableError(
            f"{what}: Elasticsearch is unavailable ({type(exc).__name__})"
        ) from exc


def check_item(what: str, item: Mapping[str, Any]) -> None:
    """Apply the policy to one item of a multi-request answer (``_msearch``) that failed."""
    if "error" not in item:
        return
    error = item["error"]
    reason = error.get("type", "error") if isinstance(error, Mapping) else str(error)
    raise _from_status(what, int(item.get("status", 500)), str(reason))


def _from_status(
    what: str, status: int, reason: str
) -> SearchUnavailableError | ElasticsearchRefusedError:
    if is_transient_status(status):
        return SearchUnavailableError(f"{what}: Elasticsearch answered {status} ({reason})")
    return ElasticsearchRefusedError(
        f"{what}: Elasticsearch refused the request ({status}, {reason})", status=status
    )


def _api_reason(exc: ApiError) -> str:
    """The error type Elasticsearch named (e.g. ``illegal_argument_exception``), no free text."""
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error")
    if isinstance(error, Mapping) and isinstance(error.get("type"), str):
        return str(error["type"])
    return str(exc.message) if isinstance(exc.message, str) else "error"
