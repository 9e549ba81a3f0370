"""Index templates and names, built as plain dicts from the JSON in ``mappings/``.

Physical indices are versioned behind an alias: ``<alias>-v<mapping version>-<UTC timestamp>``.
The index ``_meta`` records the model, its dims and normalisation, the text model of the
``text_model_vector`` field (when it is on) and the mapping version, so a writer whose models do
not match the index is refused before it writes a single vector.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from hybrid.errors import ConfigurationError
from hybrid.schema import BBQ_TYPES, CLIP_VECTOR_FIELDS, HNSW_TYPES, TEXT_MODEL_VECTOR
from hybrid.settings import VectorIndexType

MAX_DIMS = 4096  # the dense_vector limit of Elasticsearch
MIN_BBQ_DIMS = 64  # Elasticsearch refuses bbq quantisation below this


@dataclass(frozen=True)
class VectorSpec:
    """What the vectors in an index are: which model made them, how many dims, normalised.

    ``text_model_id`` and ``text_dims`` describe ``text_model_vector`` (the text model leg);
    both None when that leg is off, and the field is then left out of the mapping.
    """

    model_id: str
    dims: int
    normalised: bool = True
    index_type: VectorIndexType = "int8_hnsw"
    text_model_id: str | None = None
    text_dims: int | None = None

    def __post_init__(self) -> None:
        _check_dims(self.model_id, self.dims, self.index_type)
        if (self.text_model_id is None) != (self.text_dims is None):
            raise ConfigurationError(
                f"text model {self.text_model_id!r} with {self.text_dims} dims: give both the "
                "text model's id and dims, or neither (the text model leg is off)"
            )
        if self.text_model_id is not None and self.text_dims is not None:
            _check_dims(self.text_model_id, self.text_dims, self.index_type)

    def meta(self, mapping_version: int) -> dict[str, Any]:
        """The index ``_meta`` block (the text model's keys only when it is on)."""
        fields = {k: v for k, v in asdict(self).items() if v is not None}
        return {**fields, "mapping_version": mapping_version, "managed_by": "hybrid"}

    def identity(self) -> dict[str, Any]:
        """What a writer's vectors must agree on with an index's ``_meta``."""
        return {
            "model_id": self.model_id,
            "dims": self.dims,
            "normalised": self.normalised,
            "text_model_id": self.text_model_id,
            "text_dims": self.text_dims,
        }


def _check_dims(model_id: str, dims: int, index_type: VectorIndexType) -> None:
    low = MIN_BBQ_DIMS if index_type in BBQ_TYPES else 1
    if not low <= dims <= MAX_DIMS:
        raise ConfigurationError(
            f"model {model_id!r} gives {dims}-dim vectors; {index_type} "
            f"vectors need {low} to {MAX_DIMS} dims"
        )


def _mappings_dir() -> Path:
    source_tree = Path(__file__).resolve().parent.parent / "mappings"
    return source_tree if source_tree.is_dir() else Path(__file__).resolve().parent / "_mappings"


@cache
def _load(name: str) -> dict[str, Any]:
    path = _mappings_dir() / f"{name}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"cannot read index template {path}: {exc}") from exc
    return data


def mapping_version() -> int:
    """The mapping version of ``mappings/products.json``."""
    return int(_load("products")["mapping_version"])


_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}


def tombstone_seconds() -> float:
    """How long the products indices remember a delete (``index.gc_deletes``), in seconds.

    A write older than the delete is refused for that long; after it, a stale redelivery could
    resurrect the product, so :func:`hybrid.indexing.queue.celery_config` checks that it
    outlasts the longest redelivery.
    """
    value = str(_load("products")["template"]["settings"]["index"].get("gc_deletes", "60s"))
    for unit in sorted(_UNITS, key=len, reverse=True):
        number = value.removesuffix(unit)
        if number != value and number.replace(".", "", 1).isdigit():
            return float(number) * _UNITS[unit]
    raise ConfigurationError(f"index.gc_deletes is {value!r}; expected a time such as '1d'")


