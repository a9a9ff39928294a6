"""The image pipeline behind `POST /api/v2/media`: bytes in, clean files and Mastodon metadata out.

Pure and synchronous (no database, no HTTP, no files): the API layer runs it in a worker thread
(`await asyncio.to_thread(process_image, ...)`) and stores what it returns.

What it guarantees, in order:

1. Size: more than `max_bytes` is refused before anything is parsed.
2. Type: the bytes decide, never the client's declared content type. Only JPEG, PNG (and
   APNG), WebP and GIF are opened at all (`Image.open(..., formats=...)`), so PDF, SVG, HEIC,
   TIFF, text and the rest never reach a decoder.
3. Decompression bombs: the dimensions in the header are checked right after `Image.open`,
   before any pixel is decoded. More than `decode_limit_pixels` (or, for animations, more than
   that many pixels over all frames) is refused; between `max_pixels` and that limit the image
   is decoded and scaled down to fit `max_pixels` (Mastodon's `image_matrix_limit`). Pillow's
   own global guard (`Image.MAX_IMAGE_PIXELS`) is left as it is and its error is mapped too.
4. Privacy (DESIGN.md section 3): the EXIF orientation is applied, colours are converted from
   any embedded ICC profile to sRGB, and then every piece of metadata is dropped: EXIF (GPS,
   camera serials, times), XMP, IPTC, ICC, PNG text chunks, JPEG and GIF comments. The output
   is re-encoded from pixels alone, so nothing of the original container survives.
5. Anything the decoder or encoder trips over becomes a `ValidationFailed` (HTTP 422), never
   another exception.

Output formats: JPEG stays JPEG, PNG stays PNG, WebP stays WebP, GIF stays GIF. Animated GIF,
WebP and PNG keep all their frames and timings (Mastodon turns animated GIFs into `gifv`
video; without a video pipeline we keep the GIF, re-encoded frame by frame, and call it an
`image`). The `small` preview is a still (first frame): JPEG, or WebP when the image has
transparency. The BlurHash is computed on a 32 px thumbnail of it with Mastodon's 4x4
components.
"""

from __future__ import annotations

import io
import logging
import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

from fedianon.errors import ValidationFailed
from fedianon.media.blurhash import blurhash_encode

