"""hybrid.images.load: decoding with Pillow, local paths under the root, image references."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence
from pydantic import ValidationError
from support.images import (
    LIMITS,
    RED_PNG,
    encode,
    png_header,
    px,
    rejected,
)

from hybrid.images import (
    ImageLimits,
    ImageRef,
    decode_image_bytes,
    load_image,
)


def test_decodes_png_to_rgb() -> None:
    image = decode_image_bytes(RED_PNG, limits=LIMITS)
    assert (image.mode, image.size, image.getpixel((3, 3))) == ("RGB", (8, 8), (255, 0, 0))


@pytest.mark.parametrize(
    "data",
    [
        encode(Image.new("RGB", (8, 8)), "TIFF"),
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        b"",
    ],
    ids=["tiff", "svg", "empty"],
)
def test_unsupported_format_is_rejected(data: bytes) -> None:
    with rejected("unsupported_format"):
        decode_image_bytes(data, limits=LIMITS)


def test_format_allow_list_reads_the_header_not_a_name() -> None:
    with rejected("unsupported_format") as info:
        decode_image_bytes(RED_PNG, limits=ImageLimits(allowed_formats=frozenset({"JPEG"})))
    assert "expected one of JPEG, found data starting b'\\x89PNG" in str(info.value)


def test_multi_picture_jpeg_counts_as_jpeg(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), (255, 0, 0)), Image.new("RGB", (8, 8), (0, 0, 255))]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])
    (tmp_path / "photo.png").write_bytes(data)  # the name says PNG; the header decides
    limits = ImageLimits(allowed_formats=frozenset({"JPEG"}))
    out = load_image("photo.png", root=tmp_path, limits=limits)
    assert np.allclose(px(out, 4, 4), (255, 0, 0), atol=8)


@pytest.mark.parametrize("side", [7_000, 10_000, 100_000], ids=["ours", "pil-warn", "pil-error"])
def test_pixel_bomb_is_rejected_from_the_header(side: int) -> None:
    with rejected("too_many_pixels") as info:
        decode_image_bytes(png_header(side, side), limits=LIMITS, product_id="sku-42")
    assert "product 'sku-42'" in str(info.value)
    if side == 7_000:
        assert "7000x7000 px; the limit is 40 megapixels" in str(info.value)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_is_a_rejection_even_under_a_higher_cap() -> None:
    # 100 MP is under this cap but over Pillow's own bomb threshold, which only warns.
    with rejected("too_many_pixels"):
        decode_image_bytes(png_header(10_000, 10_000), limits=ImageLimits(max_pixels=10**9))


def test_truncated_file_is_rejected() -> None:
    noise = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    data = encode(Image.fromarray(noise))
    with rejected("corrupt"):
        decode_image_bytes(data[: len(data) // 2], limits=LIMITS)


def test_too_many_bytes_is_rejected() -> None:
    with rejected("too_large"):
        decode_image_bytes(RED_PNG, limits=ImageLimits(max_bytes=len(RED_PNG) - 1))


def test_rgba_is_composited_on_white() -> None:
    image = Image.new("RGBA", (2, 1))
    image.putpixel((0, 0), (255, 0, 0, 0))
    image.putpixel((1, 0), (0, 0, 255, 128))
    out = decode_image_bytes(encode(image), limits=LIMITS)
    assert out.getpixel((0, 0)) == (255, 255, 255)
    assert np.allclose(px(out, 1, 0), (127, 127, 255), atol=2)


def _palette_with_transparency() -> bytes:
    image = Image.new("P", (2, 1))
    image.putpalette([0, 0, 0, 255, 0, 0])
    image.putpixel((1, 0), 1)
    return encode(image, transparency=0)


def _la() -> bytes:
    image = Image.new("LA", (2, 1), (0, 0))
    image.putpixel((1, 0), (0, 255))
    return encode(image)


def _sixteen_bit() -> bytes:
    return encode(Image.fromarray(np.array([[0, 32896]], dtype=np.uint16)))


@pytest.mark.parametrize(
    ("data", "left", "right"),
    [
        (_palette_with_transparency(), (255, 255, 255), (255, 0, 0)),
        (_la(), (255, 255, 255), (0, 0, 0)),
        (_sixteen_bit(), (0, 0, 0), (128, 128, 128)),
        (encode(Image.new("1", (2, 1), 1)), (255, 255, 255), (255, 255, 255)),
    ],
    ids=["P+transparency", "LA", "I;16", "1-bit"],
)
def test_every_mode_becomes_rgb(
    data: bytes, left: tuple[int, int, int], right: tuple[int, int, int]
) -> None:
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.mode == "RGB"
    assert (out.getpixel((0, 0)), out.getpixel((1, 0))) == (left, right)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), "JPEG", quality=95)
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.mode == "RGB"
    assert np.allclose(px(out, 8, 8), (255, 0, 0), atol=6)


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    out = decode_image_bytes(encode(image, "JPEG", exif=exif, quality=95), limits=LIMITS)
    assert out.size == (20, 40)
    assert np.allclose(px(out, 10, 5), (255, 0, 0), atol=12)  # left became top
    assert np.allclose(px(out, 10, 35), (0, 0, 255), atol=12)


def test_animated_gif_gives_the_first_frame() -> None:
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=50)
    assert len(list(ImageSequence.Iterator(Image.open(io.BytesIO(data))))) == 2
    out = decode_image_bytes(data, limits=LIMITS)
    assert out.getpixel((4, 4)) == (255, 0, 0)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    inside = tmp_path / "root"
    inside.mkdir()
    (inside / "red.png").write_bytes(RED_PNG)
    (tmp_path / "secret.png").write_bytes(RED_PNG)
    return inside


def test_path_inside_root_loads(root: Path) -> None:
    (root / "alias.png").symlink_to(root / "red.png")
    for ref in ("red.png", "alias.png", str(root / "red.png"), ImageRef(path="./red.png")):
        assert load_image(ref, root=root, limits=LIMITS).getpixel((0, 0)) == (255, 0, 0)


def test_paths_are_refused_without_a_root(root: Path) -> None:
    with rejected("path_not_allowed"):
        load_image(str(root / "red.png"), root=None, limits=LIMITS)


@pytest.mark.parametrize(
    "ref", ["../secret.png", "nowhere/../../secret.png", "../nothing.png", "ABS"]
)
def test_path_traversal_is_rejected(root: Path, ref: str) -> None:
    ref = str(root.parent / "secret.png") if ref == "ABS" else ref
    with rejected("path_outside_root"):
        load_image(ref, root=root, limits=LIMITS)


def test_symlink_escaping_root_is_rejected(root: Path) -> None:
    (root / "escape.png").symlink_to(root.parent / "secret.png")
    with rejected("path_outside_root"):
        load_image("escape.png", root=root, limits=LIMITS)


@pytest.mark.parametrize("ref", ["missing.png", "."])
def test_missing_or_non_regular_file_is_rejected(root: Path, ref: str) -> None:
    with rejected("not_found"):
        load_image(ref, root=root, limits=LIMITS)


def test_file_size_is_checked_before_reading(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(Path, "open", no_open)
    with rejected("too_large"):
        load_image("red.png", root=root, limits=ImageLimits(max_bytes=10))


def test_image_ref_from_plain_strings() -> None:
    assert ImageRef.model_validate("https://cdn.shop/a.png").url == "https://cdn.shop/a.png"
    assert ImageRef.model_validate("HTTP://cdn.shop/a.png").url is not None
    assert ImageRef.model_validate("img/a.png").path == "img/a.png"
    assert ImageRef.model_validate("ftp://x/a.png").url == "ftp://x/a.png"  # refused on load


def test_image_ref_data_is_base64_in_json() -> None:
    ref = ImageRef(data=RED_PNG)
    as_json = ref.model_dump_json()
    assert '"data":"iVBORw0KGgo' in as_json
    assert ImageRef.model_validate_json(as_json) == ref
    assert ImageRef.model_validate(ref.model_dump()) == ref  # Python mode: raw bytes
    with pytest.raises(ValidationError, match="expected base64"):
        ImageRef.model_validate({"data": "not base64!"})


@pytest.mark.parametrize(
    "payload",
    [{}, {"path": "a.png", "url": "https://x/a.png"}, {"path": "a.png", "colour": "red"}],
)
def test_image_ref_needs_exactly_one_known_field(payload: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ImageRef.model_validate(payload)
