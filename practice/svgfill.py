"""A problem's answer pictures made from its question picture, without a layout of their own.

Every picture of a problem has one layout (labels.grad_cell: a grad's cell is the same size blank, filled or
marked; a marked box is the size of an unmarked one), so the answer pictures differ from the question picture
only inside the value boxes, in ways dot writes the same way every time:

- a blank grad (a space over a rule in ink) is filled: the grad's text, the rule unseen (transparent);
- the output's "1 given" is its grad alone, which dot sets a little lower in the cell (one size of type in
  the line, not two);
- a marked grad is bold, which dot sets a little higher in its cell than regular text, and its box gains a
  thick outline and a tint: two polygons on the box's border, ahead of the rest of the box.

Fill finds these places in the question's SVG once per problem and writes any answer picture from them. A
table's rows (a record's groups, tables.py) are filled the same way, but never marked here: a marked row's tint
is a polygon a cell, and a cell without a border is not in the question's SVG at all; draw.py has dot lay out
the answers of a problem that asks for a row (an MLP's weights). Where the question picture is not as
expected, Unsure is raised and dot draws the answer instead.

dot's placement of bold and of single-size lines (the two offsets below) is checked, not assumed: draw.py lays
out one known problem's question and answer once a process and writes answers with Fill only if it makes that
answer byte for byte; with another Graphviz that writes otherwise, every answer is laid out by dot as before.
"""

import re

from .labels import HIGHLIGHT_FILL, MARK_PENWIDTH, SMALL_FONT_SIZE
from .svgmarks import Unsure, _groups

_TEXT = re.compile(rb'<text text-anchor="start" x="([^"]+)" y="([^"]+)" (font-family="[^"]*") '
                   rb'font-size="([^"]+)">([^<\n]*)</text>\n')
_RULE = re.compile(rb'<polyline fill="none" stroke="(black|transparent)" points="[^"]*"/>\n')
_BORDER = re.compile(rb'<polygon fill="none" stroke="black" points="([^"]+)"/>\n</g>\n')  # a box's last line
_GIVEN = b'">given</text>\n'
_BLANK_LINE = b'"> </text>\n'  # the end of a blank's line: a space to write in
_DIGITS = frozenset("0123456789.\u2212")

# dot 2.43's offsets (pt, down the page): bold grad against a regular one, the output's grad alone against
# "1 given". Checked against dot itself (draw._fill_checked).
BOLD_DY = -1.0
ALONE_DY = 1.0


def _num(text: bytes) -> float:
    try:
        return float(text)
    except ValueError:
        raise Unsure("a coordinate dot wrote in an unknown way") from None


def _coord(x: float) -> bytes:
    """A coordinate as dot writes it: two decimals at most, trailing zeros and point dropped."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return b"0" if text in ("-0", "") else text.encode()


def _svg_text(text: str) -> bytes:
    """A grad's text as dot writes it in SVG: digits, a point and a true minus sign only (else Unsure)."""
    if not text or not set(text) <= _DIGITS:
        raise Unsure("a grad that is not a plain number")
    return text.encode()


Edit = tuple[int, int, bytes]


