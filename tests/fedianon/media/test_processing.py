"""The upload pipeline: type detection, bombs, metadata stripping, orientation, formats,
preview, meta and BlurHash. Pure: no database, no HTTP."""

from __future__ import annotations

import io
import random
import time

import pytest
from PIL import ExifTags, Image, ImageCms, ImageFile, ImageSequence, PngImagePlugin

from fedianon.errors import ValidationFailed
from fedianon.media import processing
from fedianon.media.processing import (
    MAX_FRAMES,
    MSG_INVALID_TYPE,
    MSG_TOO_LARGE,
    MSG_TOO_MANY_FRAMES,
    MSG_UNPROCESSABLE,
    ProcessedImage,
    meta_with_focus,
    process_image,
)
from tests.fedianon.media.images import (
    XMP,
    blank_png,
    blurhash_average,
    blurhash_components,
    encode,
    exif_with_gps,
    noise,
    png_header_only,
    quadrants,
)

MB = 1024 * 1024


def run(data: bytes, declared: str | None = "image/jpeg", **kwargs: object) -> ProcessedImage:
    kwargs.setdefault("max_bytes", 16 * MB)
    return process_image(data, declared_type=declared, **kwargs)  # type: ignore[arg-type]


def refused(data: bytes, **kwargs: object) -> str:
    with pytest.raises(ValidationFailed) as info:
        run(data, **kwargs)
    assert info.value.status_code == 422
    return info.value.message


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def close(a: tuple[int, ...], b: tuple[int, ...], tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a, b, strict=True))


# --- metadata and orientation ------------------------------------------------------------


def test_jpeg_gps_exif_comment_and_xmp_are_gone_and_orientation_is_applied() -> None:
    # Orientation 6: the camera was turned; viewers rotate 90 degrees clockwise.
    source = quadrants(40, 20)
    data = encode(
        source,
        "JPEG",
        exif=exif_with_gps(orientation=6).tobytes(),
        comment=b"taken by jane@campus.example",
        xmp=XMP,
        quality=95,
    )
    assert b"Exif" in data and b"jane@" in data and b"Jane Student" in data  # the fixture works

    result = run(data)
    assert result.content_type == "image/jpeg" and result.extension == ".jpg"
    assert result.type == "image" and not result.animated
    for blob in (result.original, result.preview):
        assert b"Exif" not in blob
        assert b"jane@" not in blob and b"Jane Student" not in blob
        assert b"PhoneMaker" not in blob and b"SerialPhone" not in blob
        assert b"http://ns.adobe.com/xap/1.0/" not in blob
        out = opened(blob)
        assert len(out.getexif()) == 0
        assert ExifTags.IFD.GPSInfo not in out.getexif()
        assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(out.info)

    out = opened(result.original)
    assert out.size == (20, 40)  # width and height swapped
    assert out.format == "JPEG" and out.info.get("progressive") == 1
    # The red top-left corner is now top-right.
    assert close(out.getpixel((17, 2)), (255, 0, 0), 40)
    assert close(out.getpixel((2, 2)), (0, 0, 255), 40)
    assert close(out.getpixel((2, 37)), (0, 0, 255), 40)


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (1, (40, 20), (2, 2)),
        (3, (40, 20), (37, 17)),  # 180 degrees
        (8, (20, 40), (2, 37)),  # 90 degrees counter-clockwise
        (2, (40, 20), (37, 2)),  # mirrored
    ],
)
def test_every_orientation_lands_the_corner_where_a_viewer_shows_it(
    orientation: int, size: tuple[int, int], red_at: tuple[int, int]
) -> None:
    data = encode(quadrants(40, 20), "PNG", exif=exif_with_gps(orientation).tobytes())
    out = opened(run(data, declared="image/png").original)
    assert out.size == size
    assert out.getpixel(red_at)[:3] == (255, 0, 0)
    assert b"eXIf" not in run(data).original


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
@pytest.mark.parametrize(
    "exif",
    [
        b"Exif\x00\x00garbage, not TIFF at all",
        b"Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\xff\xff\x01\x12",
        # A valid IFD with orientation 9, which does not exist.
        b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x12\x01\x03\x00\x01\x00"
        b"\x00\x00\x09\x00\x00\x00",
    ],
    ids=["not-tiff", "truncated-ifd", "orientation-9"],
)
def test_broken_exif_does_not_cost_the_upload(exif: bytes) -> None:
    data = encode(quadrants(40, 20), "JPEG", exif=exif)
    result = run(data)
    assert b"Exif" not in result.original
    assert opened(result.original).size == (40, 20)


