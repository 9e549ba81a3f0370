"""``POST /search`` (JSON) and ``POST /search/image`` (multipart upload)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse

from hybrid.api.auth import SEARCH
from hybrid.api.errors import ERROR_RESPONSES
from hybrid.api.limits import OVERHEAD_BYTES, json_object, read_json_body
from hybrid.api.models import SearchResponse
from hybrid.api.openapi import json_body, schema_ref
from hybrid.api.state import ApiState, get_state
from hybrid.errors import ImageRejectedError, InvalidRequestError
from hybrid.query.request import SearchRequest, parse_request

router = APIRouter(tags=["search"])
State = Annotated[ApiState, Depends(get_state)]

_SEARCH_BODY = json_body(
    schema_ref(SearchRequest),
    description="What to look for (text, image, product_id), filters, page and ranking. "
    'Images go as `{"url": ...}`, `{"path": ...}` (under the server\'s image root) or '
    '`{"data": <base64>}`. The text is plain words: query syntax is not interpreted.',
)


@router.post(
    "/search",
    response_model=SearchResponse,
    responses=ERROR_RESPONSES,
    dependencies=[SEARCH],
    openapi_extra=_SEARCH_BODY,
    summary="Hybrid search (BM25 + kNN + filters)",
)
async def search(request: Request, state: State) -> JSONResponse:
    """Run a search request given as JSON."""
    data = json_object(await read_json_body(request), what="search request")
    return await _run(state, parse_request(data, settings=state.settings))


@router.post(
    "/search/image",
    response_model=SearchResponse,
    responses=ERROR_RESPONSES,
    form_limits={"max_files": 1, "max_fields": 2, "max_part_size": OVERHEAD_BYTES},
    dependencies=[SEARCH],
    summary="Search with an uploaded image (and optional text)",
)
async def search_image(
    state: State,
    file: Annotated[UploadFile, File(description="The query image: JPEG, PNG, WebP, GIF, BMP.")],
    text: Annotated[str | None, Form(description="Optional words, e.g. `in blue`.")] = None,
    options: Annotated[
        str | None,
        Form(
            alias="request",
            description="Optional JSON SearchRequest without `image` (filters, size, fusion...).",
        ),
    ] = None,
) -> JSONResponse:
    """Run a search whose image is the uploaded file."""
    data = json_object(options, what="form field 'request'") if options else {}
    if "image" in data:
        raise InvalidRequestError(
            "form field 'request' has an 'image'; the image is the uploaded file"
        )
    if text is not None:
        if data.get("text"):
            raise InvalidRequestError("text is given twice (form field and 'request'); give one")
        data["text"] = text
    data["image"] = {"data": await read_upload(file, limit=state.settings.max_image_bytes)}
    return await _run(state, parse_request(data, settings=state.settings))


async def read_upload(file: UploadFile, *, limit: int) -> bytes:
    """The uploaded bytes, refused before reading when the upload is larger than ``limit``.

    Raises:
        ImageRejectedError: too large (``too_large``) or empty (``unsupported_format``).
    """
    name = f"uploaded image {file.filename!r}"
    if file.size is not None and file.size > limit:
        raise ImageRejectedError(
            f"{name} is {file.size} bytes; the limit is {limit} bytes", reason="too_large"
        )
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise ImageRejectedError(
            f"{name} is more than {limit} bytes; the limit is {limit} bytes", reason="too_large"
        )
    if not data:
        raise ImageRejectedError(f"{name} is empty; expected an image", reason="unsupported_format")
    return data


async def _run(state: ApiState, request: SearchRequest) -> JSONResponse:
    def run() -> dict[str, Any]:
        return state.searcher().search(request)

    return JSONResponse(await state.run_blocking(run, what="the search"))
