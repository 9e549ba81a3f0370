"""The ingestion pipeline: record -> task -> image -> embed -> document -> bulk.

* :mod:`hybrid.indexing.records` the product record accepted by ingestion.
* :mod:`hybrid.indexing.queue` the Celery configuration and task names shared with ``workers``.
* :mod:`hybrid.indexing.producer` feeds to the queue (or inline), with the report.
* :mod:`hybrid.indexing.pipeline` images, embeddings, documents, bulk and rejects for one batch.
* :mod:`hybrid.indexing.migrate` reindex or re-embed into a new index, then swap the alias.
"""
