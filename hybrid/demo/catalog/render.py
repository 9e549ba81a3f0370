"""Drawing a product's photo from its truth.

A photo is the category's silhouette filled with the product colour, the pattern drawn on it,
darker details and a thin outline, slightly rotated, on a light neutral background with a soft
shadow. Everything comes from the :class:`ProductTruth`, so a photo can be redrawn at any time
and the same truth always gives the same pixels. Drawing happens at twice the requested size
and averaged down, which anti-aliases the edges.
"""

from __future__ import annotations

from PIL import Image, ImageChops, ImageDraw

from hybrid.demo.catalog.shapes import ASPECTS, CUTS, SILHOUETTES, Frame
from hybrid.demo.catalog.truth import RGB, ProductTruth
from hybrid.errors import InvalidRequestError

_SUPERSAMPLE = 2
MIN_IMAGE_SIZE = 16


def render_image(truth: ProductTruth, size: int = 128) -> Image.Image:
    """Draw the product photo.

    Args:
        truth: the product; its shape, colour, pattern and layout fields are used.
        size: the side of the square image in pixels.

    Returns:
        A ``size`` x ``size`` RGB image, identical for identical truths.

    Raises:
        InvalidRequestError: if ``size`` is below 16 or the shape is unknown.
    """
    canvas = size * _SUPERSAMPLE
    frame = _frame(truth, canvas=canvas)
    mask = _mask(truth, frame, canvas=canvas)
    layer = Image.new("RGB", (canvas, canvas), truth.rgb)
    _draw_pattern(ImageDraw.Draw(layer), frame, pattern=truth.pattern, colour=truth.pattern_rgb)
    SILHOUETTES[truth.shape][1](ImageDraw.Draw(layer), frame, truth.variant, _shade(truth.rgb))
    layer.paste(_shade(truth.rgb, 0.55), mask=_edge(mask, width=_SUPERSAMPLE))
    layer.putalpha(mask)
    product = _rotate(layer, truth, frame)
    photo = _background(truth, frame, canvas=canvas)
    photo.paste(product, mask=product)
    return photo.reduce(_SUPERSAMPLE)


def render_mask(truth: ProductTruth, size: int = 128) -> Image.Image:
    """The product's pixels in :func:`render_image` as an ``L`` mask (255 = product).

    Useful to test colour extraction against the exact product region.
    """
    canvas = size * _SUPERSAMPLE
    frame = _frame(truth, canvas=canvas)
    mask = _rotate(_mask(truth, frame, canvas=canvas), truth, frame)
    return mask.reduce(_SUPERSAMPLE)


def _frame(truth: ProductTruth, *, canvas: int) -> Frame:
    if canvas < MIN_IMAGE_SIZE * _SUPERSAMPLE:
        raise InvalidRequestError(
            f"image size for product {truth.id!r} is {canvas // _SUPERSAMPLE} px; "
            f"the minimum is {MIN_IMAGE_SIZE} px"
        )
    if truth.shape not in SILHOUETTES:
        known = ", ".join(sorted(SILHOUETTES))
        raise InvalidRequestError(
            f"product {truth.id!r} has unknown shape {truth.shape!r}; expected one of: {known}"
        )
    aspect = ASPECTS[truth.shape]
    longest = truth.scale * canvas
    width, height = (longest, longest / aspect) if aspect >= 1 else (longest * aspect, longest)
    cx = canvas * (0.5 + truth.offset[0])
    cy = canvas * (0.5 + truth.offset[1])
    return Frame(cx - width / 2, cy - height / 2, width, height)


def _mask(truth: ProductTruth, frame: Frame, *, canvas: int) -> Image.Image:
    mask = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(mask)
    SILHOUETTES[truth.shape][0](draw, frame, truth.variant, 255)
    cut = CUTS.get(truth.shape)
    if cut is not None:
        cut(draw, frame)
    return mask


def _edge(mask: Image.Image, *, width: int) -> Image.Image:
    """The inner rim of the mask, ``width`` pixels wide (an erosion by shifted copies)."""
    eroded = mask
    for dx, dy in ((width, 0), (-width, 0), (0, width), (0, -width)):
        eroded = ImageChops.darker(eroded, ImageChops.offset(mask, dx, dy))
    return ImageChops.subtract(mask, eroded)


def _rotate(image: Image.Image, truth: ProductTruth, frame: Frame) -> Image.Image:
    centre = (frame.x0 + frame.width / 2, frame.y0 + frame.height / 2)
    return image.rotate(truth.angle, resample=Image.Resampling.NEAREST, center=centre)


def _background(truth: ProductTruth, frame: Frame, *, canvas: int) -> Image.Image:
    """The backdrop with a soft shadow under the product."""
    photo = Image.new("RGB", (canvas, canvas), truth.background_rgb)
    draw = ImageDraw.Draw(photo)
    # Concentric ellipses, darker towards the middle: a blur-free soft shadow.
    for step, factor in enumerate((0.95, 0.91, 0.87)):
        inset = 0.1 * step
        shadow = frame.box(0.06 + inset, 0.9 + 0.03 * step, 0.94 - inset, 1.06 - 0.03 * step)
        draw.ellipse(shadow, fill=_shade(truth.background_rgb, factor))
    return photo


def _draw_pattern(draw: ImageDraw.ImageDraw, frame: Frame, *, pattern: str, colour: RGB) -> None:
    """Stripes, dots or checks laid out relative to the product box (stable per model)."""
    step = max(frame.width, frame.height) / 6
    x_count = int(frame.width / step) + 2
    y_count = int(frame.height / step) + 2
    if pattern in ("striped", "checked"):
        band = step * (0.3 if pattern == "striped" else 0.16)
        for j in range(y_count):
            y = frame.y0 + j * step
            draw.rectangle((frame.x0, y, frame.x0 + frame.width, y + band), fill=colour)
    if pattern == "checked":
        for i in range(x_count):
            x = frame.x0 + i * step
            draw.rectangle((x, frame.y0, x + band, frame.y0 + frame.height), fill=colour)
    if pattern == "dotted":
        radius = step * 0.2
        for j in range(y_count):
            for i in range(x_count):
                x = frame.x0 + (i + 0.5 * (j % 2)) * step
                y = frame.y0 + j * step
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)


def _shade(rgb: RGB, factor: float = 0.7) -> RGB:
    r, g, b = (round(channel * factor) for channel in rgb)
    return (r, g, b)
