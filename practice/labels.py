"""The text inside a picture's boxes: the font and sizes dot lays it out with, names made safe for DOT,
numbers as people read them, and a value's box (micrograd's name, data and grad) with its grad cell.
draw.py builds graphs of these boxes; tables.py puts a group's values in one table with the same cells."""

import math
import unicodedata

from . import numbers
from .errors import UserError

# The font dot lays the text out with, and the one every picture names: Liberation Sans (Debian's
# fonts-liberation2, which the Makefile installs) has Arial's and Helvetica's advance widths, so a viewer
# that draws the SVG with any of the three fills the boxes exactly as dot measured them.
FONT = "Liberation Sans"
SVG_FONT_FAMILY = "Liberation Sans,Arial,Helvetica,sans-serif"
FONT_SIZE = "10"
SMALL_FONT_SIZE = "9"
INK = "black"
HIGHLIGHT_FILL = "#ffe08a"  # light amber; a light grey in grayscale, under a thick border that carries the mark
MARK_PENWIDTH = "2.5"  # the outline of a marked box, over its 1 pt border
PNG_DPI = "216"  # 3 px a point: 2 device px per CSS px where cards show pictures at 1.5 px a point
CELL_PADDING = 2  # pt, inside every cell of a value's box
BLANK = (30.0, 17.0)  # pt: the least (width, height) of a grad's cell; a blank to write in is this size
FIT_SLACK = 3.0  # pt added to a grad's measured width: rounding in viewers and hinting in PNG never make it touch

# Advance widths in em of the characters a shown number is made of (Liberation Sans = Arial = Helvetica;
# regular and bold agree on these), and of the word "given"; anything else counts as a full em.
_EM = {**dict.fromkeys("0123456789", 0.556), ".": 0.278, " ": 0.278, numbers.MINUS: 0.584, "-": 0.333,
       "g": 0.556, "i": 0.222, "v": 0.5, "e": 0.556, "n": 0.556}

_IDS: dict[str, str] = {}


def node_id(name: str, prefix: str = "n_") -> str:
    """A DOT identifier from a node name: letters and digits kept, anything else (even _) as _<hex>_."""
    name = str(name)
    body = _IDS.get(name)
    if body is None:
        body = "".join(c if c.isascii() and c.isalnum() else f"_{ord(c):x}_" for c in name)
        if len(_IDS) < 50_000:
            _IDS[name] = body
    return prefix + body


_PLAIN = frozenset(" .,:;+-*/=()_" + numbers.MINUS)


_ESCAPED: dict[str, str] = {}
_NUMBERS: dict[float, str] = {}
_CACHE_MOST = 50_000  # names and numbers repeat from picture to picture: each written once (up to this many)


def escape(text) -> str:
    """Text for an HTML-like label: anything but letters, digits and a few plain signs as &#N;.
    (Graphviz's label parser fails on some characters that are harmless in HTML, such as ']'.)"""
    text = str(text)
    done = _ESCAPED.get(text)
    if done is None:
        done = _escape(text)
        if len(_ESCAPED) < _CACHE_MOST:
            _ESCAPED[text] = done
    return done


def _escape(text: str) -> str:
    out = []
    for c in str(text):
        if unicodedata.category(c) in ("Cc", "Cs"):
            c = "\ufffd"  # control characters and lone surrogates: Graphviz refuses them
        out.append(c if c.isalnum() or c in _PLAIN else f"&#{ord(c)};")
    # dot reads escapes such as \N and \E (the node's name) after entities, even in HTML labels: a doubled
    # backslash is one backslash
    return "".join(out).replace("&#92;", "&#92;&#92;")


def number(x) -> str:
    if type(x) is float:  # noqa: E721  (a float's text, found again: never 0.0 or -0.0, which are one key)
        text = _NUMBERS.get(x)
        if text is not None:
            return text
    try:
        text = numbers.fmt(float(x))
    except (TypeError, ValueError) as exc:
        raise UserError(f"cannot draw the number {x!r}: {exc}") from None
    if type(x) is float and x and len(_NUMBERS) < _CACHE_MOST:  # noqa: E721
        _NUMBERS[x] = text
    return text


def text_width(text: str, size: float) -> float:
    return size * sum(_EM.get(c, 1.0) for c in text)


_CELLS: dict[tuple, tuple[int, int]] = {}


def grad_cell(grad: str, output: bool, blank: tuple[float, float]) -> tuple[int, int]:
    """(width, height) in pt of a value's grad cell, the same in the question and every answer picture (so
    they share one layout): room for the grad in bold, and "given" beside the output's, never under `blank`."""
    key = (grad, output, blank)
    cell = _CELLS.get(key)
    if cell is None:
        cell = _grad_cell(grad, output, blank)
        if len(_CELLS) < _CACHE_MOST:
            _CELLS[key] = cell
    return cell


def _grad_cell(grad: str, output: bool, blank: tuple[float, float]) -> tuple[int, int]:
    size = float(FONT_SIZE)
    need = text_width(grad, size)
    if output:
        need += text_width(" ", size) + text_width("given", float(SMALL_FONT_SIZE))
    width = max(blank[0], need + 2 * CELL_PADDING + 2 + FIT_SLACK)  # + 2: the cell's border, 1 pt a side
    return math.ceil(width), math.ceil(blank[1])


def shown_grad(node: dict, output: bool, answer: bool, given_grad) -> str:
    """The grad a picture shows for a value, which sizes its cell: the output's given grad; in an answer the
    node's grad; in a question none, but the room for the record's grad when it has one (so every picture of
    a problem has one layout)."""
    if output:
        return number(given_grad)
    return number(node.get("grad")) if answer or node.get("grad") is not None else ""


def grad_content(grad: str, *, answer: bool, output: bool, marked: bool) -> tuple[str, str]:
    """(what a grad cell holds, the colour of the rule under it). A question shows the output's grad with
    "given" beside it and leaves every other grad a blank ruled in ink; an answer shows every grad, bold where
    it is marked, over an unseen rule that keeps the size."""
    if not answer and not output:
        return " ", INK
    content = f"<B>{escape(grad)}</B>" if answer and marked else escape(grad)
    if not answer:
        content += f' <FONT POINT-SIZE="{SMALL_FONT_SIZE}">given</FONT>'
    return content, "transparent"


def value_label(name: str, data: str, grad: str, cell: tuple[int, int], *, answer: bool, output: bool,
                marked: bool) -> str:
    """HTML-like label: the name on the left, data over grad on the right (micrograd's fields, stacked).

    The grad sits in a cell of fixed size `cell`, shown as grad_content says. In an answer, `marked` is a tint
    and a bold grad (the node's thick outline is drawn by dot_source): what the card asks for. A box is the
    same size marked or not, so every picture of one problem has the same layout.
    """
    width, height = cell
    content, rule = grad_content(grad, answer=answer, output=output, marked=marked)
    tint = f' BGCOLOR="{HIGHLIGHT_FILL}"' if answer and marked else ""
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{CELL_PADDING}"{tint}>'
        f'<TR><TD ROWSPAN="3" CELLPADDING="3" SIDES="R" BORDER="1"><B>{escape(name)}</B></TD>'
        f'<TD ALIGN="LEFT" COLSPAN="2">data {escape(data)}</TD></TR>'
        f'<TR><TD ALIGN="LEFT">grad</TD><TD ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}" '
        f'SIDES="B" BORDER="1" COLOR="{rule}">{content}</TD></TR>'
        '<TR><TD COLSPAN="2" HEIGHT="3" CELLPADDING="0"></TD></TR>'  # keeps the rule off the box's border
        "</TABLE>>"
    )