def test_png_text_chunks_icc_and_exif_are_dropped_alpha_kept() -> None:
    image = Image.new("RGBA", (30, 30), (10, 200, 30, 255))
    image.paste((0, 0, 0, 0), (0, 0, 15, 30))
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Student")
    info.add_text("Comment", "jane@campus.example", zip=True)
    info.add_itxt("Description", "Dorm room 214", lang="en")
    info.add_text("XML:com.adobe.xmp", XMP.decode())
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(image, "PNG", pnginfo=info, icc_profile=srgb, exif=exif_with_gps().tobytes())
    for marker in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf"):
        assert marker in data

    result = run(data, declared="image/png")
    assert result.content_type == "image/png" and result.extension == ".png"
    for marker in (b"tEXt", b"zTXt", b"iTXt", b"iCCP", b"eXIf", b"Jane", b"jane@", b"Dorm"):
        assert marker not in result.original
    out = opened(result.original)
    assert out.mode == "RGBA" and out.text == {}
    assert out.getpixel((2, 2))[3] == 0 and out.getpixel((25, 2)) == (10, 200, 30, 255)
    # Transparency survives in the preview too: WebP, not JPEG.
    assert result.preview_content_type == "image/webp" and result.preview_extension == ".webp"
    preview = opened(result.preview)
    assert preview.format == "WEBP" and preview.mode == "RGBA"
    assert preview.getpixel((2, 2))[3] == 0


def test_opaque_rgba_png_loses_its_useless_alpha() -> None:
    data = encode(Image.new("RGBA", (10, 10), (1, 2, 3, 255)), "PNG")
    result = run(data)
    assert opened(result.original).mode == "RGB"
    assert result.preview_content_type == "image/jpeg"


def test_palette_png_with_transparency_and_greyscale_modes() -> None:
    palette = Image.new("P", (16, 16), 1)
    palette.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    palette.paste(0, (0, 0, 8, 16))
    data = encode(palette, "PNG", transparency=0)
    result = run(data)
    out = opened(result.original)
    assert out.mode == "P" and out.info.get("transparency") == 0  # the palette is kept
    rgba = out.convert("RGBA")
    assert rgba.getpixel((1, 1))[3] == 0 and rgba.getpixel((12, 1)) == (0, 255, 0, 255)
    assert result.preview_content_type == "image/webp"

    # A palette image that must shrink is resampled in RGBA, not with nearest neighbour.
    out = opened(run(data, max_pixels=64).original)
    assert out.mode == "RGBA" and out.size == (8, 8)

    # A PNG colour key (tRNS on an RGB image) becomes real alpha instead of being lost.
    keyed = encode(Image.new("RGB", (4, 4), (1, 2, 3)), "PNG", transparency=(1, 2, 3))
    out = opened(run(keyed).original)
    assert out.mode == "RGBA" and out.getpixel((0, 0))[3] == 0

    for mode in ("1", "L", "LA"):
        image = Image.new(mode, (8, 8), 1 if mode == "1" else (200 if mode == "L" else (200, 128)))
        result = run(encode(image, "PNG"))
        assert opened(result.original).mode in ("L", "RGB", "RGBA")


def test_16_bit_greyscale_png_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (4, 1))
    image.frombytes(b"".join(v.to_bytes(2, "little") for v in (0, 4112, 32896, 65535)))
    out = opened(run(encode(image, "PNG")).original)
    assert out.mode == "L"
    assert [out.getpixel((x, 0)) for x in range(4)] == [0, 16, 128, 255]


