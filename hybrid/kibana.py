"""Kibana saved objects: read the shipped NDJSON, adapt it to an alias, import it.

``kibana/saved_objects.ndjson`` (written by ``kibana/build_saved_objects.py``) holds the data
views, saved searches, Lens panels and the dashboard. :func:`import_saved_objects` sends it the
way the Saved Objects API takes it: ``POST /api/saved_objects/_import?overwrite=true``, a
multipart body whose ``file`` field is the NDJSON, a ``kbn-xsrf`` header and, when a key is
given, ``Authorization: ApiKey <key>``. The objects have fixed ids, so importing again
overwrites them: the import is idempotent.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import httpx

from hybrid.errors import ConfigurationError, KibanaError

#: The alias the shipped data view titles name; :func:`for_alias` rewrites them.
DEFAULT_ALIAS: Final = "products"
IMPORT_PATH: Final = "/api/saved_objects/_import"

Status = Literal["created", "overwritten", "error"]


@dataclass(frozen=True)
class Outcome:
    """What Kibana did with one object of the file."""

    type: str
    id: str
    title: str
    status: Status
    detail: str = ""


def saved_objects_path() -> Path:
    """The shipped NDJSON: ``kibana/`` in a source tree, ``hybrid/_kibana/`` when installed."""
    source_tree = Path(__file__).resolve().parent.parent / "kibana" / "saved_objects.ndjson"
    if source_tree.is_file():
        return source_tree
    return Path(__file__).resolve().parent / "_kibana" / "saved_objects.ndjson"


def load_objects(path: Path) -> list[dict[str, Any]]:
    """The saved objects of an NDJSON file, one a line.

    Raises:
        ConfigurationError: the file cannot be read, or a line is not a JSON object with a
            ``type`` and an ``id``.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ConfigurationError(f"cannot read saved objects {path}: {exc}") from exc
    objects = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise ConfigurationError(f"{path}:{number} is not JSON: {exc}") from exc
        if not isinstance(obj, dict) or not obj.get("type") or not obj.get("id"):
            raise ConfigurationError(f"{path}:{number}: expected an object with a type and an id")
        objects.append(obj)
    return objects


def for_alias(objects: Sequence[dict[str, Any]], alias: str) -> list[dict[str, Any]]:
    """``objects`` with the data view titles naming ``alias`` instead of ``products``."""
    if alias == DEFAULT_ALIAS:
        return list(objects)
    adapted = []
    for obj in objects:
        title = obj.get("attributes", {}).get("title", "")
        if obj["type"] == "index-pattern" and title.startswith(DEFAULT_ALIAS):
            renamed = alias + title.removeprefix(DEFAULT_ALIAS)
            adapted.append({**obj, "attributes": {**obj["attributes"], "title": renamed}})
        else:
            adapted.append(obj)
    return adapted


def to_ndjson(objects: Sequence[dict[str, Any]]) -> bytes:
    """The NDJSON body of ``objects``."""
    return "".join(json.dumps(obj) + "\n" for obj in objects).encode()


def import_saved_objects(
    url: str,
    objects: Sequence[dict[str, Any]],
    *,
    api_key: str | None = None,
    timeout: float = 60.0,
) -> list[Outcome]:
    """Import ``objects`` into the Kibana at ``url``, overwriting; one outcome per object.

    Raises:
        KibanaError: Kibana cannot be reached, or refused the request as a whole.
    """
    headers = {"kbn-xsrf": "hybrid"}
    if api_key:
        headers["Authorization"] = f"ApiKey {api_key}"
    files = {"file": ("saved_objects.ndjson", to_ndjson(objects), "application/ndjson")}
    target = url.rstrip("/") + IMPORT_PATH
    try:
        response = httpx.post(
            target, params={"overwrite": "true"}, headers=headers, files=files, timeout=timeout
        )
    except httpx.HTTPError as exc:
        raise KibanaError(f"cannot reach Kibana at {url}: {type(exc).__name__}") from exc
    body = _json(response)
    if response.status_code != 200:
        reason = body.get("message") or body.get("error") or response.reason_phrase
        raise KibanaError(f"Kibana answered {response.status_code} to the import: {reason}")
    return outcomes(objects, body)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def outcomes(objects: Sequence[dict[str, Any]], body: dict[str, Any]) -> list[Outcome]:
    """One :class:`Outcome` per sent object, from the ``_import`` answer ``body``."""
    done = {(r.get("type"), r.get("id")): r for r in body.get("successResults") or []}
    failed = {(e.get("type"), e.get("id")): e for e in body.get("errors") or []}
    result = []
    for obj in objects:
        key, title = (obj["type"], obj["id"]), obj.get("attributes", {}).get("title", "")
        if key in failed:
            detail = _error_detail(failed[key].get("error") or {})
            result.append(Outcome(obj["type"], obj["id"], title, "error", detail))
        elif key in done:
            status: Status = "overwritten" if done[key].get("overwrite") else "created"
            result.append(Outcome(obj["type"], obj["id"], title, status))
        else:
            result.append(Outcome(obj["type"], obj["id"], title, "error", "not in the answer"))
    return result


def _error_detail(error: dict[str, Any]) -> str:
    kind = str(error.get("type", "unknown"))
    missing = error.get("references") or []
    if missing:
        names = ", ".join(f"{m.get('type')}/{m.get('id')}" for m in missing)
        return f"{kind}: {names}"
    return f"{kind}: {error['message']}" if error.get("message") else kind
