"""Least-privilege roles for the three clients of a products alias, and API keys from them.

* **searcher** (the API): read the alias; append to its search log. A ``_bulk`` is refused.
* **indexer** (the workers, ``hybrid ingest``): write products and rejects of the alias, read
  them (stale checks), create the rejects and search-log indices from their templates. It cannot
  delete an index, change a template or move an alias.
* **admin** (``hybrid index``, migrations): manage the alias's indices, aliases and templates.

The descriptors are what ``POST /_security/api_key`` takes as ``role_descriptors`` and what
``roles.yml`` holds (:mod:`hybrid.stack.security` writes them for the local secured node).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from hybrid.es.errors import translated

SEARCHER, INDEXER, ADMIN = "hybrid_searcher", "hybrid_indexer", "hybrid_admin"


def role_descriptors(alias: str) -> dict[str, dict[str, Any]]:
    """The three roles for ``alias`` (its physical indices are ``<alias>-v*``)."""
    products = [alias, f"{alias}-v*"]
    rejects = [f"{alias}-rejects"]
    searchlog = [f"{alias}-searchlog-*"]
    return {
        SEARCHER: {
            "cluster": [],
            "indices": [
                {"names": products, "privileges": ["read", "view_index_metadata"]},
                {"names": searchlog, "privileges": ["create_doc", "create_index"]},
            ],
        },
        INDEXER: {
            # monitor: read templates and cluster health, change nothing.
            "cluster": ["monitor"],
            "indices": [
                {"names": products, "privileges": ["read", "write", "view_index_metadata"]},
                {
                    "names": rejects,
                    "privileges": ["read", "write", "create_index", "view_index_metadata"],
                },
            ],
        },
        ADMIN: {
            # manage_own_api_key: the admin grants the keys of the other two roles.
            "cluster": ["monitor", "manage_index_templates", "manage_own_api_key"],
            "indices": [
                {"names": [*products, *rejects, *searchlog], "privileges": ["all"]},
            ],
        },
    }


def create_api_key(
    client: Elasticsearch, name: str, role: str, alias: str, *, expiration: str | None = None
) -> str:
    """An API key holding only ``role``'s privileges on ``alias``; returns its ``encoded`` form.

    Raises:
        ElasticsearchRefusedError: the cluster refused (no privilege to grant keys, or a
            distribution without the ``analysis-common`` module the ``.security`` index needs).
    """
    descriptors = {role: role_descriptors(alias)[role]}
    with translated(f"creating API key {name!r}"):
        response = client.security.create_api_key(
            name=name, role_descriptors=descriptors, expiration=expiration
        )
    return str(response["encoded"])
