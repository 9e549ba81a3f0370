"""The search executor: :class:`SearchService` runs a request and shapes the response."""

from hybrid.search.service import SearchService

__all__ = ["SearchService"]
