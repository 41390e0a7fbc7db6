"""Small pictures for files that embed each picture many times (Moodle XML, QTI): the same graph, fewer bytes.

- PNG: dot's truecolour image mapped onto a fixed 16-colour palette (9 greys from black to white and 7
  shades from black to the highlight amber: the only colours dot's line art and its anti-aliasing use),
  written as a 4-bit palette PNG, filter "none" on every row (the best for palette line art), deflate
  at level 9, with dot's resolution kept in a pHYs chunk. Same pixels size, so the same natural size.
  A picture with colours far from that palette (a future drawing style) gets an adaptive palette of up
  to 256 colours instead, so nothing ever looks wrong.
- SVG: dot's document rewritten without comments, DOCTYPE, titles, ids, classes and empty texts, with paint
  that every shape of a kind (or three shapes or more) share said once in a <style>, the usual font
  declared once on the root, default attributes left out and coordinates to 0.1 pt (a thirtieth of a
  millimetre); the width and height in pt stay first on <svg> (draw.size_pt reads them).

Both are pure functions of the input bytes: the same picture always gives the same small picture, named
by its content hash like every other picture.
"""

import functools
import io
import os
import re
import struct
import zlib
from collections import Counter
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from .draw import HIGHLIGHT_FILL, PNG_DPI, Picture, picture_name

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
GREYS, AMBERS = 9, 7
FAR = 48  # a colour further than this (in any channel) from every palette colour: use an adaptive palette
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- PNG


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


@functools.cache
def fixed_palette() -> tuple[tuple[int, int, int], ...]:
    """Black to white in GREYS steps, then black to the highlight colour in AMBERS steps (black shared)."""
    amber = _rgb(HIGHLIGHT_FILL)
    greys = [(round(255 * k / (GREYS - 1)),) * 3 for k in range(GREYS)]
    ambers = [tuple(round(c * k / AMBERS) for c in amber) for k in range(1, AMBERS + 1)]
    return tuple(greys + ambers)  # (a tuple: the one cached palette cannot be changed by a caller)


def _near(colour, palette) -> bool:
    return any(max(abs(a - b) for a, b in zip(colour, p)) <= FAR for p in palette)


@functools.lru_cache(maxsize=1 << 14)  # dot's anti-aliasing gives the same few thousand colours in every picture
def _near_fixed(colour: tuple[int, int, int]) -> bool:
    return _near(colour, fixed_palette())


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def small_png(data: bytes) -> bytes:
    """The PNG `data` as a palette PNG (4-bit for the fixed palette), the same size in pixels."""
    from PIL import Image

    image = Image.open(io.BytesIO(data))
    image.load()
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image.alpha_composite(rgba)
    image = image.convert("RGB")
    palette = fixed_palette()
    colours = image.getcolors(maxcolors=1 << 16)
    if colours is not None and all(_near_fixed(c) for _, c in colours):
        flat = [v for c in palette for v in c]
        target = Image.new("P", (1, 1))
        target.putpalette(flat + flat[-3:] * (256 - len(palette)))
        mapped = image.quantize(palette=target, dither=Image.Dither.NONE)
        count = len(palette)
    else:
        mapped = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        count = max(mapped.tobytes()) + 1
    bits = 4 if count <= 16 else 8
    width, height = mapped.size
    raw = mapped.tobytes("raw", "P;4") if bits == 4 else mapped.tobytes()
    stride = len(raw) // height
    rows = b"".join(b"\0" + raw[y * stride : (y + 1) * stride] for y in range(height))
    per_metre = round(float(PNG_DPI) / 0.0254)
    return b"".join([
        PNG_SIGNATURE,
        _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bits, 3, 0, 0, 0)),
        _chunk(b"PLTE", bytes(mapped.getpalette()[: 3 * count])),
        _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
        _chunk(b"IDAT", zlib.compress(rows, 9)),
        _chunk(b"IEND", b""),
    ])


# ---------------------------------------------------------------- SVG