def test_webp_exif_and_xmp_chunks_are_dropped() -> None:
    data = encode(quadrants(32, 16), "WEBP", exif=exif_with_gps(6).tobytes(), xmp=XMP, quality=95)
    assert b"EXIF" in data and b"XMP " in data
    result = run(data, declared="image/webp")
    assert result.content_type == "image/webp" and result.extension == ".webp"
    assert b"EXIF" not in result.original and b"XMP " not in result.original
    assert b"ICCP" not in result.original
    out = opened(result.original)
    assert out.format == "WEBP" and out.size == (16, 32) and len(out.getexif()) == 0


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (16, 16), (0, 255, 255, 0))  # red in CMYK
    data = encode(cmyk, "JPEG", quality=95)
    assert opened(data).mode == "CMYK"
    result = run(data)
    out = opened(result.original)
    assert out.mode == "RGB"
    assert close(out.getpixel((8, 8)), (255, 0, 0), 20)
    assert result.preview_content_type == "image/jpeg"


def test_icc_profile_is_applied_then_dropped_and_a_broken_one_ignored() -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    colour = (180, 90, 30)
    data = encode(Image.new("RGB", (16, 16), colour), "JPEG", icc_profile=srgb, quality=95)
    out = opened(run(data).original)
    assert "icc_profile" not in out.info
    assert close(out.getpixel((8, 8)), colour, 6)

    broken = encode(Image.new("RGB", (16, 16), colour), "JPEG", icc_profile=b"not a profile")
    out = opened(run(broken).original)
    assert "icc_profile" not in out.info
    assert close(out.getpixel((8, 8)), colour, 6)


def test_mpo_jpeg_keeps_its_primary_picture_as_a_plain_jpeg() -> None:
    first, second = Image.new("RGB", (20, 10), (250, 0, 0)), Image.new("RGB", (20, 10), "blue")
    data = encode(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(data)).format == "MPO"
    result = run(data)
    out = opened(result.original)
    assert result.content_type == "image/jpeg" and out.format == "JPEG"
    assert getattr(out, "n_frames", 1) == 1
    assert close(out.getpixel((5, 5)), (250, 0, 0))


# --- GIF and other animations --------------------------------------------------------------


def _animated_gif(**extra: object) -> bytes:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255)]
    frames = [Image.new("RGB", (16, 12), c) for c in colours]
    return encode(
        frames[0],
        "GIF",
        save_all=True,
        append_images=frames[1:],
        duration=[100, 200, 300],
        loop=0,
        comment=b"jane@campus.example",
        **extra,
    )


def test_animated_gif_keeps_frames_and_timing_but_not_comments() -> None:
    data = _animated_gif()
    assert b"jane@" in data
    result = run(data, declared="image/gif")
    assert result.content_type == "image/gif" and result.type == "image" and result.animated
    assert b"jane@" not in result.original
    out = Image.open(io.BytesIO(result.original))
    assert out.n_frames == 3 and out.info.get("loop") == 0
    seen = []
    for frame in ImageSequence.Iterator(out):
        seen.append((frame.convert("RGB").getpixel((8, 6)), frame.info["duration"]))
    assert seen == [((255, 0, 0), 100), ((0, 255, 0), 200), ((0, 0, 255), 300)]
    assert "comment" not in out.info
    # The preview is a still of the first frame.
    assert result.preview_content_type == "image/jpeg"
    preview = opened(result.preview)
    assert close(preview.getpixel((8, 6)), (255, 0, 0), 20)
    assert result.meta["original"]["size"] == "16x12"


def test_static_gif_keeps_its_palette_and_transparency() -> None:
    image = Image.new("P", (10, 10), 1)
    image.putpalette([0, 0, 0, 255, 255, 0] + [0] * 762)
    image.paste(0, (0, 0, 5, 10))
    data = encode(image, "GIF", transparency=0, comment=b"jane@campus.example")
    result = run(data, declared="image/gif")
    assert not result.animated and b"jane@" not in result.original
    out = opened(result.original)
    assert out.format == "GIF" and out.info.get("transparency") == 0
    rgba = out.convert("RGBA")
    assert rgba.getpixel((1, 1))[3] == 0 and rgba.getpixel((8, 1)) == (255, 255, 0, 255)
    assert result.preview_content_type == "image/webp"