__all__ = [
    "DEFAULT_DECODE_LIMIT_PIXELS",
    "DEFAULT_MAX_PIXELS",
    "PREVIEW_PIXELS",
    "ProcessedImage",
    "blurhash_encode",
    "meta_with_focus",
    "process_image",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 16_777_216  # 4096 x 4096: Mastodon's image_matrix_limit
DEFAULT_DECODE_LIMIT_PIXELS = 40_000_000
# Mastodon's `small` style is bounded by area, 230,400 pixels (640x360 for 16:9, 480x480 for
# a square), never upscaled.
PREVIEW_PIXELS = 230_400
BLURHASH_COMPONENTS = (4, 4)  # what Mastodon uses for media attachments
BLURHASH_THUMBNAIL = 32

JPEG_QUALITY = 85
WEBP_QUALITY = 85
PNG_OPTIMIZE_MAX_PIXELS = 4_000_000  # PNG `optimize` is slow; above this use zlib level 6

MSG_INVALID_TYPE = "Validation failed: File content type is invalid"
MSG_TOO_LARGE = "Validation failed: Image dimensions are too large"
MSG_UNPROCESSABLE = "Validation failed: File could not be processed"
MSG_TOO_MANY_FRAMES = "Validation failed: Animation has too many frames"

# Tiny frames cost little in pixels but a lot in per-frame work: a 16 MB GIF can hold
# 600,000 one-pixel frames. 1,000 frames is over a minute and a half at 10 fps.
MAX_FRAMES = 1_000

# Pillow format name -> (content type, extension)
_FORMATS: dict[str, tuple[str, str]] = {
    "JPEG": ("image/jpeg", ".jpg"),
    "PNG": ("image/png", ".png"),
    "WEBP": ("image/webp", ".webp"),
    "GIF": ("image/gif", ".gif"),
}
# A JPEG carrying a Multi-Picture index (stereo pairs, HDR gain maps) opens as "MPO": it is a
# JPEG, and we keep its first (primary) picture only.
_ALIASES = {"MPO": "JPEG"}
_ANIMATABLE = ("GIF", "WEBP", "PNG")

_SRGB_PROFILE: Any = None


@dataclass(frozen=True)
class ProcessedImage:
    """A cleaned image and its preview, ready to store.

    `meta` is Mastodon's MediaAttachment `meta` for images: `original` and `small` with
    `width`, `height`, `size` ("WxH") and `aspect` (width / height), and `focus` (x, y in
    -1..1, filled by the caller through `meta_with_focus`).
    """

    content_type: str
    extension: str  # with the dot: ".jpg", ".png", ".webp", ".gif"
    original: bytes
    preview: bytes
    preview_content_type: str
    preview_extension: str
    meta: dict[str, Any]
    blurhash: str
    type: str = "image"
    animated: bool = False


def meta_with_focus(meta: dict[str, Any], x: float, y: float) -> dict[str, Any]:
    """A copy of `meta` with the focal point set; x and y are clamped to -1..1 as Mastodon
    requires (x grows to the right, y grows upwards)."""
    out = {key: (dict(value) if isinstance(value, dict) else value) for key, value in meta.items()}
    out["focus"] = {"x": _clamp_focus(x), "y": _clamp_focus(y)}
    return out


def process_image(
    data: bytes,
    *,
    declared_type: str | None,
    max_bytes: int,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    decode_limit_pixels: int = DEFAULT_DECODE_LIMIT_PIXELS,
) -> ProcessedImage:
    """Validate, clean and re-encode an uploaded image. Raises `ValidationFailed` (422).

    `declared_type` (the multipart part's content type) is deliberately not trusted: the
    bytes decide what the file is. It is accepted so callers pass what they have, and only
    appears in the log line of a failure.
    """
    if len(data) > max_bytes:
        raise ValidationFailed(
            f"Validation failed: File file size must be less than {_human_size(max_bytes)}"
        )
    if not data:
        raise ValidationFailed(MSG_INVALID_TYPE)
    try:
        return _process(data, max_pixels=max_pixels, decode_limit_pixels=decode_limit_pixels)
    except ValidationFailed:
        raise
    except Image.DecompressionBombError as exc:
        raise ValidationFailed(MSG_TOO_LARGE) from exc
    except Exception as exc:
        # Truncated or corrupt data, unsupported sub-formats, encoder errors: all the
        # client's file. The message never includes the data.
        log.info("image processing failed (declared %r): %s", declared_type, type(exc).__name__)
        raise ValidationFailed(MSG_UNPROCESSABLE) from exc


def _process(data: bytes, *, max_pixels: int, decode_limit_pixels: int) -> ProcessedImage:
    try:
        source = Image.open(io.BytesIO(data), formats=list(_FORMATS))
    except UnidentifiedImageError as exc:
        raise ValidationFailed(MSG_INVALID_TYPE) from exc
    with source:
        fmt = _ALIASES.get(source.format or "", source.format or "")
        if fmt not in _FORMATS:  # pragma: no cover - `formats=` already guarantees it
            raise ValidationFailed(MSG_INVALID_TYPE)
        width, height = source.size
        if width < 1 or height < 1:
            raise ValidationFailed(MSG_UNPROCESSABLE)
        # The bomb check: header dimensions only, nothing decoded yet.
        if width * height > decode_limit_pixels:
            raise ValidationFailed(MSG_TOO_LARGE)
        frame_count = 1
        if fmt in _ANIMATABLE and getattr(source, "is_animated", False):
            frame_count = int(getattr(source, "n_frames", 1))
        if frame_count > MAX_FRAMES:
            raise ValidationFailed(MSG_TOO_MANY_FRAMES)
        if width * height * frame_count > decode_limit_pixels:
            raise ValidationFailed(MSG_TOO_LARGE)

        content_type, extension = _FORMATS[fmt]
        if frame_count > 1:
            frames, durations, loop = _load_frames(source, max_pixels)
            original = _encode_animation(fmt, frames, durations, loop)
            still = frames[0]
        else:
            still = _clean_still(source, fmt, max_pixels)
            original = _encode_still(fmt, still)

    preview_image = _preview(still)
    has_alpha = _has_alpha(preview_image)
    preview = _encode_preview(preview_image, has_alpha)
    meta = {
        "original": _dimensions(*still.size),
        "small": _dimensions(*preview_image.size),
        "focus": {"x": 0.0, "y": 0.0},
    }
    thumb = preview_image.copy()
    thumb.thumbnail((BLURHASH_THUMBNAIL, BLURHASH_THUMBNAIL), Image.Resampling.BILINEAR)
    return ProcessedImage(
        content_type=content_type,
        extension=extension,
        original=original,
        preview=preview,
        preview_content_type="image/webp" if has_alpha else "image/jpeg",
        preview_extension=".webp" if has_alpha else ".jpg",
        meta=meta,
        blurhash=blurhash_encode(thumb, *BLURHASH_COMPONENTS),
        type="image",
        animated=frame_count > 1,
    )


# --- still images -------------------------------------------------------------------------


def _clean_still(source: Image.Image, fmt: str, max_pixels: int) -> Image.Image:
    """The cleaned picture. Closes `source` as soon as its pixels are copied, so a large
    upload is held at most twice in memory at any time."""
    source.load()
    icc = source.info.get("icc_profile")
    try:
        image = ImageOps.exif_transpose(source)  # a new image, orientation applied
    except Exception:  # unreadable EXIF: keep the pixels as stored, the EXIF goes anyway
        image = source.copy()
    source.close()
    keep_palette = (
        fmt in ("GIF", "PNG")
        and image.mode in ("P", "L")
        and not icc
        and _fit_size(image.size, max_pixels) == image.size
    )
    if not keep_palette:  # palettes only survive untouched: resizing them would be NEAREST
        image = _normalise_mode(image, fmt, icc)
        image = _fit(image, max_pixels)
    return _strip(image)


def _normalise_mode(image: Image.Image, fmt: str, icc: bytes | None) -> Image.Image:
    """Pixels in a mode the output format takes, in sRGB, alpha kept where it is used."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        # 16-bit and float greyscale: scale to 8 bits instead of clipping at 255.
        image = image.convert("I") if mode != "F" else image
        image = image.point(lambda v: v * (1 / 257)).convert("L")
        mode = "L"
    if mode == "1":
        image, mode = image.convert("L"), "L"
    if mode in ("P", "PA", "L", "RGB") and (mode == "PA" or "transparency" in image.info):
        # A palette's transparent index or a PNG colour key (tRNS) becomes real alpha.
        image, mode = image.convert("RGBA"), "RGBA"
    if mode == "P":
        image, mode = image.convert("RGB"), "RGB"
    if mode in ("LA", "La", "RGBa"):
        image, mode = image.convert("RGBA"), "RGBA"
    if icc and mode in ("RGB", "RGBA", "CMYK", "L"):
        converted = _to_srgb(image, icc)
        if converted is not None:
            image, mode = converted, converted.mode
    if mode not in ("L", "RGB", "RGBA"):  # CMYK, YCbCr, LAB, HSV, RGBX ...
        image, mode = image.convert("RGB"), "RGB"
    if mode == "RGBA" and not _alpha_used(image):
        image, mode = image.convert("RGB"), "RGB"
    if fmt == "WEBP" and mode == "L":
        image = image.convert("RGB")
    return image


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image | None:
    """Colours converted from the embedded profile to sRGB, or None if the profile is unusable
    (then the pixels are kept as they are and the profile is dropped all the same)."""
    global _SRGB_PROFILE
    try:
        if _SRGB_PROFILE is None:
            _SRGB_PROFILE = ImageCms.createProfile("sRGB")
        source_profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if image.mode == "L":
            out_mode = "RGB"
        elif image.mode == "RGBA":
            out_mode = "RGBA"
        else:
            out_mode = "RGB"
        converted = ImageCms.profileToProfile(
            image,
            source_profile,
            _SRGB_PROFILE,
            renderingIntent=ImageCms.Intent.PERCEPTUAL,
            outputMode=out_mode,
        )
    except Exception as exc:  # a broken or mismatched profile (e.g. an RGB profile on CMYK)
        log.debug("ignoring unusable ICC profile: %s", type(exc).__name__)
        return None
    return converted


def _fit(image: Image.Image, max_pixels: int) -> Image.Image:
    size = _fit_size(image.size, max_pixels)
    if size == image.size:
        return image
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _fit_size(size: tuple[int, int], max_pixels: int) -> tuple[int, int]:
    """The largest size with the same aspect that has at most `max_pixels` pixels."""
    width, height = size
    if width * height <= max_pixels:
        return size
    scale = math.sqrt(max_pixels / (width * height))
    # The epsilon keeps exact fits exact (1600x900 -> 640x360) despite float rounding; the
    # loop below takes back any pixel it gives too many.
    new_w = max(1, math.floor(width * scale + 1e-6))
    new_h = max(1, math.floor(height * scale + 1e-6))
    while new_w * new_h > max_pixels and (new_w > 1 or new_h > 1):
        if new_w >= new_h:
            new_w -= 1
        else:
            new_h -= 1
    return new_w, new_h


def _strip(image: Image.Image) -> Image.Image:
    """Forget everything but pixels (and a GIF's transparent palette index)."""
    keep = {}
    if image.mode in ("P", "L") and "transparency" in image.info:
        keep["transparency"] = image.info["transparency"]
    image.info = keep
    return image


def _encode_still(fmt: str, image: Image.Image) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    elif fmt == "PNG":
        if image.width * image.height <= PNG_OPTIMIZE_MAX_PIXELS:
            image.save(out, "PNG", optimize=True)
        else:
            image.save(out, "PNG", compress_level=6)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        params: dict[str, Any] = {}
        if "transparency" in image.info:
            params["transparency"] = image.info["transparency"]
        image.save(out, "GIF", **params)
    return out.getvalue()


# --- animations ---------------------------------------------------------------------------


def _load_frames(
    source: Image.Image, max_pixels: int
) -> tuple[list[Image.Image], list[int], int | None]:
    """Every frame as a full, composited RGB(A) picture (Pillow applies GIF/APNG disposal),
    oriented, in sRGB, scaled to fit, metadata-free; plus durations and the loop count."""
    loop = source.info.get("loop")
    icc = source.info.get("icc_profile")
    orientation = source.getexif().get(0x0112)
    raw: list[Image.Image] = []
    durations: list[int] = []
    for frame in ImageSequence.Iterator(source):
        durations.append(int(frame.info.get("duration") or 0) or 100)
        raw.append(frame.convert("RGBA"))
    alpha = any(_alpha_used(f) for f in raw)
    frames = []
    for frame in raw:
        image = frame if alpha else frame.convert("RGB")
        if orientation in _TRANSPOSE:
            image = image.transpose(_TRANSPOSE[orientation])
        if icc:
            image = _to_srgb(image, icc) or image
        frames.append(_strip(_fit(image, max_pixels)))
    return frames, durations, (int(loop) if loop is not None else None)


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _encode_animation(
    fmt: str, frames: list[Image.Image], durations: list[int], loop: int | None
) -> bytes:
    out = io.BytesIO()
    first, rest = frames[0], frames[1:]
    params: dict[str, Any] = {"save_all": True, "append_images": rest, "duration": durations}
    if fmt == "GIF":
        if loop is not None:  # no NETSCAPE block means "play once": keep that
            params["loop"] = loop
        if first.mode == "RGBA":
            params["disposal"] = 2  # clear between frames, or transparent areas ghost
        first.save(out, "GIF", **params)
    elif fmt == "WEBP":
        first.save(out, "WEBP", quality=WEBP_QUALITY, loop=loop or 0, **params)
    elif fmt == "PNG":
        first.save(out, "PNG", loop=loop or 0, **params)
    else:  # pragma: no cover - JPEG is never animated here
        raise ValidationFailed(MSG_UNPROCESSABLE)
    return out.getvalue()


# --- preview and helpers ------------------------------------------------------------------


def _preview(image: Image.Image) -> Image.Image:
    still = image
    if still.mode in ("P", "L") and "transparency" in still.info:
        still = still.convert("RGBA")
    elif still.mode not in ("RGB", "RGBA", "L"):
        still = still.convert("RGB")
    size = _fit_size(still.size, PREVIEW_PIXELS)
    if size != still.size:
        still = still.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    else:
        still = still.copy()
    if still.mode == "RGBA" and not _alpha_used(still):
        still = still.convert("RGB")
    still.info = {}
    return still


def _encode_preview(image: Image.Image, has_alpha: bool) -> bytes:
    out = io.BytesIO()
    if has_alpha:
        image.save(out, "WEBP", quality=WEBP_QUALITY, method=4)
    else:
        rgb = image if image.mode in ("RGB", "L") else image.convert("RGB")
        rgb.save(out, "JPEG", quality=JPEG_QUALITY, progressive=True, optimize=True)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode == "RGBA" and _alpha_used(image)


def _alpha_used(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA", "PA"):
        return False
    low, _high = image.getchannel("A").getextrema()
    return low < 255


def _dimensions(width: int, height: int) -> dict[str, Any]:
    return {"width": width, "height": height, "size": f"{width}x{height}", "aspect": width / height}


def _clamp_focus(value: float) -> float:
    v = float(value)
    if math.isnan(v):
        return 0.0
    return max(-1.0, min(1.0, v))


def _human_size(n: int) -> str:
    mib, kib = 1024 * 1024, 1024
    if n >= mib:
        return f"{n // mib} MB" if n % mib == 0 else f"{n / mib:.1f} MB"
    if n >= kib:
        return f"{n // kib} KB" if n % kib == 0 else f"{n / kib:.1f} KB"
    return f"{n} B"
