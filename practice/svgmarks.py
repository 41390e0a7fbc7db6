"""A card's answer picture made from the whole-pass answer picture by taking marks off, without a new layout.

Every picture of a problem has one layout (a marked box is the size of an unmarked one, a grad cell is of fixed
size), so the picture that marks one answer is the whole-pass answer picture (every asked answer marked) with
the other marks taken off. dot draws a mark as a tint behind the box or the table row (one polygon per cell),
a thick outline around a box, and the grad in bold, which dot sets a little higher in its cell than regular
text. Taking a mark off removes the tint and outline polygons around the grad and sets the grad in regular
type at the height dot gives regular text in that cell: the height of the question picture's blank there.

The result is the SVG dot makes from the card's own DOT text, byte for byte (tests/test_picture_marks.py
compares them over every kind). Where the pictures are not as expected (a newer dot writing them otherwise),
Unsure is raised and the caller draws that card with dot instead.
"""

import re

from .labels import HIGHLIGHT_FILL, MARK_PENWIDTH


class Unsure(Exception):
    """The mark could not be found as expected: draw this picture with dot instead."""


_BOLD = b' font-weight="bold"'
_TINT = b'<polygon fill="' + HIGHLIGHT_FILL.encode() + b'"'
_OUTLINE = b'<polygon fill="none" stroke="black" stroke-width="' + MARK_PENWIDTH.encode() + b'"'
_NEAR = 3.0  # pt: a bold grad is this close to where its regular twin would be


_NODE = b'class="node">\n<title>'
_TITLE_END = b"</title>\n"


def _groups(doc: bytes) -> dict[bytes, int | None]:
    """Node id -> the offset of the lines of its <g> in dot's SVG, after its title (None for an id whose title
    is there more than once): the picture read once for every node a card asks about, rather than searched
    whole twice for each."""
    out: dict[bytes, int | None] = {}
    at = doc.find(_NODE)
    while at >= 0:
        name = at + len(_NODE)
        close = doc.find(_TITLE_END, name)
        if close < 0:
            break
        nid, start = doc[name:close], close + len(_TITLE_END)
        out[nid] = None if nid in out else start
        at = doc.find(_NODE, start)
    return out


def _group(doc: bytes, groups: dict, nid: bytes) -> tuple[int, int]:
    """(start, end) offsets of the lines of node `nid`'s <g> in dot's SVG `doc` (`groups`: its _groups), after
    its title."""
    start = groups.get(nid)
    if start is None:
        raise Unsure("a marked node is not in the picture once")
    end = doc.find(b"</g>\n", start)
    if end < 0:
        raise Unsure("a node's group does not end")
    return start, end


_TEXT = re.compile(rb'<text text-anchor="start" x="([^"]+)" y="([^"]+)"[^>\n]* font-size="([^"]+)">([^\n]*)</text>$')
# A tint's or an outline's line (from its start: the shapes are found by the literal start the two share, which a
# pattern beginning with ^ or a look-behind is not, so it was tried at every offset)
_SHAPES = re.compile(rb'<polygon fill="(?:' + re.escape(_TINT[len(b'<polygon fill="'):]) + rb"|"
                     + re.escape(_OUTLINE[len(b'<polygon fill="'):]) + rb')[^\n]* points="([^"]+)"/>\n')
_Y = re.compile(rb",([^ ]+)")


def _line_at(doc: bytes, at: int) -> tuple[int, int]:
    """(start, end) of the line holding offset `at`, without its newline."""
    return doc.rfind(b"\n", 0, at) + 1, doc.index(b"\n", at)


def _text(doc: bytes, start: int, end: int) -> re.Match:
    m = _TEXT.match(doc, start, end)
    if m is None:
        raise Unsure("a text dot wrote in an unknown way")
    return m


def _y_range(points: bytes) -> tuple[float, float]:
    ys = [float(y) for y in _Y.findall(points)]
    return min(ys), max(ys)


Edit = tuple[int, int, bytes]  # (start, end, new bytes): a change to the answer picture's bytes