def test_animations_are_budgeted_over_all_their_frames() -> None:
    frames = [Image.new("RGB", (100, 100), (i * 5, 0, 0)) for i in range(20)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert refused(data, decode_limit_pixels=150_000) == MSG_TOO_LARGE
    assert run(data, decode_limit_pixels=250_000).animated


def test_thousands_of_tiny_frames_are_refused() -> None:
    frames = [Image.new("P", (1, 1), i % 2) for i in range(MAX_FRAMES + 1)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], optimize=False)
    started = time.perf_counter()
    assert refused(data) == MSG_TOO_MANY_FRAMES
    assert time.perf_counter() - started < 1.0


def test_animated_gif_larger_than_the_matrix_limit_is_scaled_frame_by_frame() -> None:
    result = run(_animated_gif(), max_pixels=48)
    out = Image.open(io.BytesIO(result.original))
    assert out.n_frames == 3 and out.size == (8, 6)
    assert result.meta["original"]["size"] == "8x6"


def test_animated_webp_and_apng_keep_their_frames() -> None:
    frames = [Image.new("RGBA", (12, 12), c) for c in ((255, 0, 0, 255), (0, 0, 255, 128))]
    webp = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=[50, 70])
    result = run(webp, declared="image/webp")
    assert result.animated and result.content_type == "image/webp"
    assert Image.open(io.BytesIO(result.original)).n_frames == 2

    apng = encode(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=[50, 70])
    result = run(apng, declared="image/png")
    assert result.animated and result.content_type == "image/png"
    out = Image.open(io.BytesIO(result.original))
    assert out.n_frames == 2 and out.format == "PNG"


# --- type detection ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared"),
    [
        (b"just some text, named photo.jpg\n" * 10, "image/jpeg"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "image/png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "image/svg+xml"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"", "image/jpeg"),
    ],
    ids=["text", "pdf", "svg", "heic", "empty"],
)
def test_non_images_are_refused_whatever_they_claim(data: bytes, declared: str) -> None:
    assert refused(data, declared=declared) == MSG_INVALID_TYPE


@pytest.mark.parametrize("fmt", ["TIFF", "BMP", "ICO", "PPM"])
def test_images_in_other_formats_are_refused(fmt: str) -> None:
    assert refused(encode(Image.new("RGB", (8, 8)), fmt)) == MSG_INVALID_TYPE


def test_the_bytes_decide_not_the_declared_type() -> None:
    data = encode(quadrants(), "PNG")
    for declared in ("image/jpeg", "application/octet-stream", None):
        assert run(data, declared=declared).content_type == "image/png"


# --- broken files, sizes and bombs ---------------------------------------------------------


