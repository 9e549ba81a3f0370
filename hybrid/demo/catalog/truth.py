"""The latent ground truth of a demo product, and its JSON form in ``truth.jsonl``.

The truth is what the product *really* is and how its photo is drawn. The search engine never
sees it: it sees the messy record built from it. The judged queries are graded from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from hybrid.errors import InvalidRequestError
from hybrid.indexing.feed import read_jsonl

ColourLabel = Literal["field", "description", "none", "wrong"]
"""Where the record states the colour: in the ``colour`` field (and usually the title), only in
the description, nowhere, or in the field but wrongly (the image shows the truth)."""

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ProductTruth:
    """What a demo product really is, plus everything needed to draw its photo.

    Attributes:
        id: the product id, e.g. ``"sku-000001"``.
        group_id: the variant group (one model in several colours).
        category: the leaf category path.
        shape: the silhouette key drawn by the renderer.
        colour_name: the shop colour name of the true colour (display form).
        colour_family: the family of the true colour.
        rgb: the colour actually painted (the shop colour with a slight jitter).
        pattern: one of :data:`hybrid.vocab.PATTERNS`.
        material: one of :data:`hybrid.vocab.MATERIALS`.
        brand: one of :data:`hybrid.vocab.BRANDS`.
        model: the model name shared by the group.
        colour_label: how the record states the colour (see :data:`ColourLabel`).
        labelled_colour: the colour name written in the record, ``None`` if none; differs from
            ``colour_name`` when ``colour_label == "wrong"``.
        variant: a small silhouette variation (0-2) shared by the group.
        pattern_rgb: the colour of stripes, dots or checks.
        background_rgb: the light, neutral photo background.
        scale: the product's longer side as a fraction of the frame.
        offset: the product centre's offset from the frame centre, as fractions of the frame.
        angle: the product's rotation in degrees.
    """

    id: str
    group_id: str
    category: str
    shape: str
    colour_name: str
    colour_family: str
    rgb: RGB
    pattern: str
    material: str
    brand: str
    model: str
    colour_label: ColourLabel
    labelled_colour: str | None
    variant: int
    pattern_rgb: RGB
    background_rgb: RGB
    scale: float
    offset: tuple[float, float]
    angle: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON-able form written to ``truth.jsonl`` (tuples become lists)."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProductTruth:
        """Rebuild a truth from :meth:`to_dict` output.

        Raises:
            InvalidRequestError: if a field is missing.
        """
        names = [f.name for f in fields(cls)]
        missing = [name for name in names if name not in data]
        if missing:
            raise InvalidRequestError(
                f"truth record {data.get('id', '?')!r} lacks fields {missing}; expected {names}"
            )
        values = {name: data[name] for name in names}
        for name in ("rgb", "pattern_rgb", "background_rgb", "offset"):
            values[name] = tuple(values[name])
        return cls(**values)


def iter_json_objects(path: Path, *, what: str) -> Iterator[dict[str, Any]]:
    """Stream the JSON objects of a JSONL file (the feed reader, :func:`read_jsonl`), strictly.

    Raises:
        InvalidRequestError: naming the file and line, if a line is not a JSON object.
    """
    for number, data in read_jsonl(path):
        if isinstance(data, str):
            raise InvalidRequestError(f"{path}:{number} is {data}; expected one {what} per line")
        yield data


def read_truth(path: Path) -> Iterator[ProductTruth]:
    """Stream the truths of a ``truth.jsonl`` file written by ``write_catalog``.

    Raises:
        InvalidRequestError: if a line is not a valid truth record.
    """
    for data in iter_json_objects(path, what="truth record"):
        yield ProductTruth.from_dict(data)
