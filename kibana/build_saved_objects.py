"""Writes kibana/saved_objects.ndjson: the data views, saved searches, Lens panels and dashboard.

Run ``.venv/bin/python kibana/build_saved_objects.py`` after changing an object here; a unit
test fails when the committed NDJSON differs from what this script writes. The NDJSON is what
``hybrid kibana import`` sends to ``POST /api/saved_objects/_import?overwrite=true``.

Format: Kibana 8.x export (Lens ``formBased`` layers; dashboards reference their panels as
``<panel>:panel_<panel>``), which Kibana 9 imports and migrates. The data view titles name the
default alias ``products``; ``hybrid kibana import`` rewrites them for another alias.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "saved_objects.ndjson"
CORE = "8.8.0"
LAYER = "layer1"
KQL = "kuery"

PRODUCTS, REJECTS, SEARCHLOG = "hybrid-products", "hybrid-rejects", "hybrid-searchlog"


# --- data views and saved searches -------------------------------------------------------------
def data_view(view_id: str, title: str, name: str, time_field: str) -> dict[str, Any]:
    """An index-pattern (data view) object."""
    attributes = {"title": title, "name": name, "timeFieldName": time_field, "fields": "[]"}
    return _object("index-pattern", view_id, attributes, [], "8.0.0")


def saved_search(
    search_id: str, title: str, *, view: str, columns: list[str], sort: str, query: str = ""
) -> dict[str, Any]:
    """A Discover session (saved search) over ``view`` showing ``columns``."""
    source = {
        "query": {"query": query, "language": KQL},
        "filter": [],
        "indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
    }
    attributes = {
        "title": title,
        "description": "",
        "columns": columns,
        "sort": [[sort, "desc"]],
        "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source)},
    }
    ref = _ref("index-pattern", view, "kibanaSavedObjectMeta.searchSourceJSON.index")
    return _object("search", search_id, attributes, [ref], "8.0.0")


# --- Lens columns ------------------------------------------------------------------------------
def count(label: str = "Searches") -> dict[str, Any]:
    """A count of documents."""
    return _metric("count", "___records___", label)


def metric(operation: str, field: str, label: str, **params: Any) -> dict[str, Any]:
    """``average``, ``sum``, ``percentile`` (``percentile=95``)... of a numeric field."""
    return _metric(operation, field, label, params)


def _metric(
    operation: str, field: str, label: str, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    column = {
        "label": label,
        "customLabel": True,
        "dataType": "number",
        "operationType": operation,
        "sourceField": field,
        "isBucketed": False,
        "scale": "ratio",
    }
    if params:
        column["params"] = params
    return column


def date_histogram(field: str) -> dict[str, Any]:
    """Buckets of time on a date field."""
    return {
        "label": field,
        "dataType": "date",
        "operationType": "date_histogram",
        "sourceField": field,
        "isBucketed": True,
        "scale": "interval",
        "params": {"interval": "auto", "includeEmptyRows": True, "dropPartials": False},
    }


def terms(field: str, order_by: str, size: int = 10, data_type: str = "string") -> dict[str, Any]:
    """The top ``size`` values of a keyword, boolean or numeric field, by ``order_by``."""
    return {
        "label": f"Top {size} values of {field}",
        "dataType": data_type,
        "operationType": "terms",
        "sourceField": field,
        "isBucketed": True,
        "scale": "ordinal",
        "params": {
            "size": size,
            "orderBy": {"type": "column", "columnId": order_by},
            "orderDirection": "desc",
            "otherBucket": True,
            "missingBucket": False,
        },
    }


# --- Lens visualizations -----------------------------------------------------------------------
def counted(
    lens_id: str, title: str, field: str, *, key: str, size: int, query: str = ""
) -> dict[str, Any]:
    """A search log table: the top ``size`` values of ``field`` (column ``key``) by searches."""
    return lens(
        lens_id,
        title,
        view=SEARCHLOG,
        columns={key: terms(field, "n", size=size), "n": count()},
        visualization=table([key, "n"]),
        query=query,
    )


def lens(
    lens_id: str,
    title: str,
    *,
    view: str,
    columns: dict[str, dict[str, Any]],
    visualization: tuple[str, dict[str, Any]],
    query: str = "",
) -> dict[str, Any]:
    """A Lens object with one layer of ``columns`` on ``view``."""
    kind, state = visualization
    layer = {"columns": columns, "columnOrder": list(columns), "incompleteColumns": {}}
    attributes = {
        "title": title,
        "description": "",
        "visualizationType": kind,
        "state": {
            "datasourceStates": {"formBased": {"layers": {LAYER: layer}}},
            "visualization": state,
            "query": {"query": query, "language": KQL},
            "filters": [],
        },
    }
    ref = _ref("index-pattern", view, f"indexpattern-datasource-layer-{LAYER}")
    return _object("lens", lens_id, attributes, [ref], "8.6.0")


def xy(
    x: str, accessors: list[str], *, split: str | None = None, series: str = "bar_stacked"
) -> tuple[str, dict[str, Any]]:
    """A bar or line chart."""
    layer: dict[str, Any] = {
        "layerId": LAYER,
        "layerType": "data",
        "seriesType": series,
        "xAccessor": x,
        "accessors": accessors,
    }
    if split is not None:
        layer["splitAccessor"] = split
    state = {
        "legend": {"isVisible": True, "position": "right"},
        "valueLabels": "hide",
        "preferredSeriesType": series,
        "layers": [layer],
    }
    return "lnsXY", state


def table(columns: list[str]) -> tuple[str, dict[str, Any]]:
    """A data table of ``columns``."""
    state = {
        "layerId": LAYER,
        "layerType": "data",
        "columns": [{"columnId": column} for column in columns],
    }
    return "lnsDatatable", state


# --- the objects -------------------------------------------------------------------------------
def views() -> list[dict[str, Any]]:
    """The three data views."""
    return [
        data_view(PRODUCTS, "products", "Products (hybrid search)", "indexed_at"),
        data_view(REJECTS, "products-rejects", "Rejected products", "time"),
        data_view(SEARCHLOG, "products-searchlog-*", "Search log", "timestamp"),
    ]


def searches() -> list[dict[str, Any]]:
    """The saved searches, with the columns a search engineer reads."""
    product_columns = [
        *("id", "title", "brand", "category", "colour", "colour_family"),
        *("image_colour_family", "price", "model_id", "mapping_version"),
        *("has_image_vector", "image_count", "image_colour_agrees"),
    ]
    log_columns = [
        *("query", "image_given", "understood", "understood_facets", "unread_words", "filters"),
        *("relaxations", "widened", "total_hits", "zero_results", "latency_ms", "request_id"),
        "fused_top10",
    ]
    reject_columns = ["product_id", "stage", "reason", "message", "attempts", "task_id"]
    return [
        saved_search(
            "hybrid-search-products",
            "Products",
            view=PRODUCTS,
            columns=product_columns,
            sort="indexed_at",
        ),
        saved_search(
            "hybrid-search-colour-disagreements",
            "Products whose image colour disagrees with the label",
            view=PRODUCTS,
            columns=product_columns,
            sort="indexed_at",
            query="image_colour_agrees : false",
        ),
        saved_search(
            "hybrid-search-rejects", "Rejects", view=REJECTS, columns=reject_columns, sort="time"
        ),
        saved_search(
            "hybrid-search-searchlog",
            "Searches",
            view=SEARCHLOG,
            columns=log_columns,
            sort="timestamp",
        ),
        saved_search(
            "hybrid-search-zero-results",
            "Zero-result searches",
            view=SEARCHLOG,
            columns=log_columns,
            sort="timestamp",
            query="zero_results : true",
        ),
    ]


def product_panels() -> list[dict[str, Any]]:
    """Lens panels over the products."""
    return [
        lens(
            "hybrid-lens-indexed-over-time",
            "Products indexed over time",
            view=PRODUCTS,
            columns={"t": date_histogram("indexed_at"), "n": count("Products")},
            visualization=xy("t", ["n"]),
        ),
        lens(
            "hybrid-lens-colour-by-category",
            "Colour family by category",
            view=PRODUCTS,
            columns={
                "c": terms("category", "n", size=20),
                "f": terms("colour_family", "n", size=12),
                "n": count("Products"),
            },
            visualization=xy("c", ["n"], split="f"),
        ),
        lens(
            "hybrid-lens-colour-disagreement",
            "Label vs image colour disagreement",
            view=PRODUCTS,
            columns={
                "label": terms("colour_family", "n", size=12),
                "image": terms("image_colour_family", "n", size=12),
                "n": count("Products"),
            },
            visualization=table(["label", "image", "n"]),
            query="image_colour_agrees : false",
        ),
        lens(
            "hybrid-lens-model-mix",
            "Model, mapping version and image vectors",
            view=PRODUCTS,
            columns={
                "m": terms("model_id", "n", size=5),
                "v": terms("mapping_version", "n", size=5, data_type="number"),
                "i": terms("has_image_vector", "n", size=2, data_type="boolean"),
                "n": count("Products"),
                "c": metric("average", "image_count", "Images per product (mean)"),
            },
            visualization=table(["m", "v", "i", "n", "c"]),
        ),
    ]


def reject_panels() -> list[dict[str, Any]]:
    """Lens panels over the rejects."""
    return [
        lens(
            "hybrid-lens-rejects",
            "Rejects by stage and reason",
            view=REJECTS,
            columns={
                "s": terms("stage", "n", size=10),
                "r": terms("reason", "n", size=20),
                "n": count("Rejects"),
            },
            visualization=table(["s", "r", "n"]),
        )
    ]


def searchlog_panels() -> list[dict[str, Any]]:
    """Lens panels over the search log."""
    top10 = {
        leg: metric("average", f"legs.{leg}.top10", f"{label} hits in the top 10 (mean)")
        for leg, label in (("bm25", "BM25"), ("image_knn", "Image kNN"), ("text_knn", "Text kNN"))
    }
    latency = {
        f"p{p}": metric("percentile", "latency_ms", f"p{p} latency (ms)", percentile=p)
        for p in (50, 95, 99)
    }
    return [
        counted(
            "hybrid-lens-zero-results",
            "Zero-result queries",
            "query",
            key="q",
            size=20,
            query="zero_results : true",
        ),
        lens(
            "hybrid-lens-top-queries",
            "Top queries",
            view=SEARCHLOG,
            columns={
                "q": terms("query", "n", size=20),
                "n": count(),
                "h": metric("average", "total_hits", "Hits (mean)"),
            },
            visualization=table(["q", "n", "h"]),
        ),
        lens(
            "hybrid-lens-understood",
            "Understood vs not",
            view=SEARCHLOG,
            columns={
                "t": date_histogram("timestamp"),
                "u": terms("understood", "n", size=2, data_type="boolean"),
                "n": count(),
            },
            visualization=xy("t", ["n"], split="u"),
        ),
        counted(
            "hybrid-lens-unread-words",
            "Words nothing read (candidates for the synonyms file)",
            "unread_words",
            key="w",
            size=30,
        ),
        counted(
            "hybrid-lens-relaxed",
            "Relaxed searches (understood filters dropped or widened)",
            "relaxations",
            key="r",
            size=10,
            query="relaxed : true",
        ),
        lens(
            "hybrid-lens-leg-share",
            "Each leg's share of the top 10",
            view=SEARCHLOG,
            columns={"t": date_histogram("timestamp"), **top10},
            visualization=xy("t", list(top10), series="line"),
        ),
        lens(
            "hybrid-lens-latency",
            "Latency percentiles",
            view=SEARCHLOG,
            columns={"t": date_histogram("timestamp"), **latency},
            visualization=xy("t", list(latency), series="line"),
        ),
    ]


def dashboard(panels: list[dict[str, Any]]) -> dict[str, Any]:
    """The dashboard: two panels a row, in the order given."""
    entries, references = [], []
    for n, panel in enumerate(panels):
        index = f"p{n + 1}"
        grid = {"x": 24 * (n % 2), "y": 15 * (n // 2), "w": 24, "h": 15, "i": index}
        entries.append(
            {
                "type": panel["type"],
                "gridData": grid,
                "panelIndex": index,
                "embeddableConfig": {},
                "panelRefName": f"panel_{index}",
            }
        )
        references.append(_ref(panel["type"], panel["id"], f"{index}:panel_{index}"))
    attributes = {
        "title": "Hybrid search: catalogue and searches",
        "description": "Products, rejects and the search log (see README: Inspecting in Kibana).",
        "panelsJSON": json.dumps(entries),
        "optionsJSON": json.dumps({"useMargins": True, "hidePanelTitles": False}),
        "timeRestore": True,
        "timeFrom": "now-7d",
        "timeTo": "now",
        "refreshInterval": {"pause": True, "value": 60000},
        "kibanaSavedObjectMeta": {
            "searchSourceJSON": json.dumps({"query": {"query": "", "language": KQL}, "filter": []})
        },
    }
    return _object("dashboard", "hybrid-dashboard", attributes, references, "8.7.0")


def all_objects() -> list[dict[str, Any]]:
    """Every object, referenced objects before the objects that reference them."""
    panels = product_panels() + reject_panels() + searchlog_panels()
    return [*views(), *searches(), *panels, dashboard(panels)]


def _ref(kind: str, target: str, name: str) -> dict[str, str]:
    return {"type": kind, "id": target, "name": name}


def _object(
    kind: str,
    object_id: str,
    attributes: dict[str, Any],
    references: list[dict[str, str]],
    type_version: str,
) -> dict[str, Any]:
    return {
        "type": kind,
        "id": object_id,
        "attributes": attributes,
        "references": references,
        "coreMigrationVersion": CORE,
        "typeMigrationVersion": type_version,
        "managed": False,
    }


def render() -> str:
    """The NDJSON text: one object a line."""
    return "".join(json.dumps(obj, sort_keys=True) + "\n" for obj in all_objects())


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {len(all_objects())} objects to {OUT}")
