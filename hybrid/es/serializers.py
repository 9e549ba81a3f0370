"""JSON through orjson for every body the client sends and reads, NDJSON included.

The standard library's ``json`` spends milliseconds per search on this path: a served request
carries up to three 512-float query vectors out and a few hundred hits with their ``_source``
back, and a bulk request two vectors per product. The Elasticsearch client ships an
``OrjsonSerializer`` for ``application/json`` only; ``_msearch`` and ``_bulk`` are NDJSON, so
:class:`OrjsonNdjsonSerializer` does the same for them. The client maps the compatibility-mode
types (``application/vnd.elasticsearch+json`` and ``+x-ndjson``) to these too.

Differences from ``json`` that matter here, all on inputs the project does not send: NaN and
infinities become ``null`` (``json`` writes ``NaN``, which Elasticsearch refuses as well), and
integers beyond 64 bits are refused. Non-string keys are written as strings, as ``json`` does.
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
        """One JSON document."""
        return orjson.dumps(data, default=self.default, option=OPTIONS)

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
