"""hybrid.images.load: decoding with Pillow, local paths under the root, image references."""

from __future__ import annotations

import io
import os
import struct
import sys
import threading
import warnings
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

from hybrid.errors import ImageRejectedError
from hybrid.images import (
    ImageLimits,
    ImageRef,
    decode_image_bytes,
    load_image,
)
from hybrid.images import load as load_module


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
    assert "expected one of JPEG, found PNG data" in str(info.value)


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
    if side == 100_000:  # Pillow refuses it before our header check: our limit is still quoted
        assert "is 10,000,000,000 px; the limit is 40 megapixels" in str(info.value)
        assert "178956970" not in str(info.value)


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_pillow_bomb_warning_is_a_rejection_even_under_a_higher_cap() -> None:
    # 100 MP is under this cap but over Pillow's own bomb threshold, which only warns.
    with rejected("too_many_pixels") as info:
        decode_image_bytes(png_header(10_000, 10_000), limits=ImageLimits(max_pixels=10**9))
    assert "100,000,000 px; the decoder's own bound is 89 megapixels" in str(info.value)


def _jpeg_with_malformed_exif(bad_tags: int) -> bytes:
    """A red JPEG whose EXIF block has ``bad_tags`` tags pointing far past its end."""
    entries = b"".join(
        struct.pack("<HHII", 0x1000 + i, 4, 10**6, 0x7FFFFFF0) for i in range(bad_tags)
    )
    ifd = struct.pack("<H", bad_tags) + entries + struct.pack("<I", 0)
    buffer = io.BytesIO()
    exif = b"Exif\x00\x00II*\x00" + struct.pack("<I", 8) + ifd
    Image.new("RGB", (16, 16), (255, 0, 0)).save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def test_a_malformed_exif_block_logs_one_line_not_one_per_tag(
    caplog: pytest.LogCaptureFixture,
) -> None:
    data = _jpeg_with_malformed_exif(4000)
    with warnings.catch_warnings(record=True) as leaked:
        warnings.simplefilter("always")
        out = decode_image_bytes(data, limits=LIMITS, product_id="sku-exif")
    lines = [r for r in caplog.records if r.name == "hybrid.images.load"]
    print(f"4000 bad EXIF tags: {len(leaked)} warnings escaped, {len(lines)} log line(s)")
    assert np.allclose(px(out, 8, 8), (255, 0, 0), atol=8)  # the image itself is fine
    assert leaked == []
    assert len(lines) == 1
    assert "image for product 'sku-exif': the decoder warned 4000 times" in lines[0].getMessage()


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


def test_a_link_swapped_while_loading_never_escapes_the_root(tmp_path: Path) -> None:
    """One thread swaps ``root/photo.png`` between a regular file and a link to a file outside
    the root while this one loads it 1,000 times: every load is the inside image or a
    rejection, never the outside file (resolving, then opening by name, would follow the link).
    """
    root = tmp_path / "root"
    root.mkdir()
    secret = tmp_path / "secret.png"
    secret.write_bytes(encode(Image.new("RGB", (4, 4), (0, 0, 255))))  # blue: the secret
    (root / "photo.png").write_bytes(RED_PNG)
    stop = threading.Event()

    def swap() -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            staged = root / f".staged-{turn}"
            if turn % 2:
                staged.symlink_to(secret)
            else:
                staged.write_bytes(RED_PNG)
            os.replace(staged, root / "photo.png")  # atomic: the name is always there

    swapper = threading.Thread(target=swap, daemon=True)
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so the swap lands inside loads
    swapper.start()
    loaded = escaped = refused = 0
    try:
        for _ in range(1000):
            try:
                image = load_image("photo.png", root=root, limits=LIMITS)
            except ImageRejectedError as exc:
                # Outside (the link seen, at the check or at the open) or, when resolving
                # itself met the swap mid-way, an invalid path: refusals either way.
                assert exc.reason in {"path_outside_root", "not_found"}, exc
                refused += 1
                continue
            loaded += 1
            escaped += image.getpixel((0, 0)) != (255, 0, 0)
    finally:
        stop.set()
        swapper.join(timeout=10)
        sys.setswitchinterval(interval)
    print(f"1000 racing loads: {loaded} inside, {refused} refused, {escaped} escaped")
    assert escaped == 0
    assert loaded > 0 and refused > 0  # the race really ran both ways


def test_a_directory_swapped_for_a_link_after_the_check_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    (root / "shop").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "a.png").write_bytes(RED_PNG)
    (root / "shop" / "a.png").write_bytes(RED_PNG)
    resolved = (root / "shop" / "a.png").resolve()
    (root / "shop" / "a.png").unlink()
    (root / "shop").rmdir()
    (root / "shop").symlink_to(tmp_path / "outside")  # swapped in after the check...
    # ...which is what the check saw: the path as it resolved before the swap.
    monkeypatch.setattr(load_module, "_inside_root", lambda raw, **_: resolved)
    with rejected("path_outside_root") as info:
        load_image("shop/a.png", root=root, limits=LIMITS)
    assert "changed while it was opened (a symbolic link at shop)" in str(info.value)


def test_a_file_that_is_not_an_image_is_named_by_kind_and_never_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "notes.png"
    secret.write_bytes(b"AWS_SECRET=hunter2\n")
    with pytest.raises(ImageRejectedError) as info:
        load_image(ImageRef(path="notes.png"), root=tmp_path, limits=ImageLimits())
    message = str(info.value)
    assert "hunter2" not in message and "AWS" not in message
    assert "19 bytes of unrecognised data" in message
