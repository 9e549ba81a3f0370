"""Deletes leave a tombstone that outlives the longest redelivery: no resurrection.

The products template sets ``index.gc_deletes`` to 1 day (Elasticsearch's default, 60 s, let a
stale v6 recreate a product deleted at v10 70 s later). Waiting a day is not a test; instead the
test checks that the setting is applied, that a stale write after a delete is refused, and, as
the control, that the same sequence on an index that forgets deletes at once does resurrect
the product (so the assertion can fail).
"""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from hybrid import es as es_ops
from hybrid.mapping import VectorSpec, tombstone_seconds
from hybrid.settings import Settings

SPEC = VectorSpec(model_id="test", dims=4, index_type="hnsw")


def _doc(product_id: str) -> dict[str, Any]:
    return {"id": product_id, "title": "t", "text_vector": [1.0, 0.0, 0.0, 0.0]}


def _delete_then_stale_write(es: Elasticsearch, alias: str, product_id: str) -> bool:
    """Write v5, delete at v10, write a stale v6; True when the product came back."""
    assert es_ops.bulk_write(es, alias, [(product_id, 5, _doc(product_id))]).indexed
    assert es_ops.delete_product(es, alias, product_id, 10)
    es_ops.refresh(es, alias)
    es_ops.refresh(es, alias)  # refreshes are when expired tombstones are pruned
    outcome = es_ops.bulk_write(es, alias, [(product_id, 6, _doc(product_id))])
    return bool(outcome.indexed)


def test_a_stale_write_after_a_delete_cannot_resurrect_the_product(
    settings: Settings, es: Elasticsearch
) -> None:
    alias = settings.index_alias
    index = es_ops.ensure_index(es, alias, SPEC)
    applied = es.indices.get_settings(index=index, name="index.gc_deletes")
    assert applied[index]["settings"]["index"]["gc_deletes"] == "1d"
    longest = settings.visibility_timeout * settings.max_deliveries + settings.retry_budget
    print(f"\ntombstones kept {tombstone_seconds():.0f} s; longest redelivery {longest} s")
    assert tombstone_seconds() > longest
    assert not _delete_then_stale_write(es, alias, "sku-kept-dead")
    assert es_ops.get_product(es, alias, "sku-kept-dead") is None

    # The control: with deletes forgotten at once, the same stale write resurrects.
    es.indices.put_settings(index=index, settings={"index.gc_deletes": "0s"})
    assert _delete_then_stale_write(es, alias, "sku-resurrected")
