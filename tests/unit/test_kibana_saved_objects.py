"""kibana/saved_objects.ndjson checked against the shipped mappings, without a Kibana.

Kibana cannot run on these machines, so this checks what can be checked honestly: the file
parses, ids are unique, every reference resolves inside the file, and every field an object
names exists in the mapping of its data view with a type that supports the use (date for time
fields and date histograms, aggregatable for terms, numeric for metrics). Whether Kibana 9.5
renders the Lens state exactly as meant is not verified here (see the README).
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from hybrid.mapping import rejects_index, searchlog_pattern
from hybrid.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
NDJSON = ROOT / "kibana" / "saved_objects.ndjson"
MAPPINGS = ROOT / "mappings"
VIEW_MAPPING = {"hybrid-products": "products", "hybrid-rejects": "rejects"}
VIEW_MAPPING["hybrid-searchlog"] = "searchlog"
NUMERIC = {"integer", "long", "float", "double", "half_float", "short", "byte"}
AGGREGATABLE = {"keyword", "boolean", "date", *NUMERIC}
#: The dashboard's panels, as the issue lists them.
EXPECTED_PANELS = {
    "Products indexed over time",
    "Rejects by stage and reason",
    "Colour family by category",
    "Label vs image colour disagreement",
    "Model, mapping version and image vectors",
    "Zero-result queries",
    "Top queries",
    "Understood vs not",
    "Words nothing read (candidates for the synonyms file)",
    "Relaxed searches (understood filters dropped or widened)",
    "Each leg's share of the top 10",
    "Latency percentiles",
}


def _lines() -> list[str]:
    return [line for line in NDJSON.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in _lines()]


@pytest.fixture(scope="module")
def by_id(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["id"]: obj for obj in objects}


def _fields(properties: dict[str, Any], prefix: str = "") -> dict[str, dict[str, Any]]:
    """Every field of a mapping by dotted path, multi-fields and object properties included."""
    found: dict[str, dict[str, Any]] = {}
    for name, spec in properties.items():
        path = prefix + name
        if "properties" in spec:
            found.update(_fields(spec["properties"], path + "."))
            continue
        found[path] = spec
        for sub, sub_spec in spec.get("fields", {}).items():
            found[f"{path}.{sub}"] = sub_spec
    return found


def _mapping(view_id: str) -> dict[str, dict[str, Any]]:
    raw = json.loads((MAPPINGS / f"{VIEW_MAPPING[view_id]}.json").read_text())
    return _fields(raw["template"]["mappings"]["properties"])


def _aggregatable(spec: dict[str, Any]) -> bool:
    return spec.get("type") in AGGREGATABLE and spec.get("doc_values", True) is not False


def _view_of(obj: dict[str, Any]) -> str:
    views = {ref["id"] for ref in obj["references"] if ref["type"] == "index-pattern"}
    assert len(views) == 1, f"{obj['id']} reads {views}"
    return views.pop()


def _of_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["type"] == kind]


def test_every_line_parses_into_a_saved_object() -> None:
    lines = _lines()
    assert len(lines) >= 15
    print(f"{len(lines)} saved objects in {NDJSON.name}")
    for number, line in enumerate(lines, start=1):
        obj = json.loads(line)
        assert {"type", "id", "attributes", "references"} <= set(obj), number
        assert obj["attributes"]["title"], number
        for key in ("coreMigrationVersion", "typeMigrationVersion"):
            assert re.fullmatch(r"\d+\.\d+\.\d+", obj[key]), (number, key)


def test_ids_are_unique(objects: list[dict[str, Any]]) -> None:
    repeated = [i for i, n in Counter(obj["id"] for obj in objects).items() if n > 1]
    assert repeated == []


def test_every_reference_resolves_inside_the_file(
    objects: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> None:
    for obj in objects:
        for ref in obj["references"]:
            target = by_id.get(ref["id"])
            assert target is not None, f"{obj['id']} -> missing {ref['id']}"
            assert target["type"] == ref["type"], f"{obj['id']} -> {ref}"
        names = [ref["name"] for ref in obj["references"]]
        assert len(names) == len(set(names)), obj["id"]


def test_reference_names_are_the_ones_each_object_uses(objects: list[dict[str, Any]]) -> None:
    for search in _of_type(objects, "search"):
        source = json.loads(search["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
        assert source["indexRefName"] in {ref["name"] for ref in search["references"]}
    for lens in _of_type(objects, "lens"):
        layers = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
        wanted = {f"indexpattern-datasource-layer-{layer}" for layer in layers}
        assert wanted == {ref["name"] for ref in lens["references"]}, lens["id"]
    (board,) = _of_type(objects, "dashboard")
    panels = json.loads(board["attributes"]["panelsJSON"])
    wanted = {f"{p['panelIndex']}:{p['panelRefName']}" for p in panels}
    assert wanted == {ref["name"] for ref in board["references"]}


def test_data_views_name_the_indices_the_code_writes(by_id: dict[str, dict[str, Any]]) -> None:
    alias = Settings().index_alias
    titles = {view: by_id[view]["attributes"]["title"] for view in VIEW_MAPPING}
    assert titles == {
        "hybrid-products": alias,
        "hybrid-rejects": rejects_index(alias),
        "hybrid-searchlog": searchlog_pattern(alias),
    }


def test_data_view_time_fields_are_dates_in_the_mappings(
    by_id: dict[str, dict[str, Any]],
) -> None:
    for view in VIEW_MAPPING:
        time_field = by_id[view]["attributes"]["timeFieldName"]
        assert _mapping(view)[time_field]["type"] == "date", (view, time_field)
    assert by_id["hybrid-products"]["attributes"]["timeFieldName"] == "indexed_at"


def test_saved_search_columns_and_sorts_exist(objects: list[dict[str, Any]]) -> None:
    searches = _of_type(objects, "search")
    for search in searches:
        fields = _mapping(_view_of(search))
        attributes = search["attributes"]
        missing = [c for c in attributes["columns"] if c not in fields]
        assert missing == [], (search["id"], missing)
        for field, _ in attributes["sort"]:
            assert _aggregatable(fields[field]), (search["id"], field)
    products = next(s for s in searches if s["id"] == "hybrid-search-products")
    wanted = {"id", "title", "brand", "category", "colour", "colour_family", "price"}
    wanted |= {"image_colour_family", "model_id", "mapping_version", "has_image_vector"}
    assert wanted | {"image_count"} <= set(products["attributes"]["columns"])


def _check_column(lens_id: str, column: dict[str, Any], fields: dict[str, Any]) -> None:
    operation, field = column["operationType"], column["sourceField"]
    if operation == "count":
        assert field == "___records___", lens_id
        return
    spec = fields.get(field)
    assert spec is not None, f"{lens_id}: {field} is not mapped"
    if operation == "date_histogram":
        assert spec["type"] == "date", (lens_id, field)
    elif operation == "terms":
        assert _aggregatable(spec), (lens_id, field, spec)
        data_type = "number" if spec["type"] in NUMERIC else spec["type"]
        assert column["dataType"] == ("string" if data_type == "keyword" else data_type)
    else:  # metrics: average, sum, percentile...
        assert spec["type"] in NUMERIC, (lens_id, field, spec)


def test_lens_columns_use_mapped_fields_of_a_fitting_type(objects: list[dict[str, Any]]) -> None:
    checked = 0
    for lens in _of_type(objects, "lens"):
        fields = _mapping(_view_of(lens))
        state = lens["attributes"]["state"]
        for layer in state["datasourceStates"]["formBased"]["layers"].values():
            assert sorted(layer["columns"]) == sorted(layer["columnOrder"]), lens["id"]
            for column in layer["columns"].values():
                _check_column(lens["id"], column, fields)
                checked += 1
            for column in layer["columns"].values():
                order = column.get("params", {}).get("orderBy", {}).get("columnId")
                assert order is None or order in layer["columns"], lens["id"]
    print(f"{checked} Lens columns checked against the mappings")


def _accessors(visualization: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for layer in visualization.get("layers", [visualization]):
        found |= set(layer.get("accessors", []))
        found |= {layer[k] for k in ("xAccessor", "splitAccessor") if k in layer}
        found |= {c["columnId"] for c in layer.get("columns", [])}
    return found


def test_lens_visualizations_show_only_columns_their_layer_has(
    objects: list[dict[str, Any]],
) -> None:
    for lens in _of_type(objects, "lens"):
        state = lens["attributes"]["state"]
        (layer,) = state["datasourceStates"]["formBased"]["layers"].values()
        assert _accessors(state["visualization"]) == set(layer["columns"]), lens["id"]


def _kql_terms(query: str) -> list[tuple[str, str]]:
    return re.findall(r"([\w.]+)\s*:\s*([\w.\"-]+)", query)


def test_queries_name_mapped_fields_with_values_of_their_type(
    objects: list[dict[str, Any]],
) -> None:
    for obj in objects:
        if obj["type"] == "lens":
            query = obj["attributes"]["state"]["query"]["query"]
        elif obj["type"] == "search":
            meta = obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"]
            query = json.loads(meta)["query"]["query"]
        else:
            continue
        fields = _mapping(_view_of(obj))
        for field, value in _kql_terms(query):
            assert field in fields, (obj["id"], field)
            if fields[field]["type"] == "boolean":
                assert value in {"true", "false"}, (obj["id"], query)


def test_the_dashboard_shows_every_listed_panel_once_without_overlap(
    objects: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> None:
    (board,) = _of_type(objects, "dashboard")
    titles = [by_id[ref["id"]]["attributes"]["title"] for ref in board["references"]]
    assert sorted(titles) == sorted(EXPECTED_PANELS)
    assert {ref["id"] for ref in board["references"]} == {
        o["id"] for o in _of_type(objects, "lens")
    }
    cells: set[tuple[int, int]] = set()
    for panel in json.loads(board["attributes"]["panelsJSON"]):
        grid = panel["gridData"]
        assert grid["x"] + grid["w"] <= 48, panel  # Kibana's grid is 48 columns wide
        xs, ys = range(grid["x"], grid["x"] + grid["w"]), range(grid["y"], grid["y"] + grid["h"])
        area = {(x, y) for x in xs for y in ys}
        assert not cells & area, f"panel {panel['panelIndex']} overlaps another"
        cells |= area


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_saved_objects", NDJSON.with_name("build_saved_objects.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_file_is_what_the_generator_writes() -> None:
    rendered: str = _generator().render()
    assert NDJSON.read_text() == rendered, "run .venv/bin/python kibana/build_saved_objects.py"