_DECIMAL = re.compile(r"-?\d+\.\d+")
_COORDINATES = ("points", "d", "x", "y", "cx", "cy", "rx", "ry")
_DROP = {"id", "class"}
_DEFAULTS = {"text-anchor": "start", "stroke": "transparent", "font-weight": "normal", "font-style": "normal"}


def _short(number: re.Match) -> str:
    text = f"{float(number.group()):.1f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _attribute(name: str, value: str, root_font: dict) -> str | None:
    if name in _DROP or _DEFAULTS.get(name) == value or root_font.get(name) == value:
        return None
    if name in _COORDINATES:
        value = _DECIMAL.sub(_short, value)
    if name == "points":
        pairs = value.split()
        if len(pairs) > 2 and pairs[0] == pairs[-1]:
            pairs.pop()  # a polygon closes itself
        value = " ".join(pairs)
    if name == "transform":
        value = value.replace("scale(1 1) ", "").replace("rotate(0) ", "")
    if name == "font-size":
        value = _DECIMAL.sub(_short, value)
    return value


def _attrs(el, root_font: dict, shared: dict) -> list[tuple[str, str]]:
    """The (name, value) pairs an element keeps: less ids, defaults, the root's font and its tag's shared paint."""
    tag = _local(el.tag)
    styled = shared.get(tag, {})
    kept = []
    for key, value in el.attrib.items():
        name = key if not key.startswith("{") else ("xlink:" if key.startswith("{" + XLINK_NS) else "") + _local(key)
        if styled.get(name) == value:
            continue
        value = _attribute(name, value, root_font)
        if value is not None:
            kept.append((name, value))
    return kept


def _paint(attrs: list[tuple[str, str]]) -> tuple:
    return tuple((n, v) for n, v in attrs if n in _CLASSED)


def _write(el, out: list[str], root_font: dict, shared: dict, classes: dict) -> None:
    tag = _local(el.tag)
    if tag == "title":
        return
    attrs = _attrs(el, root_font, shared)
    if tag == "g" and not attrs:  # a group that only carried an id: its children stand alone
        for child in el:
            _write(child, out, root_font, shared, classes)
        return
    inner: list[str] = []
    if tag == "text":
        if not (el.text and el.text.strip()):
            return  # a text of spaces alone draws nothing
        inner.append(escape(el.text))
    name = classes.get(_paint(attrs)) if tag not in ("svg", "g", "text") else None
    if name:
        attrs = [("class", name)] + [(n, v) for n, v in attrs if n not in _CLASSED]
    for child in el:
        _write(child, inner, root_font, shared, classes)
    text = "".join(f" {n}={quoteattr(v)}" for n, v in attrs)
    out.append(f"<{tag}{text}>{''.join(inner)}</{tag}>" if inner else f"<{tag}{text}/>")


def small_svg(data: bytes) -> bytes:
    """dot's SVG document `data`, compact: the same drawing in fewer bytes."""
    root = ET.fromstring(data)  # comments and the DOCTYPE are not kept
    if _local(root.tag) != "svg":
        raise ValueError("not an SVG document")
    texts = [el for el in root.iter() if _local(el.tag) == "text"]
    root_font = {}
    for name in ("font-family", "font-size"):
        common = Counter(el.get(name) for el in texts if el.get(name)).most_common(1)
        if common:
            root_font[name] = common[0][0]
    uses_xlink = any(k.startswith("{" + XLINK_NS) for el in root.iter() for k in el.attrib)
    head = [f'<svg width="{root.get("width")}" height="{root.get("height")}"']
    if root.get("viewBox"):
        head.append(f' viewBox="{root.get("viewBox")}"')
    head.append(f' xmlns="{SVG_NS}"')
    if uses_xlink:
        head.append(f' xmlns:xlink="{XLINK_NS}"')
    for name, value in root_font.items():
        head.append(f" {name}={quoteattr(_DECIMAL.sub(_short, value) if name == 'font-size' else value)}")
    shared = _shared_paint(root)
    classes = _paint_classes(root, root_font, shared)
    body: list[str] = []
    for child in root:
        _write(child, body, root_font, shared, classes)
    style = "".join(f"{tag}{{{';'.join(f'{k}:{v}' for k, v in sorted(props.items()))}}}" for tag, props in sorted(shared.items()))
    style += "".join(f".{name}{{{';'.join(f'{k}:{v}' for k, v in paint)}}}" for paint, name in classes.items())
    head.append(">")
    if style:
        head.append(f"<style>{style}</style>")
    return ("".join(head) + "".join(body) + "</svg>\n").encode("utf-8")


