"""Small pictures for quiz files (practice/pictures_small.py): the same drawing in fewer bytes, compared with
what dot drew, pixel by pixel for PNG and shape by shape for SVG."""

import io
import xml.etree.ElementTree as ET

import pytest

from practice import draw, pictures_small
from practice.generate import problem_set
from practice.spec import choose


@pytest.fixture(scope="module")
def records():
    spec = choose("micrograd", seed=11)
    return problem_set(spec.entries, spec.seed)


@pytest.fixture(scope="module")
def drawn(records):
    return {fmt: [p for pair in draw.pictures(records[:12], fmt) for p in pair] for fmt in ("png", "svg")}


def test_small_png_is_a_4_bit_palette_image_with_the_same_pixels_to_the_eye(drawn):
    from PIL import Image, ImageChops, ImageStat

    for pic in drawn["png"]:
        small = pictures_small.small(pic)
        assert small.name != pic.name and small.name.endswith(".png") and len(small.data) < len(pic.data) / 2
        assert small.size_pt == pic.size_pt
        assert small.data[24:26] == bytes([4, 3])  # IHDR: bit depth 4, colour type 3 (palette)
        before = Image.open(io.BytesIO(pic.data)).convert("L")
        after = Image.open(io.BytesIO(small.data)).convert("L")
        diff = ImageChops.difference(before, after)
        assert ImageStat.Stat(diff).mean[0] < 2  # on a 0-255 scale
        assert sum(diff.histogram()[40:]) == 0  # no pixel off by more than a sixth of the range
        assert pictures_small.small(pic) == small  # the same bytes every time


def test_small_svg_draws_the_same_shapes_and_text(drawn):
    svg = "{http://www.w3.org/2000/svg}"
    for pic in drawn["svg"]:
        small = pictures_small.small(pic)
        assert len(small.data) < len(pic.data) * 0.6 and small.size_pt == pic.size_pt
        before, after = ET.fromstring(pic.data), ET.fromstring(small.data)
        for tag in ("polygon", "polyline", "path", "ellipse"):
            assert len(before.findall(f".//{svg}{tag}")) == len(after.findall(f".//{svg}{tag}")), tag
        words = [[(t.text or "").strip() for t in doc.iter(f"{svg}text") if (t.text or "").strip()] for doc in (before, after)]
        assert words[0] == words[1]  # a text of spaces alone shows nothing: it may go
        assert after.get("viewBox") == before.get("viewBox")


def test_a_picture_in_other_colours_gets_its_own_palette():
    from PIL import Image

    image = Image.new("RGB", (40, 20), (255, 255, 255))
    for x in range(40):
        image.putpixel((x, 10), (0, 120, 255))  # blue: far from the greys and the amber
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    small = Image.open(io.BytesIO(pictures_small.small_png(buffer.getvalue()))).convert("RGB")
    assert small.getpixel((5, 10)) == (0, 120, 255) and small.getpixel((5, 2)) == (255, 255, 255)


