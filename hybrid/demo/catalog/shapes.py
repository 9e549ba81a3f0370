"""Product silhouettes, one per category shape, drawn in a unit box.

Each shape has a *mask painter* (draws the silhouette in white on an ``L`` mask) and a *detail
painter* (draws seams, soles, laces in a darker shade on the colour layer). Coordinates are
fractions of the product box, so the renderer can place and scale the product freely.
``variant`` (0-2) changes a model's proportions a little (boot height, sleeve length, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import ImageDraw

Colour = int | tuple[int, int, int]


@dataclass(frozen=True)
class Frame:
    """The product box on the canvas, in pixels."""

    x0: float
    y0: float
    width: float
    height: float

    def p(self, x: float, y: float) -> tuple[float, float]:
        """A point given as fractions of the box."""
        return (self.x0 + x * self.width, self.y0 + y * self.height)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        """A rectangle given as fractions of the box."""
        return (*self.p(x0, y0), *self.p(x1, y1))

    def poly(self, *points: tuple[float, float]) -> list[tuple[float, float]]:
        """A polygon given as fractions of the box."""
        return [self.p(x, y) for x, y in points]

    def w(self, fraction: float) -> int:
        """A line width as a fraction of the box's shorter side (at least 1 px)."""
        return max(1, round(fraction * min(self.width, self.height)))


Painter = Callable[[ImageDraw.ImageDraw, Frame, int, Colour], None]

ASPECTS: dict[str, float] = {
    "sneaker": 1.8,
    "boot": 1.0,
    "tshirt": 1.05,
    "dress": 0.72,
    "trousers": 0.62,
    "handbag": 1.1,
    "backpack": 0.8,
    "cap": 1.35,
    "watch": 0.55,
    "sunglasses": 2.3,
    "mug": 1.15,
    "cushion": 1.0,
}
"""Width / height of each shape's box."""


def _sneaker(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    collar = 0.26 + 0.05 * v
    d.polygon(
        f.poly(
            (0.02, 0.8),
            (0.02, 0.35),
            (0.08, 0.2),
            (0.2, collar),
            (0.32, collar - 0.02),
            (0.42, 0.12),
            (0.5, 0.08),
            (0.56, 0.17),
            (0.66, 0.32),
            (0.8, 0.44),
            (0.92, 0.52),
            (0.98, 0.6),
            (1.0, 0.72),
            (0.99, 0.82),
        ),
        fill=c,
    )
    d.rounded_rectangle(f.box(0.0, 0.76, 1.0, 0.98), radius=f.w(0.08), fill=c)


def _sneaker_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.0, 0.78), f.p(1.0, 0.78)], fill=c, width=f.w(0.04))
    for i in range(4):
        x, y = 0.5 + 0.06 * i, 0.2 + 0.07 * i
        d.line([f.p(x - 0.04, y + 0.06), f.p(x + 0.04, y - 0.05)], fill=c, width=f.w(0.03))


def _boot(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    top = 0.0 + 0.12 * v
    d.rectangle(f.box(0.08, top, 0.48, 0.8), fill=c)
    d.polygon(
        f.poly((0.08, 0.5), (0.5, 0.52), (0.8, 0.62), (0.97, 0.75), (0.98, 0.95), (0.06, 0.95)),
        fill=c,
    )


def _boot_details(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.line([f.p(0.06, 0.9), f.p(0.98, 0.9)], fill=c, width=f.w(0.04))
    d.line([f.p(0.3, 0.14 + 0.12 * v), f.p(0.3, 0.5)], fill=c, width=f.w(0.02))


def _tshirt(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    cuff = 0.38 + 0.08 * v
    d.polygon(
        f.poly(
            (0.37, 0.02),
            (0.15, 0.08),
            (0.0, cuff - 0.08),
            (0.12, cuff + 0.02),
            (0.21, 0.32),
            (0.21, 1.0),
            (0.79, 1.0),
            (0.79, 0.32),
            (0.88, cuff + 0.02),
            (1.0, cuff - 0.08),
            (0.85, 0.08),
            (0.63, 0.02),
        ),
        fill=c,
    )


def _tshirt_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.arc(f.box(0.37, -0.1, 0.63, 0.14), start=0, end=180, fill=c, width=f.w(0.03))
    d.line([f.p(0.21, 0.96), f.p(0.79, 0.96)], fill=c, width=f.w(0.02))


def _tshirt_cut(d: ImageDraw.ImageDraw, f: Frame) -> None:
    d.ellipse(f.box(0.38, -0.1, 0.62, 0.12), fill=0)


def _dress(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    flare = 0.08 * v
    d.polygon(
        f.poly(
            (0.34, 0.0),
            (0.40, 0.0),
            (0.43, 0.1),
            (0.57, 0.1),
            (0.60, 0.0),
            (0.66, 0.0),
            (0.69, 0.25),
            (0.61, 0.38),
            (0.84 + flare, 1.0),
            (0.16 - flare, 1.0),
            (0.39, 0.38),
            (0.31, 0.25),
        ),
        fill=c,
    )


def _dress_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.39, 0.38), f.p(0.61, 0.38)], fill=c, width=f.w(0.03))


def _trousers(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    spread = 0.04 * v
    d.polygon(
        f.poly(
            (0.06, 0.0),
            (0.94, 0.0),
            (1.0, 1.0),
            (0.58 - spread, 1.0),
            (0.5, 0.32),
            (0.42 + spread, 1.0),
            (0.0, 1.0),
        ),
        fill=c,
    )


def _trousers_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.05, 0.07), f.p(0.95, 0.07)], fill=c, width=f.w(0.04))
    d.line([f.p(0.5, 0.07), f.p(0.5, 0.3)], fill=c, width=f.w(0.025))