def test_truncated_jpeg_is_a_clear_422() -> None:
    data = encode(noise(64, 64), "JPEG", quality=95)
    assert refused(data[: len(data) // 2]) == MSG_UNPROCESSABLE


def test_mangled_files_only_ever_raise_validation_failed() -> None:
    rng = random.Random(7)
    samples = [
        encode(noise(24, 24), "JPEG"),
        encode(noise(24, 24), "PNG"),
        encode(noise(24, 24), "WEBP"),
        _animated_gif(),
    ]
    for data in samples:
        for _ in range(40):
            mangled = bytearray(data)
            if rng.random() < 0.5:
                mangled = mangled[: rng.randrange(1, len(mangled))]
            else:
                for _ in range(rng.randrange(1, 8)):
                    mangled[rng.randrange(len(mangled))] = rng.randrange(256)
            try:
                run(bytes(mangled))
            except ValidationFailed as exc:
                assert exc.message in (MSG_INVALID_TYPE, MSG_UNPROCESSABLE, MSG_TOO_LARGE)


def test_over_max_bytes_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("the file was opened")

    monkeypatch.setattr(processing.Image, "open", no_open)
    message = refused(b"\xff\xd8" + b"x" * (2 * MB), max_bytes=2 * MB)
    assert message == "Validation failed: File file size must be less than 2 MB"
    assert refused(b"x" * 3000, max_bytes=1536) == (
        "Validation failed: File file size must be less than 1.5 KB"
    )


def test_a_50_megapixel_image_is_refused_from_its_header(monkeypatch: pytest.MonkeyPatch) -> None:
    data = blank_png(10_000, 5_000)
    assert len(data) < 64 * 1024  # a real, valid PNG: 1-bit pixels compress to nothing
    decoded = []
    original_load = ImageFile.ImageFile.load

    def spying_load(self: ImageFile.ImageFile) -> object:
        decoded.append(self.size)
        return original_load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spying_load)
    started = time.perf_counter()
    assert refused(data, declared="image/png") == MSG_TOO_LARGE
    assert time.perf_counter() - started < 1.0
    assert decoded == []


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_between_pillows_warning_and_its_error_is_refused_too() -> None:
    # 100 megapixels: Pillow only warns in open(); our header check refuses it.
    assert refused(png_header_only(10_000, 10_000)) == MSG_TOO_LARGE


def test_beyond_pillows_own_guard_is_refused_the_same_way() -> None:
    # 200 megapixels, more than twice Image.MAX_IMAGE_PIXELS: Pillow raises in open().
    assert refused(png_header_only(20_000, 10_000)) == MSG_TOO_LARGE
    assert Image.MAX_IMAGE_PIXELS == 89_478_485  # global state left alone


def test_a_20_megapixel_image_is_scaled_under_the_matrix_limit() -> None:
    data = blank_png(5_000, 4_000)
    result = run(data, declared="image/png")
    original = result.meta["original"]
    assert original["width"] * original["height"] <= 16_777_216
    assert original["width"] * original["height"] > 16_000_000
    assert abs(original["aspect"] - 1.25) < 0.001
    assert opened(result.original).size == (original["width"], original["height"])


def test_smaller_limits_are_honoured() -> None:
    result = run(encode(quadrants(400, 300), "JPEG"), max_pixels=30_000)
    assert result.meta["original"]["width"] * result.meta["original"]["height"] <= 30_000
    assert result.meta["original"]["width"] == 200


# --- preview, meta, focus ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "small"),
    [
        ((1600, 900), (640, 360)),  # Mastodon's small: 230,400 pixels
        ((1000, 1000), (480, 480)),
        ((300, 200), (300, 200)),  # never upscaled
        ((4000, 100), (3035, 75)),  # floor(4000 * 0.7589), floor(100 * 0.7589)
    ],
)
def test_preview_size_and_meta_shape(size: tuple[int, int], small: tuple[int, int]) -> None:
    result = run(encode(Image.new("RGB", size, (90, 120, 200)), "JPEG"))
    assert result.meta == {
        "original": {
            "width": size[0],
            "height": size[1],
            "size": f"{size[0]}x{size[1]}",
            "aspect": size[0] / size[1],
        },
        "small": {
            "width": small[0],
            "height": small[1],
            "size": f"{small[0]}x{small[1]}",
            "aspect": small[0] / small[1],
        },
        "focus": {"x": 0.0, "y": 0.0},
    }
    assert small[0] * small[1] <= 230_400
    preview = opened(result.preview)
    assert preview.format == "JPEG" and preview.size == small
    assert result.preview_content_type == "image/jpeg" and result.preview_extension == ".jpg"
    assert isinstance(result.meta["original"]["aspect"], float)


def test_meta_with_focus_copies_and_clamps() -> None:
    meta = run(encode(quadrants(), "PNG")).meta
    focused = meta_with_focus(meta, 0.25, -2)
    assert focused["focus"] == {"x": 0.25, "y": -1.0}
    assert meta["focus"] == {"x": 0.0, "y": 0.0}
    assert focused["original"] == meta["original"] and focused["original"] is not meta["original"]
    assert meta_with_focus(meta, float("nan"), 3)["focus"] == {"x": 0.0, "y": 1.0}


def test_result_is_frozen() -> None:
    result = run(encode(quadrants(), "PNG"))
    with pytest.raises(AttributeError):
        result.blurhash = "x"  # type: ignore[misc]


def test_pipeline_blurhash_uses_mastodons_components_and_the_average_colour() -> None:
    result = run(encode(Image.new("RGB", (64, 48), (200, 40, 90)), "PNG"))
    assert len(result.blurhash) == 4 + 2 * 16
    assert blurhash_components(result.blurhash) == (4, 4)
    assert close(blurhash_average(result.blurhash), (200, 40, 90), 2)
