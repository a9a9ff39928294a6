"""BlurHash: reference vectors, structure, and a decode of what was encoded."""

from __future__ import annotations

import pytest
from PIL import Image

from fedianon.media.blurhash import BASE83_ALPHABET, base83_encode, blurhash_encode
from tests.fedianon.media.images import (
    blurhash_ac,
    blurhash_average,
    blurhash_components,
    gradient,
)

# Hashes of `gradient(w, h)` as computed by the independent pure-Python `blurhash` package
# (PyPI blurhash 1.1.5), which follows the reference C encoder. Checked once, kept here.
REFERENCE = [
    ((32, 24), (4, 3), "L$Hewg2nwsX5l|W7jwe@gGfifUff"),
    ((20, 30), (4, 4), "U$HoF12.wubtl@W8jwe?gEfofSfgnnWnjqfT"),
    ((40, 7), (3, 5), "c$He?-2k#~uwR~o4e;fOfSx[Scn~d_f5fS"),
    ((5, 5), (1, 1), "00Iho0"),
]


@pytest.mark.parametrize(("size", "components", "expected"), REFERENCE)
def test_reference_vectors(
    size: tuple[int, int], components: tuple[int, int], expected: str
) -> None:
    assert blurhash_encode(gradient(*size), *components) == expected


def test_black_is_derivable_by_hand() -> None:
    # Components 4x3 -> (4-1) + (3-1)*9 = 21 -> "L"; all terms zero in linear light, so the
    # max AC digit is 0, the DC is 0x000000 -> "0000", and each AC is (9, 9, 9) ->
    # 9*361 + 9*19 + 9 = 3429 = 41*83 + 26 -> "fQ".
    assert blurhash_encode(Image.new("RGB", (7, 5), "black")) == "L00000" + "fQ" * 11


@pytest.mark.parametrize(("nx", "ny"), [(1, 1), (4, 3), (4, 4), (9, 9), (2, 7)])
def test_structure(nx: int, ny: int) -> None:
    blurhash = blurhash_encode(gradient(16, 12), nx, ny)
    assert len(blurhash) == 4 + 2 * nx * ny
    assert set(blurhash) <= set(BASE83_ALPHABET)
    assert blurhash_components(blurhash) == (nx, ny)


@pytest.mark.parametrize("colour", [(255, 255, 255), (200, 40, 90), (3, 130, 250)])
def test_solid_colour_round_trips_through_the_dc_term(colour: tuple[int, int, int]) -> None:
    assert blurhash_average(blurhash_encode(Image.new("RGB", (9, 6), colour))) == colour


def test_average_is_taken_in_linear_light() -> None:
    # Half black, half white: the linear mean is 0.5, which is sRGB 188, not 128.
    image = Image.new("RGB", (8, 8), "black")
    image.paste((255, 255, 255), (0, 0, 8, 4))
    assert blurhash_average(blurhash_encode(image)) == (188, 188, 188)


def test_ac_terms_follow_the_picture() -> None:
    # The first horizontal cosine is positive on the left: a bright left half gives C10 > 0,
    # a bright right half C10 < 0, and mirroring left-right leaves C01 as it was.
    left = Image.new("RGB", (16, 16), "black")
    left.paste((255, 255, 255), (0, 0, 8, 16))
    right = left.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    left_ac = blurhash_ac(blurhash_encode(left, 4, 3))
    right_ac = blurhash_ac(blurhash_encode(right, 4, 3))
    assert all(v > 0.2 for v in left_ac[0])
    assert all(v < -0.2 for v in right_ac[0])
    assert left_ac[3] == right_ac[3]  # C01: index nx - 1


def test_transparent_pixels_are_composited_onto_white() -> None:
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    assert blurhash_average(blurhash_encode(image)) == (255, 255, 255)
    for mode in ("L", "P", "CMYK", "LA"):
        assert len(blurhash_encode(Image.new(mode, (4, 4)))) == 28


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        blurhash_encode(gradient(4, 4), 0, 3)
    with pytest.raises(ValueError):
        blurhash_encode(gradient(4, 4), 4, 10)
    with pytest.raises(ValueError):
        base83_encode(83, 1)
    assert base83_encode(3429, 2) == "fQ"
