"""Hybrid product search for e-commerce on Elasticsearch.

The query side (request building, fusion, query understanding), the shared embedding and
configuration code, and the command line live here; the Celery ingestion workers live in
``workers`` and import this package, never the reverse.
"""

__version__ = "0.1.0"
