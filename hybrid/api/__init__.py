"""The HTTP API (FastAPI): search, product ingestion and health.

=========================  ====================================================================
``POST /search``           a JSON :class:`~hybrid.query.request.SearchRequest`
``POST /search/image``     multipart: ``file``, optional ``text``, optional JSON ``request``
``GET /health``            Elasticsearch and Redis reachability (200 when both are up, else 503)
``POST /products``         a JSON array of product records; validated, enqueued for the workers
``GET /products/{id}``     the stored document of one product (404 when missing)
``DELETE /products/{id}``  enqueue a delete (``?version=`` defaults to now in milliseconds)
=========================  ====================================================================

Build the app with :func:`create_app`; ``hybrid serve`` runs it under uvicorn. Domain errors
become 4xx/5xx JSON bodies ``{"error": code, "detail": message}`` in :mod:`hybrid.api.errors`.
"""

from hybrid.api.app import create_app
from hybrid.api.state import Searcher

__all__ = ["Searcher", "create_app"]
