"""JSON through orjson for every body the client sends and reads, NDJSON included.

The standard library's ``json`` spends milliseconds per search on this path: a served request
carries up to three 512-float query vectors out and a few hundred hits with their ``_source``
back, and a bulk request two vectors per product. The Elasticsearch client ships an
``OrjsonSerializer`` for ``application/json`` only; ``_msearch`` and ``_bulk`` are NDJSON, so
:class:`OrjsonNdjsonSerializer` does the same for them. The client maps the compatibility-mode
types (``application/vnd.elasticsearch+json`` and ``+x-ndjson``) to these too.

Values orjson refuses and ``json`` writes (integers beyond 64 bits, strings with lone
surrogates: a feed can carry both) are written by ``json`` exactly as before, so Elasticsearch
still judges such a document on its own (a failed item, a reject with its reason) instead of the
whole request failing in the client. One difference stays: a NaN or infinite float becomes
``null`` (``json`` wrote ``NaN``, which Elasticsearch refused). Records, prices and query vectors
refuse non-finite floats before they get here.
"""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer, Serializer

#: numpy arrays and scalars serialised natively; int or enum dict keys written as strings.
OPTIONS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


class OrjsonSerializer(JsonSerializer):
    """``application/json`` through orjson (dates, UUIDs and Decimals as the client's own)."""

    def json_dumps(self, data: Any) -> bytes:
        """One JSON document (by ``json`` when orjson refuses a value ``json`` can write)."""
        try:
            return orjson.dumps(data, default=self.default, option=OPTIONS)
        except orjson.JSONEncodeError:
            return super().json_dumps(data)

    def json_loads(self, data: bytes) -> Any:
        """One JSON document."""
        return orjson.loads(data)


class OrjsonNdjsonSerializer(OrjsonSerializer, NdjsonSerializer):
    """``application/x-ndjson`` (``_msearch``, ``_bulk``): NDJSON's framing, orjson's lines."""


def serializers() -> dict[str, Serializer]:
    """The client's ``serializers`` argument: orjson for JSON and NDJSON."""
    return {
        JsonSerializer.mimetype: OrjsonSerializer(),
        NdjsonSerializer.mimetype: OrjsonNdjsonSerializer(),
    }
