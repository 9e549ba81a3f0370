"""Colour normalisation: shop colour names and image pixels to one of the 12 colour families.

* :func:`family_of_label` reads what the shop wrote (``"Burgundy"``, ``"Navy Blue"``,
  ``"dusty rose"``) through the vocabulary in :mod:`hybrid.vocab`.
* :func:`family_of_rgb` classifies an sRGB value in CIELAB: low-chroma colours are black, grey or
  white by lightness; the rest take the family of the nearest reference colour.
* :func:`dominant_colour` finds the main colour of the *product* in a photo: it estimates the
  background from the image border, drops pixels close to it, and reports the family covering
  most product pixels (a colour histogram over a precomputed CIELAB table, no clustering).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from PIL import Image

from hybrid.vocab import COLOURS, colour_family_of_word

__all__ = ["DominantColour", "dominant_colour", "family_of_label", "family_of_rgb"]

FloatArray = npt.NDArray[np.float64]

# Gamut corners and a few classic web colours: the shop vocabulary holds plausible product
# colours, which leave saturated extremes (pure blue, cyan, magenta) closer to the wrong family.
_ANCHORS: tuple[tuple[tuple[int, int, int], str], ...] = (
    ((255, 0, 0), "red"),
    ((0, 255, 0), "green"),
    ((0, 128, 0), "green"),
    ((0, 0, 255), "blue"),
    ((0, 0, 139), "blue"),
    ((0, 255, 255), "blue"),
    ((255, 255, 0), "yellow"),
    ((255, 0, 255), "pink"),
    ((128, 0, 128), "purple"),
    ((255, 165, 0), "orange"),
    ((139, 69, 19), "brown"),
)
_ACHROMATIC = frozenset({"black", "grey", "white"})
_ACHROMATIC_CHROMA = 10.0  # below this CIELAB chroma a colour reads as black, grey or white
_BLACK_BELOW_L = 20.0
_WHITE_ABOVE_L = 90.0
# Several colours in one label ("Black/White", "red & gold"): the first one is the main colour.
_PARTS = re.compile(r"\s*(?:/|&|\+|,|;|\band\b|\bwith\b)\s*", re.IGNORECASE)
_WORDS = re.compile(r"[a-z]+")

_WORK_SIDE = 64  # pixels per side the image is reduced to before clustering
_BACKGROUND_DELTA_E = 12.0  # pixels closer than this to the border colour are background
_UNIFORM_BORDER_SHARE = 0.5  # border pixels near their median for the border to be background
_MIN_PRODUCT_SHARE = 0.02  # less foreground than this: treat the whole image as the product


@dataclass(frozen=True)
class DominantColour:
    """The main colour of a product in an image.

    Attributes:
        rgb: the mean sRGB value of the commonest shade of the winning family.
        family: one of the 12 colour families.
        share: the fraction of product (non-background) pixels in that family, 0-1.
    """

    rgb: tuple[int, int, int]
    family: str
    share: float


def family_of_label(label: str | None) -> str | None:
    """Map a shop colour label to its colour family.

    The whole label is looked up first (colour names and synonyms from :mod:`hybrid.vocab`),
    then, for labels naming several colours (``"Black/White"``), the first colour; within a
    colour, its words from the right, since English puts the colour noun last (``"dusty rose"``
    is a rose, ``"blue grey"`` a grey).

    Args:
        label: what the shop wrote, e.g. ``"Burgundy"``, ``"Navy Blue"``, ``"Off-white"``.

    Returns:
        The family, or None when no word of the label is a known colour.
    """
    if label is None or not label.strip():
        return None
    found = colour_family_of_word(label)
    if found is not None:
        return found
    for part in _PARTS.split(label.lower()):
        for candidate in [part, *reversed(_WORDS.findall(part))]:
            found = colour_family_of_word(candidate) if candidate else None
            if found is not None:
                return found
    return None


def family_of_rgb(rgb: tuple[int, int, int]) -> str:
    """Classify an sRGB colour into one of the 12 colour families.

    Args:
        rgb: red, green, blue in 0-255.

    Returns:
        ``black``/``grey``/``white`` for low-chroma colours by lightness, otherwise the family of
        the nearest (CIELAB distance) chromatic reference colour.

    Raises:
        ValueError: a component outside 0-255.
    """
    if len(rgb) != 3 or any(not 0 <= c <= 255 for c in rgb):
        raise ValueError(f"expected an RGB triple of integers in 0-255; found {rgb!r}")
    return _families_of_lab(srgb_to_lab(np.asarray([rgb], dtype=np.float64)))[0]


def srgb_to_lab(rgb: npt.ArrayLike) -> FloatArray:
    """Convert sRGB values (0-255, last axis of size 3) to CIELAB (D65 white).

    Args:
        rgb: an array of shape ``(..., 3)``.

    Returns:
        An array of the same shape holding L* (0-100), a*, b*.
    """
    c = np.asarray(rgb, dtype=np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = linear @ _RGB_TO_XYZ.T / _D65_WHITE
    delta = 6 / 29
    f = np.where(xyz > delta**3, np.cbrt(xyz), xyz / (3 * delta**2) + 4 / 29)
    lightness = 116 * f[..., 1] - 16
    a = 500 * (f[..., 0] - f[..., 1])
    b = 200 * (f[..., 1] - f[..., 2])
    return np.stack([lightness, a, b], axis=-1)


_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_D65_WHITE = np.array([0.95047, 1.0, 1.08883])


def _families_of_lab(lab: FloatArray) -> list[str]:
    """The family of each row of an ``(n, 3)`` Lab array."""
    references, families = _references()
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    distances = ((lab[:, None, :] - references[None, :, :]) ** 2).sum(axis=-1)
    chromatic = np.asarray(families, dtype=object)[distances.argmin(axis=1)]
    lightness = lab[:, 0]
    achromatic = np.where(
        lightness < _BLACK_BELOW_L, "black", np.where(lightness > _WHITE_ABOVE_L, "white", "grey")
    ).astype(object)
    return list(np.where(chroma >= _ACHROMATIC_CHROMA, chromatic, achromatic))


@cache
def _references() -> tuple[FloatArray, tuple[str, ...]]:
    """Lab values and families of the chromatic reference colours (vocabulary + anchors)."""
    pairs = [(c.rgb, c.family) for c in COLOURS.values() if c.family not in _ACHROMATIC]
    pairs += list(_ANCHORS)
    lab = srgb_to_lab(np.asarray([rgb for rgb, _ in pairs], dtype=np.float64))
    return lab, tuple(family for _, family in pairs)


def dominant_colour(image: Image.Image) -> DominantColour:
    """Find the main colour of the product shown in ``image``, ignoring a plain background.

    Each pixel is quantised to 5 bits per channel and looked up in a table holding the CIELAB
    value and colour family of every such bin (built once per process), so no pixel is
    converted or clustered: the family covering most product pixels wins. On the demo catalogue
    this agrees with the k-means it replaced on the family of nearly every image at a fraction
    of the cost (``benchmarks/bench_colour.py`` prints both).

    Args:
        image: an RGB image as :func:`hybrid.images.load_image` returns it (other modes go
            through Pillow's plain ``convert("RGB")``); it is reduced to about 64 px per side.

    Returns:
        The dominant colour (the mean sRGB of the commonest shade, one table bin, of the winning
        family), its family and the share of product pixels the family covers.

    Raises:
        ValueError: the image has no pixels.
    """
    if image.width * image.height == 0:
        raise ValueError(f"expected an image with pixels; found size {image.size}")
    rgb = _small_rgb(image)
    bins = _bin_of(rgb)
    bin_lab, bin_family = _bin_table()
    product = _product_mask(bin_lab[bins]).ravel()
    families = bin_family[bins.ravel()[product]]
    counts = np.bincount(families, minlength=len(_FAMILIES))
    winner = int(counts.argmax())
    in_winner = bins.ravel()[product][families == winner]
    shade = np.bincount(in_winner).argmax()  # the commonest shade of the family, not a blend
    members = rgb.reshape(-1, 3)[product][families == winner][in_winner == shade]
    r, g, b = (int(v) for v in np.rint(members.mean(axis=0)))
    share = float(counts[winner]) / len(families)
    return DominantColour(rgb=(r, g, b), family=_FAMILIES[winner], share=share)


_BIN_BITS = 5  # bits kept per channel: 32,768 bins, each under 4 sRGB steps wide
_FAMILIES: tuple[str, ...] = tuple(sorted({c.family for c in COLOURS.values()}))


def _bin_of(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """The table index of every pixel of an ``(h, w, 3)`` uint8 array."""
    q = (rgb >> (8 - _BIN_BITS)).astype(np.intp)
    return (q[..., 0] << (2 * _BIN_BITS)) | (q[..., 1] << _BIN_BITS) | q[..., 2]


@cache
def _bin_table() -> tuple[FloatArray, npt.NDArray[np.intp]]:
    """CIELAB value and family index (into ``_FAMILIES``) of the centre of every bin."""
    side = 1 << _BIN_BITS
    step = 256 // side
    levels = np.arange(side) * step + step // 2
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    lab = srgb_to_lab(grid)
    index = {family: i for i, family in enumerate(_FAMILIES)}
    families = np.fromiter((index[f] for f in _families_of_lab(lab)), dtype=np.intp)
    return lab, families


def _small_rgb(image: Image.Image) -> npt.NDArray[np.uint8]:
    """The image in RGB, box-reduced to about ``_WORK_SIDE`` px per side, as an array."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    factor = -(-max(image.size) // _WORK_SIDE)  # ceiling division
    if factor > 1:
        image = image.reduce(factor)
    return np.asarray(image, dtype=np.uint8)


def _product_mask(lab: FloatArray) -> npt.NDArray[np.bool_]:
    """True for pixels that are not background; all True if there is no clear background."""
    height, width = lab.shape[:2]
    strip = max(1, min(height, width) // 16)
    border = np.concatenate(
        [
            lab[:strip].reshape(-1, 3),
            lab[-strip:].reshape(-1, 3),
            lab[:, :strip].reshape(-1, 3),
            lab[:, -strip:].reshape(-1, 3),
        ]
    )
    background = np.median(border, axis=0)
    threshold = _BACKGROUND_DELTA_E**2
    border_near = _squared_distance(border, background) < threshold
    everything = np.ones((height, width), dtype=bool)
    if border_near.mean() < _UNIFORM_BORDER_SHARE:
        return everything  # a busy border: no plain background to remove
    product = _squared_distance(lab, background) >= threshold
    return product if product.mean() >= _MIN_PRODUCT_SHARE else everything


def _squared_distance(points: FloatArray, centre: FloatArray) -> FloatArray:
    difference = points - centre
    distances: FloatArray = np.einsum("...i,...i->...", difference, difference)
    return distances