class Fill:
    """A problem's question picture and the places where its answer pictures differ from it."""

    def __init__(self, question: bytes, boxes: dict[str, tuple[str, bool]], rows: dict[str, list] | None = None):
        """`boxes`: DOT id of each value box -> (the grad its answer shows, whether it is the output); `rows`: DOT id
        of each table -> the grads its rows show, top to bottom (never marked; None for the output's, which is
        not filled here). Raises Unsure where the question picture is not as expected."""
        self.question = question
        groups = _groups(question)
        self.filled: list[Edit] = []  # every answer's edits, marked or not
        self.bold: dict[str, list[Edit]] = {}  # a box's edits where it is marked (in place of its filled ones)
        for nid, (grad, output) in boxes.items():
            start, end = self._span(groups, nid)
            if output:
                self.filled.append(self._alone(start, end, _svg_text(grad)))
            else:
                self._blank(nid, start, end, _svg_text(grad))
        for tid, grads in (rows or {}).items():
            start, end = self._span(groups, tid)
            blanks = self._lines(_BLANK_LINE, start, end)
            if len(blanks) != len(grads) or None in grads:
                raise Unsure("a table's blanks are not its rows")
            for m, grad in zip(blanks, grads):
                self.filled += self._written(m, _svg_text(grad))

    def _span(self, groups: dict, nid: str) -> tuple[int, int]:
        start = groups.get(nid.encode())
        if start is None:
            raise Unsure("a value box or table is not in the picture once")
        end = self.question.find(b"</g>\n", start)
        if end < 0:
            raise Unsure("a group does not end")
        return start, end

    def _lines(self, tail: bytes, start: int, end: int) -> list[re.Match]:
        """Every text line of the group [start, end) that ends in `tail`, in order."""
        q, out = self.question, []
        at = q.find(tail, start, end)
        while at >= 0:
            m = _TEXT.match(q, q.rfind(b"\n", start, at) + 1, at + len(tail))
            if m is None or m.end() != at + len(tail):
                raise Unsure("a text dot wrote in an unknown way")
            out.append(m)
            at = q.find(tail, at + len(tail), end)
        return out

    def _written(self, m: re.Match, grad: bytes) -> list[Edit]:
        """The edits that write `grad` into the blank `m`: its rule unseen, the grad in its place."""
        rule = self._rule_before(m, b"black")
        regular = (b'<text text-anchor="start" x="' + m.group(1) + b'" y="' + m.group(2) + b'" ' + m.group(3)
                   + b' font-size="' + m.group(4) + b'">' + grad + b"</text>\n")
        return [(rule.start(1), rule.end(1), b"transparent"), (m.start(), m.end(), regular)]

    def _line(self, tail: bytes, start: int, end: int) -> re.Match:
        """The one text line of the group [start, end) that ends in `tail`; Unsure where there is not one."""
        found = self._lines(tail, start, end)
        if len(found) != 1:
            raise Unsure("not one such text in a value box")
        return found[0]

    def _rule_before(self, m: re.Match, colour: bytes) -> re.Match:
        q = self.question
        line = q.rfind(b"\n", 0, m.start() - 1) + 1
        rule = _RULE.match(q, line, m.start())
        if rule is None or rule.end() != m.start() or rule.group(1) != colour:
            raise Unsure("a grad's cell without its rule where expected")
        return rule

    def _blank(self, nid: str, start: int, end: int, grad: bytes) -> None:
        m = self._line(_BLANK_LINE, start, end)
        written = self._written(m, grad)
        bold = (b'<text text-anchor="start" x="' + m.group(1) + b'" y="' + _coord(_num(m.group(2)) + BOLD_DY) + b'" '
                + m.group(3) + b' font-weight="bold" font-size="' + m.group(4) + b'">' + grad + b"</text>\n")
        self.filled += written
        border = _BORDER.match(self.question, self.question.rfind(b"\n", start, end - 1) + 1, end + len(b"</g>\n"))
        if border is None:
            raise Unsure("a value box without its border where expected")
        corners = border.group(1).split(b" ")  # dot's table border: (x1,y2) (x1,y1) (x2,y1) (x2,y2) (x1,y2)
        if len(corners) != 5 or corners[0] != corners[4]:
            raise Unsure("a value box's border is not a rectangle as expected")
        (x1, y2), (xa, y1), (x2, yb), (xb, yc) = (c.partition(b",")[::2] for c in corners[:4])
        if not (xa == x1 and xb == x2 and yb == y1 and yc == y2):
            raise Unsure("a value box's border is not a rectangle as expected")
        # a marked box's outline (dot's box shape: from the top right corner, the other way round) and tint
        outline = (b'<polygon fill="none" stroke="black" stroke-width="' + MARK_PENWIDTH.encode() + b'" points="'
                   + b" ".join(x + b"," + y for x, y in ((x2, y1), (x1, y1), (x1, y2), (x2, y2), (x2, y1))) + b'"/>\n')
        tint = (b'<polygon fill="' + HIGHLIGHT_FILL.encode() + b'" stroke="transparent" points="' + border.group(1)
                + b'"/>\n')
        self.bold[nid] = [written[0], (start, start, outline + tint), (m.start(), m.end(), bold)]

    def _alone(self, start: int, end: int, grad: bytes) -> Edit:
        b = self._line(_GIVEN, start, end)
        a = _TEXT.match(self.question, self.question.rfind(b"\n", start, b.start() - 1) + 1, b.start())
        if (a is None or a.end() != b.start() or b.group(4) != SMALL_FONT_SIZE.encode() + b".00"
                or a.group(5) != grad + b" " or a.group(2) != b.group(2)):
            raise Unsure("the output's given grad is not as expected")
        self._rule_before(a, b"transparent")
        alone = (b'<text text-anchor="start" x="' + a.group(1) + b'" y="' + _coord(_num(a.group(2)) + ALONE_DY)
                 + b'" ' + a.group(3) + b' font-size="' + a.group(4) + b'">' + grad + b"</text>\n")
        return (a.start(), b.end(), alone)

    def answer(self, marked) -> bytes:
        """The answer picture marking the value boxes `marked` (DOT ids; each one Fill was given)."""
        marked = set(marked)
        edits = []
        skip = set()
        for nid in marked:
            if nid not in self.bold:
                raise Unsure("a marked value that has no blank to fill (the output, or not a box)")
            edits += self.bold[nid]
            skip.update((e[0], e[1]) for e in self.bold[nid])
        edits += [e for e in self.filled if (e[0], e[1]) not in skip]
        edits.sort()
        q, parts, at = memoryview(self.question), [], 0
        for s, e, new in edits:
            parts += [q[at:s], new]
            at = e
        parts.append(q[at:])
        return b"".join(parts)
