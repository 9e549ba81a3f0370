"""The one package that talks to Elasticsearch.

Everything else builds request bodies as plain dicts (pure, unit-tested) and hands them here;
only this package imports ``elasticsearch``::

    hybrid.es
    ├── client     the process-wide client (lazy, one per URL); cluster status
    ├── errors     the one error policy (below)
    ├── indices    ensure / create / swap the alias, reindex, refresh, count, drop
    ├── documents  bulk writes with external versions, rejects, get and delete one product
    ├── accounting stored versions and rejects per product, replayable rejects (reconcile)
    ├── reads      _msearch, sources and stored vectors (_mget), scans, the facet vocabulary
    └── searchlog  the search log's template, bulk appends to daily indices, pruning

Error policy, the same for every function: connection errors, timeouts, 429 and 5xx raise
:class:`~hybrid.errors.SearchUnavailableError` (transient); any other 4xx raises
:class:`~hybrid.errors.ElasticsearchRefusedError` (permanent). Messages say what was being done
on which index; the client's own text (hosts, ports) goes to the log only.

The functions are re-exported here, so callers write ``from hybrid import es`` and
``es.msearch(...)``.
"""

from hybrid.es.accounting import (
    StoredReject,
    delete_rejects,
    rejects_by_product,
    replayable_rejects,
    stored_versions,
)
from hybrid.es.client import Client, cluster_status, make_client
from hybrid.es.documents import (
    BulkOutcome,
    bulk_write,
    delete_product,
    get_product,
    stored_documents,
    write_rejects,
)
from hybrid.es.errors import translated
from hybrid.es.indices import (
    alias_target,
    count,
    create_next_index,
    drop_alias,
    ensure_index,
    ensure_rejects_template,
    index_meta,
    refresh,
    reindex,
    swap_alias,
)
from hybrid.es.reads import facet_values, msearch, read_vectors, scan, sources, stored_vectors
from hybrid.es.searchlog import (
    append_searchlog,
    delete_indices,
    ensure_searchlog_template,
    searchlog_indices,
    searchlog_summary,
    unread_words,
)

__all__ = [
    "BulkOutcome",
    "Client",
    "StoredReject",
    "alias_target",
    "append_searchlog",
    "bulk_write",
    "cluster_status",
    "count",
    "create_next_index",
    "delete_indices",
    "delete_product",
    "delete_rejects",
    "drop_alias",
    "ensure_index",
    "ensure_rejects_template",
    "ensure_searchlog_template",
    "facet_values",
    "get_product",
    "index_meta",
    "make_client",
    "msearch",
    "read_vectors",
    "refresh",
    "reindex",
    "rejects_by_product",
    "replayable_rejects",
    "scan",
    "searchlog_indices",
    "searchlog_summary",
    "sources",
    "stored_documents",
    "stored_vectors",
    "stored_versions",
    "swap_alias",
    "translated",
    "unread_words",
    "write_rejects",
]
