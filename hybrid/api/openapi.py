"""OpenAPI for routes that read their JSON body themselves.

``/search`` and ``/products`` validate their bodies with the app's own settings (the limits in
:class:`~hybrid.query.request.SearchRequest` depend on them) and a strict JSON decoder, so
FastAPI does not see a body model. These helpers put the models in the published schema anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

_REF = "#/components/schemas/{model}"


def schema_ref(model: type[BaseModel]) -> dict[str, str]:
    """A ``$ref`` to ``model`` in the published components."""
    return {"$ref": _REF.format(model=model.__name__)}


def json_body(schema: dict[str, Any], *, description: str) -> dict[str, Any]:
    """``openapi_extra`` documenting a required JSON request body."""
    content = {"application/json": {"schema": schema}}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def install_openapi(app: FastAPI, models: Sequence[type[BaseModel]]) -> None:
    """Publish ``models`` (and the models they use) under ``components.schemas``."""

    def build() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            for model in models:
                model_schema = model.model_json_schema(ref_template=_REF)
                for name, definition in model_schema.pop("$defs", {}).items():
                    schemas.setdefault(name, definition)
                schemas[model.__name__] = model_schema
            app.openapi_schema = schema
        return app.openapi_schema

    openapi: Callable[[], dict[str, Any]] = build
    app.openapi = openapi  # type: ignore[method-assign]