def _marked(answer: bytes, question: bytes, a_span, q_span) -> list[re.Match]:
    """The answer's marked grads in one node: bold lines that the question does not have (a box's name is the
    same bold line in both)."""
    out, at = [], answer.find(_BOLD, *a_span)
    while at >= 0:
        start, end = _line_at(answer, at)
        if question.find(answer[start:end], *q_span) < 0:
            out.append(_text(answer, start, end))
        at = answer.find(_BOLD, end, a_span[1])
    return out


def _column(question: bytes, q_span, x: bytes, size: bytes) -> list[re.Match]:
    """The question's texts in one node that start at `x` in `size`, top to bottom: a row's blank each."""
    head = b'<text text-anchor="start" x="' + x + b'" y="'
    out, at = [], question.find(head, *q_span)
    while at >= 0:
        m = _text(question, *_line_at(question, at))
        if m.group(3) == size:
            out.append(m)
        at = question.find(head, m.end(), q_span[1])
    return sorted(out, key=lambda m: float(m.group(2)))


def _group_edits(answer: bytes, question: bytes, nid: bytes, rows: list[int], groups) -> dict[int, list[Edit]]:
    """Row -> the edits that take that row's mark off node `nid` (a value box: row 0; a table: its rows).
    `groups`: _groups of the answer and of the question."""
    a_span, q_span = _group(answer, groups[0], nid), _group(question, groups[1], nid)
    marked = _marked(answer, question, a_span, q_span)
    if not marked or len({m.group(1) for m in marked}) != 1 or len({m.group(3) for m in marked}) != 1:
        raise Unsure("no marked grad, or marked grads in different places")
    column = _column(question, q_span, marked[0].group(1), marked[0].group(3))
    shapes = [(m.start(), m.end(), _y_range(m.group(1))) for m in _SHAPES.finditer(answer, *a_span)
              if answer[m.start() - 1] == 10]  # a whole line: after a newline
    out = {}
    for r in rows:
        if r >= len(column) or column[r].group(4) != b" ":
            raise Unsure("no blank for this row in the question picture")
        y = column[r].group(2)
        level = float(y)
        near = [m for m in marked if abs(float(m.group(2)) - level) <= _NEAR]
        if len(near) != 1:
            raise Unsure("no marked grad in this row")
        m = near[0]
        regular = m.group(0).replace(_BOLD, b"", 1).replace(b' y="' + m.group(2) + b'"', b' y="' + y + b'"', 1)
        edits = [(m.start(), m.end(), regular)]
        edits += [(start, end, b"") for start, end, (low, high) in shapes if low < level < high]  # whole lines
        if not any(answer.startswith(_TINT, start) for start, _, _ in edits[1:]):
            raise Unsure("no tint around this row")
        out[r] = edits
    return out


class Marks:
    """The answer picture of a problem and how to take each of its marks off, found once for all its cards."""

    def __init__(self, answer: bytes, question: bytes, spots: list[tuple[str, int]]):
        """`spots`: (DOT id of a value box or table, row in it; 0 for a box) of every mark that a card takes off.
        `question` is the question picture of the same problem (the same layout). Raises Unsure."""
        self.answer = answer
        by_id: dict[str, list[int]] = {}
        for nid, row in spots:
            if row not in by_id.setdefault(nid, []):
                by_id[nid].append(row)
        self.edits: dict[tuple[str, int], list[Edit]] = {}
        groups = (_groups(answer), _groups(question)) if by_id else None
        for nid, rows in by_id.items():
            for row, edits in _group_edits(answer, question, nid.encode(), rows, groups).items():
                self.edits[(nid, row)] = edits

    def without(self, spots) -> bytes:
        """The answer picture with the marks at `spots` (some of those given to the constructor) taken off."""
        edits = sorted(e for spot in spots for e in self.edits[spot])
        answer, parts, at = memoryview(self.answer), [], 0  # views: the kept bytes are copied once, by join
        for start, end, new in edits:
            parts += [answer[at:start], new]
            at = end
        parts.append(answer[at:])
        return b"".join(parts)


def unmark(answer: bytes, question: bytes, spots: list[tuple[str, int]]) -> bytes:
    """The answer picture with the marks at `spots` taken off: (DOT id of a value box or table, row in it; 0 for
    a box). `question` is the question picture of the same problem (same layout). Raises Unsure."""
    return Marks(answer, question, spots).without(spots) if spots else answer
