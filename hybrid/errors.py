"""The project's exception tree.

Every error the project raises on purpose derives from :class:`HybridSearchError`::

    HybridSearchError
    ├── ConfigurationError        settings, model/index mismatch, missing JDK or binaries
    ├── StackError                the local Elasticsearch/Redis stack could not start or stop
    ├── InvalidRequestError       a request the caller can fix
    │   ├── InvalidFilterError    a malformed or unknown filter
    │   ├── ProductNotFoundError  a product id that is not in the index
    │   └── ImageRejectedError    an image that is unsafe, too large, or not an image
    ├── EmbeddingError            the model failed to load or to encode
    ├── IndexingError             bulk writes failed; carries the failed items
    ├── ElasticsearchRefusedError Elasticsearch answered 4xx (not 429): permanent, not retried
    ├── SearchUnavailableError    Elasticsearch (or Redis) cannot be reached, timed out, 429/5xx
    └── KibanaError               Kibana cannot be reached or refused a saved objects import

Domain errors carry no HTTP status: the API layer maps them (404/413/422/500/502/503, see
:mod:`hybrid.api.errors`). The two Elasticsearch classes are the whole policy of
:mod:`hybrid.es`: *unavailable* is transient (retry later), *refused* is permanent.
Errors raised inside Celery tasks must pickle, so every class whose ``__init__`` takes extra
arguments defines ``__reduce__``.
"""

from __future__ import annotations

from typing import Any


class HybridSearchError(Exception):
    """Base class for every error the project raises on purpose."""


class ConfigurationError(HybridSearchError):
    """The configuration is inconsistent or refers to something that does not exist."""


class StackError(HybridSearchError):
    """The local Elasticsearch/Redis stack could not be started, reached or stopped."""


class InvalidRequestError(HybridSearchError):
    """A request (search, ingest record, CLI argument) that the caller can correct."""


class InvalidFilterError(InvalidRequestError):
    """A filter that is malformed, names an unknown field, or has an impossible range."""


class ProductNotFoundError(InvalidRequestError):
    """A product id (e.g. of a "more like this" search) that the index does not hold."""


class ImageRejectedError(InvalidRequestError):
    """An image that was refused: unsafe source, too large, wrong format, undecodable.

    Attributes:
        reason: a short machine-readable class of failure, e.g. ``"too_many_pixels"``.
    """

    def __init__(self, message: str, *, reason: str = "invalid_image") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_image_rejected, (str(self), self.reason))


def _rebuild_image_rejected(message: str, reason: str) -> ImageRejectedError:
    return ImageRejectedError(message, reason=reason)


class EmbeddingError(HybridSearchError):
    """The embedding model could not be loaded or failed to encode its input."""


class IndexingError(HybridSearchError):
    """Bulk indexing failed for some documents.

    Attributes:
        errors: the failed bulk items as Elasticsearch reported them (JSON-able dicts).
    """

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.errors: list[dict[str, Any]] = list(errors or [])

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (str(self), self.errors))


class ElasticsearchRefusedError(HybridSearchError):
    """Elasticsearch refused a request with a 4xx other than 429: retrying will not help.

    Attributes:
        status: the HTTP status Elasticsearch answered (400, 403, 404, 409...).
    """

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_refused, (str(self), self.status))


def _rebuild_refused(message: str, status: int) -> ElasticsearchRefusedError:
    return ElasticsearchRefusedError(message, status=status)


class SearchUnavailableError(HybridSearchError):
    """Elasticsearch or Redis could not be reached, answered too late, 429 or 5xx: transient."""


class KibanaError(HybridSearchError):
    """Kibana could not be reached, or it refused a whole saved objects import."""