def products_template(alias: str, spec: VectorSpec) -> dict[str, Any]:
    """The body of ``PUT _index_template/<alias>`` for the products indices."""
    raw = _load("products")
    template = copy.deepcopy(raw["template"])
    properties = template["mappings"]["properties"]
    for field in CLIP_VECTOR_FIELDS:
        properties[field] = _vector_mapping(properties[field], spec, spec.dims)
    if spec.text_dims is None:
        del properties[TEXT_MODEL_VECTOR]  # the leg is off: a strict mapping refuses the field
    else:
        properties[TEXT_MODEL_VECTOR] = _vector_mapping(
            properties[TEXT_MODEL_VECTOR], spec, spec.text_dims
        )
    version = int(raw["mapping_version"])
    template["mappings"]["_meta"] = spec.meta(version)
    return {
        "index_patterns": [f"{alias}-v*"],
        "priority": 200,
        "version": version,
        "template": template,
        "_meta": {"description": f"products behind alias {alias}", "mapping_version": version},
    }


def _vector_mapping(base: dict[str, Any], spec: VectorSpec, dims: int) -> dict[str, Any]:
    mapping = {**base, "dims": dims}
    options: dict[str, Any] = {"type": spec.index_type}
    if spec.index_type in HNSW_TYPES:  # flat types take no graph parameters
        graph = base["index_options"]
        options.update({"m": graph["m"], "ef_construction": graph["ef_construction"]})
    mapping["index_options"] = options
    return mapping


def rejects_template(alias: str) -> dict[str, Any]:
    """The body of ``PUT _index_template/<alias>-rejects`` for the dead-letter index."""
    raw = _load("rejects")
    return {
        "index_patterns": [rejects_index(alias)],
        "priority": 200,
        "version": int(raw["mapping_version"]),
        "template": copy.deepcopy(raw["template"]),
    }


def rejects_index(alias: str) -> str:
    """Name of the dead-letter index for ``alias``."""
    return f"{alias}-rejects"


def searchlog_template(alias: str) -> dict[str, Any]:
    """The body of ``PUT _index_template/<alias>-searchlog`` for the daily search log indices."""
    raw = _load("searchlog")
    return {
        "index_patterns": [searchlog_pattern(alias)],
        "priority": 200,
        "version": int(raw["mapping_version"]),
        "template": copy.deepcopy(raw["template"]),
    }


def searchlog_pattern(alias: str) -> str:
    """The pattern of every search log index of ``alias`` (a Kibana data view's title)."""
    return f"{alias}-searchlog-*"


def searchlog_index(alias: str, day: date) -> str:
    """The search log index of ``alias`` for one UTC day, e.g. ``products-searchlog-2026.12.03``."""
    return f"{alias}-searchlog-{day:%Y.%m.%d}"


def searchlog_day(alias: str, index: str) -> date | None:
    """The day of a search log index of ``alias``, or None when ``index`` is not one."""
    prefix = f"{alias}-searchlog-"
    if not index.startswith(prefix):
        return None
    try:
        return datetime.strptime(index.removeprefix(prefix), "%Y.%m.%d").date()
    except ValueError:
        return None


def physical_index_name(alias: str, *, now: datetime | None = None) -> str:
    """A new physical index name for ``alias``, e.g. ``products-v1-20261122t021500123``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dt%H%M%S%f")[:-3]
    return f"{alias}-v{mapping_version()}-{stamp}"


def check_meta(index: str, meta: dict[str, Any] | None, spec: VectorSpec) -> None:
    """Refuse to write vectors of ``spec`` into ``index`` whose ``_meta`` says otherwise.

    Raises:
        ConfigurationError: naming what the index holds and what the writer has.
    """
    meta = meta or {}
    expected = spec.identity()
    found = {key: meta.get(key) for key in expected}
    if found != expected:
        raise ConfigurationError(
            f"index {index!r} holds vectors of {found}, but this writer's models give "
            f"{expected}; re-embed with `hybrid index migrate` or configure the index's models "
            "(HYBRID_MODEL, HYBRID_TEXT_MODEL)"
        )