def _handbag(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.arc(f.box(0.25, 0.0, 0.75, 0.75), start=180, end=360, fill=c, width=f.w(0.09))
    inset = 0.04 * v
    d.polygon(f.poly((0.08 + inset, 0.36), (0.92 - inset, 0.36), (1.0, 1.0), (0.0, 1.0)), fill=c)


def _handbag_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.06, 0.55), f.p(0.94, 0.55)], fill=c, width=f.w(0.025))
    d.rectangle(f.box(0.46, 0.52, 0.54, 0.62), fill=c)


def _backpack(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.arc(f.box(0.35, 0.0, 0.65, 0.3), start=180, end=360, fill=c, width=f.w(0.06))
    d.rounded_rectangle(f.box(0.04, 0.12, 0.96, 1.0), radius=f.w(0.25 + 0.05 * v), fill=c)


def _backpack_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.rounded_rectangle(f.box(0.2, 0.58, 0.8, 0.92), radius=f.w(0.08), outline=c, width=f.w(0.03))
    d.line([f.p(0.2, 0.68), f.p(0.8, 0.68)], fill=c, width=f.w(0.02))


def _cap(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.pieslice(f.box(0.0, 0.08, 0.72, 1.22), start=180, end=360, fill=c)
    d.ellipse(f.box(0.42, 0.52 + 0.02 * v, 1.0, 0.82), fill=c)
    d.ellipse(f.box(0.32, 0.03, 0.4, 0.12), fill=c)


def _cap_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.arc(f.box(0.18, 0.1, 0.54, 1.2), start=180, end=270, fill=c, width=f.w(0.025))
    d.line([f.p(0.0, 0.62), f.p(0.6, 0.62)], fill=c, width=f.w(0.03))


def _watch(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.rounded_rectangle(f.box(0.28, 0.0, 0.72, 1.0), radius=f.w(0.1), fill=c)
    d.ellipse(f.box(0.0, 0.225, 1.0, 0.775), fill=c)
    d.rectangle(f.box(0.92, 0.46, 1.0, 0.54), fill=c)


def _watch_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.ellipse(f.box(0.18, 0.325, 0.82, 0.675), outline=c, width=f.w(0.05))
    centre = f.p(0.5, 0.5)
    d.line([centre, f.p(0.5, 0.38)], fill=c, width=f.w(0.04))
    d.line([centre, f.p(0.7, 0.5)], fill=c, width=f.w(0.04))


def _sunglasses(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.rectangle(f.box(0.0, 0.08, 1.0, 0.24), fill=c)
    for x0, x1 in ((0.01, 0.46), (0.54, 0.99)):
        if v == 0:
            d.ellipse(f.box(x0, 0.1, x1, 0.98), fill=c)
        else:
            d.rounded_rectangle(f.box(x0, 0.1, x1, 0.96), radius=f.w(0.15 * v), fill=c)
    d.rectangle(f.box(0.44, 0.22, 0.56, 0.4), fill=c)


def _sunglasses_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.0, 0.16), f.p(1.0, 0.16)], fill=c, width=f.w(0.06))


def _mug(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    d.ellipse(f.box(0.56, 0.18, 1.0, 0.78), outline=c, width=f.w(0.12))
    d.rounded_rectangle(f.box(0.0, 0.0, 0.76, 1.0), radius=f.w(0.06 + 0.04 * v), fill=c)


def _mug_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.line([f.p(0.0, 0.05), f.p(0.76, 0.05)], fill=c, width=f.w(0.04))


def _cushion(d: ImageDraw.ImageDraw, f: Frame, v: int, c: Colour) -> None:
    pinch = 0.04 + 0.015 * v
    d.polygon(
        f.poly(
            (0.0, 0.0),
            (0.5, pinch),
            (1.0, 0.0),
            (1.0 - pinch, 0.5),
            (1.0, 1.0),
            (0.5, 1.0 - pinch),
            (0.0, 1.0),
            (pinch, 0.5),
        ),
        fill=c,
    )


def _cushion_details(d: ImageDraw.ImageDraw, f: Frame, _v: int, c: Colour) -> None:
    d.ellipse(f.box(0.46, 0.46, 0.54, 0.54), fill=c)


SILHOUETTES: dict[str, tuple[Painter, Painter]] = {
    "sneaker": (_sneaker, _sneaker_details),
    "boot": (_boot, _boot_details),
    "tshirt": (_tshirt, _tshirt_details),
    "dress": (_dress, _dress_details),
    "trousers": (_trousers, _trousers_details),
    "handbag": (_handbag, _handbag_details),
    "backpack": (_backpack, _backpack_details),
    "cap": (_cap, _cap_details),
    "watch": (_watch, _watch_details),
    "sunglasses": (_sunglasses, _sunglasses_details),
    "mug": (_mug, _mug_details),
    "cushion": (_cushion, _cushion_details),
}
"""Mask painter and detail painter for every shape in :data:`hybrid.vocab.CATEGORIES`."""

CUTS: dict[str, Callable[[ImageDraw.ImageDraw, Frame], None]] = {"tshirt": _tshirt_cut}
"""Holes cut out of a mask after painting (the t-shirt's neckline)."""
