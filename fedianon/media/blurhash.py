"""BlurHash encoder (https://blurha.sh, algorithm by Dag Ågren for Wolt), written from the
published algorithm description.

A BlurHash is a tiny DCT of the image in linear RGB: the DC term (the average colour) is kept
exactly as 24-bit sRGB, the AC terms are quantised to 19 levels per channel relative to their
largest magnitude, and everything is written in a JSON-, HTML- and shell-safe base 83:

    [components: 1][max AC: 1][DC: 4][AC: 2 each, nx*ny-1 of them]

Pure Python, so callers shrink the image first (a few dozen pixels a side keeps it well under
a millisecond per component); the hash barely changes, because the basis functions are defined
on normalised coordinates and only the lowest frequencies are kept.
"""

from __future__ import annotations

import math

from PIL import Image

BASE83_ALPHABET = (
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~"
)

# sRGB byte -> linear light, computed once.
_SRGB_TO_LINEAR = tuple(
    (v / 12.92) if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    for v in (i / 255 for i in range(256))
)


def base83_encode(value: int, length: int) -> str:
    """`value` as exactly `length` base-83 digits, most significant first."""
    if value < 0 or value >= 83**length:
        raise ValueError(f"{value} does not fit in {length} base-83 digits")
    digits = []
    for _ in range(length):
        value, digit = divmod(value, 83)
        digits.append(BASE83_ALPHABET[digit])
    return "".join(reversed(digits))


def linear_to_srgb(value: float) -> int:
    v = min(1.0, max(0.0, value))
    if v <= 0.0031308:
        return int(v * 12.92 * 255 + 0.5)
    return int((1.055 * v ** (1 / 2.4) - 0.055) * 255 + 0.5)


def _sign_pow(value: float, exponent: float) -> float:
    return math.copysign(abs(value) ** exponent, value)


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparent areas are composited onto white (what a preview shows)."""
    if image.mode == "RGB":
        return image
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def blurhash_encode(image: Image.Image, x_components: int = 4, y_components: int = 3) -> str:
    """The BlurHash of `image` with `x_components` x `y_components` DCT terms (1 to 9 each).

    Every pixel of the image given is used: pass a small thumbnail. The result has
    4 + 2 * x_components * y_components characters.
    """
    if not (1 <= x_components <= 9 and 1 <= y_components <= 9):
        raise ValueError("BlurHash needs between 1 and 9 components on each axis")
    rgb = _flatten(image)
    width, height = rgb.size
    if width < 1 or height < 1:
        raise ValueError("cannot hash an empty image")
    data = rgb.tobytes()
    lin = _SRGB_TO_LINEAR

    cos_x = [[math.cos(math.pi * i * x / width) for x in range(width)] for i in range(x_components)]
    cos_y = [
        [math.cos(math.pi * j * y / height) for y in range(height)] for j in range(y_components)
    ]

    # factors[j][i] = (r, g, b). Separable sums: first along each row, then down the columns.
    sums = [[[0.0, 0.0, 0.0] for _ in range(x_components)] for _ in range(y_components)]
    stride = width * 3
    for y in range(height):
        row = data[y * stride : (y + 1) * stride]
        reds = [lin[v] for v in row[0::3]]
        greens = [lin[v] for v in row[1::3]]
        blues = [lin[v] for v in row[2::3]]
        for i in range(x_components):
            basis = cos_x[i]
            r = sum(b * v for b, v in zip(basis, reds, strict=True))
            g = sum(b * v for b, v in zip(basis, greens, strict=True))
            bl = sum(b * v for b, v in zip(basis, blues, strict=True))
            for j in range(y_components):
                weight = cos_y[j][y]
                acc = sums[j][i]
                acc[0] += weight * r
                acc[1] += weight * g
                acc[2] += weight * bl

    pixels = width * height
    factors: list[tuple[float, float, float]] = []
    for j in range(y_components):
        for i in range(x_components):
            scale = (1.0 if i == 0 and j == 0 else 2.0) / pixels
            r, g, b = sums[j][i]
            factors.append((r * scale, g * scale, b * scale))

    dc, ac = factors[0], factors[1:]
    parts = [base83_encode((x_components - 1) + (y_components - 1) * 9, 1)]
    if ac:
        actual_max = max(abs(c) for term in ac for c in term)
        quantised_max = max(0, min(82, math.floor(actual_max * 166 - 0.5)))
        maximum = (quantised_max + 1) / 166
        parts.append(base83_encode(quantised_max, 1))
    else:
        maximum = 1.0
        parts.append(base83_encode(0, 1))
    r, g, b = (linear_to_srgb(c) for c in dc)
    parts.append(base83_encode((r << 16) + (g << 8) + b, 4))
    for term in ac:
        qr, qg, qb = (
            max(0, min(18, math.floor(_sign_pow(c / maximum, 0.5) * 9 + 9.5))) for c in term
        )
        parts.append(base83_encode(qr * 19 * 19 + qg * 19 + qb, 2))
    return "".join(parts)
