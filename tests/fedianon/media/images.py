"""Test images made on the fly with Pillow (no binary fixtures), plus a minimal BlurHash
decoder used only to check what the encoder wrote."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import ExifTags, Image

from fedianon.media.blurhash import BASE83_ALPHABET

GPS_LATITUDE = (52.0, 31.0, 12.5)


def encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **params)
    return out.getvalue()


def quadrants(width: int = 40, height: int = 20) -> Image.Image:
    """Blue, with a red top-left corner: where the red ends up tells the orientation."""
    image = Image.new("RGB", (width, height), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 4, height // 4))
    return image


def exif_with_gps(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "SerialPhone 9000"
    exif[ExifTags.Base.DateTime] = "2024:05:01 12:34:56"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 1.5)
    return exif


XMP = (
    b'<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
    b'22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'dc:creator="Jane Student"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def noise(width: int, height: int, seed: int = 1) -> Image.Image:
    """Deterministic incompressible-ish pixels, so a JPEG of it has a long scan to cut."""
    state = seed
    out = bytearray()
    for _ in range(width * height * 3):
        state = (state * 1103515245 + 12345) & 0x7FFFFFFF
        out.append(state >> 23)
    return Image.frombytes("RGB", (width, height), bytes(out))


def gradient(width: int, height: int) -> Image.Image:
    image = Image.new("RGB", (width, height))
    image.putdata(
        [
            ((x * 255) // (width - 1), (y * 255) // (height - 1), ((x + y) * 7) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    return image


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def blank_png(width: int, height: int) -> bytes:
    """A valid 1-bit greyscale PNG of any size, written row by row: a 50-megapixel image is a
    few kilobytes and never exists in memory as pixels."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte + packed bits
    compressor = zlib.compressobj(9)
    chunks = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(chunks) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims huge dimensions and has (almost) no data: only a header check can
    tell it apart from a real one without decoding."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


# --- a BlurHash decoder, for checking the encoder only -------------------------------------


def _decode83(text: str) -> int:
    value = 0
    for char in text:
        value = value * 83 + BASE83_ALPHABET.index(char)
    return value


def blurhash_components(blurhash: str) -> tuple[int, int]:
    size = _decode83(blurhash[0])
    return size % 9 + 1, size // 9 + 1


def blurhash_average(blurhash: str) -> tuple[int, int, int]:
    """The DC term, which the format stores exactly as 24-bit sRGB."""
    value = _decode83(blurhash[2:6])
    return value >> 16, (value >> 8) & 255, value & 255


def blurhash_ac(blurhash: str) -> list[tuple[float, float, float]]:
    """The AC terms, dequantised (linear light, relative to the stored maximum)."""
    nx, ny = blurhash_components(blurhash)
    maximum = (_decode83(blurhash[1]) + 1) / 166
    terms = []
    for k in range(nx * ny - 1):
        value = _decode83(blurhash[6 + 2 * k : 8 + 2 * k])
        quant = (value // (19 * 19), (value // 19) % 19, value % 19)
        terms.append(
            tuple((abs((q - 9) / 9) ** 2 * (1 if q >= 9 else -1)) * maximum for q in quant)
        )
    return terms
