"""``GET /thumbnails/{id}``: a product's image, small, for the search page.

The image reference comes from the stored product document only, never from the caller, and is
loaded by :func:`hybrid.images.load_image` with the ingestion's rules: a path must resolve
inside the configured image root (no ``..`` or symlink escapes), a URL must be public http(s),
inline bytes are decoded under the same caps. What leaves is a re-encoded JPEG thumbnail, so
only pixels of an image that decoded under those rules are ever sent, never a file's bytes.
"""

from __future__ import annotations

import io
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from PIL import Image

from hybrid.api.auth import SEARCH
from hybrid.api.errors import ERROR_RESPONSES
from hybrid.api.products import fetch_product
from hybrid.api.state import ApiState, get_state
from hybrid.errors import ImageRejectedError, ProductNotFoundError
from hybrid.images import ImageLimits, load_image
from hybrid.schema import IMAGES
from hybrid.settings import Settings

#: What the index stores for an image that came as inline bytes (see build_document).
INLINE_IMAGE: Final = "<bytes>"
#: The longest side of a thumbnail, in pixels.
THUMBNAIL_PX: Final = 320
_JPEG_QUALITY: Final = 85

router = APIRouter(tags=["products"])
State = Annotated[ApiState, Depends(get_state)]


@router.get(
    "/thumbnails/{product_id:path}",
    response_class=Response,
    responses={
        200: {"content": {"image/jpeg": {}}, "description": "A JPEG at most 320 px a side."},
        404: {"description": "No such product, or no image at that position."},
        **ERROR_RESPONSES,
    },
    dependencies=[SEARCH],
    summary="A product's image as a small JPEG (for the search page)",
)
async def thumbnail(
    product_id: Annotated[str, Path(min_length=1, max_length=256, pattern=r"^\S+$")],
    state: State,
    n: Annotated[int, Query(ge=0, le=99, description="Which of the product's images.")] = 0,
) -> Response:
    """The ``n``-th stored image of the product, scaled down and re-encoded."""

    def make() -> bytes:
        return product_thumbnail(state.settings, product_id, n)

    data = await state.run_blocking(make, what=f"the thumbnail of {product_id!r}")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "max-age=300"})


def product_thumbnail(settings: Settings, product_id: str, n: int) -> bytes:
    """JPEG bytes of the product's ``n``-th image, at most :data:`THUMBNAIL_PX` a side.

    Raises:
        ProductNotFoundError: no such product, or it has fewer than ``n + 1`` images.
        ImageRejectedError: the stored reference cannot be loaded safely.
    """
    document = fetch_product(settings, product_id)
    if document is None:
        raise ProductNotFoundError(
            f"product {product_id!r} is not in index {settings.index_alias!r}"
        )
    images = document.get(IMAGES) or []
    if n >= len(images):
        raise ProductNotFoundError(
            f"product {product_id!r} has {len(images)} images; no image at position {n}"
        )
    if images[n] == INLINE_IMAGE:
        raise ProductNotFoundError(
            f"image {n} of product {product_id!r} was sent inline; its bytes are not stored"
        )
    try:
        image = load_image(
            images[n],
            root=settings.image_root,
            limits=ImageLimits.from_settings(settings),
            product_id=product_id,
        )
    except ImageRejectedError as exc:
        # The loader's message may quote the file's first bytes or the root's path: the
        # caller chose neither, so it gets the reason only (the log keeps the whole message).
        raise ImageRejectedError(
            f"image {n} of product {product_id!r} cannot be shown ({exc.reason})",
            reason=exc.reason,
        ) from exc
    return encode_thumbnail(image)


def encode_thumbnail(image: Image.Image, *, size: int = THUMBNAIL_PX) -> bytes:
    """``image`` scaled to fit ``size`` x ``size`` (never enlarged), as JPEG bytes."""
    small = image.copy()
    small.thumbnail((size, size))
    buffer = io.BytesIO()
    small.convert("RGB").save(buffer, format="JPEG", quality=_JPEG_QUALITY)
    return buffer.getvalue()