_CLASSED = ("fill", "stroke", "stroke-width")  # said by a class when the same set recurs
_COLOUR = re.compile(r"#[0-9a-fA-F]{3,6}|[a-z]+")
_WIDTH = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _paint_classes(root, root_font: dict, shared: dict) -> dict[tuple, str]:
    """{(fill, stroke, stroke-width pairs): class name} for a set of paint attributes that at least three
    shapes carry (dot's arrowheads: fill, stroke and width alike): one CSS rule, and class="a" on each.
    Names in first-use order, so the same document always gets the same classes."""
    counts: Counter = Counter()
    order: list[tuple] = []
    for el in root.iter():
        if _local(el.tag) in ("svg", "g", "title", "text"):
            continue
        paint = _paint(_attrs(el, root_font, shared))
        if len(paint) >= 2 and all(_COLOUR.fullmatch(v) if n != "stroke-width" else _WIDTH.fullmatch(v) for n, v in paint):
            if paint not in counts:
                order.append(paint)
            counts[paint] += 1
    wanted = [p for p in order if counts[p] >= 3]
    letters = "abcdefghijklmnopqrstuvwxyz"
    return {paint: letters[i] for i, paint in enumerate(wanted[: len(letters)])}


def _shared_paint(root) -> dict[str, dict[str, str]]:
    """{tag: {fill, stroke or stroke-width: value}} for a paint every element of that tag sets alike:
    said once in a <style> rule instead of on every element (a rule for the tag is exact when no element
    of it differs). Text is left alone."""
    values: dict[str, dict[str, set]] = {}
    for el in root.iter():
        tag = _local(el.tag)
        if tag in ("svg", "g", "title", "text"):
            continue
        for name in _CLASSED:
            values.setdefault(tag, {}).setdefault(name, set()).add(el.get(name))
    shared = {}
    for tag, props in values.items():
        for name, found in props.items():
            if len(found) == 1:
                value = next(iter(found))
                valid = _WIDTH if name == "stroke-width" else _COLOUR
                if value is not None and valid.fullmatch(value) and value != "transparent":
                    shared.setdefault(tag, {})[name] = value
    return shared


# ---------------------------------------------------------------- pictures


def small(pic: Picture) -> Picture:
    """The same picture, smaller, named by its new content."""
    data = small_png(pic.data) if pic.fmt == "png" else small_svg(pic.data)
    return Picture(picture_name(data, pic.fmt), data, pic.fmt)


def small_all(pics: list[Picture]) -> list[Picture]:
    """Each picture made small, in order, a few at a time (zlib and Pillow let go of the GIL while they
    work, so threads use every core); the same bytes as one at a time."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    if cores < 2 or len(pics) < 2:
        return [small(p) for p in pics]
    with ThreadPoolExecutor(max_workers=min(cores, 8)) as pool:
        return list(pool.map(small, pics))


def small_pairs(pairs: list[tuple[Picture, Picture]], answers: bool = True) -> list[tuple[Picture, Picture]]:
    """(question, answer) picture pairs from draw.pictures, each made small; with answers=False the answer
    pictures are passed through as drawn (for a format that does not show them)."""
    if not answers:
        questions = small_all([q for q, _ in pairs])
        return [(q, a) for q, (_, a) in zip(questions, pairs)]
    flat = small_all([p for pair in pairs for p in pair])
    return list(zip(flat[0::2], flat[1::2]))
