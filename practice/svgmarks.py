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


_TITLE = re.compile(rb"<title>(.*)</title>$")
_TEXT = re.compile(rb'<text text-anchor="start" x="([^"]+)" y="([^"]+)"[^>]*? font-size="([^"]+)">(.*)</text>$')
_BOLD = b' font-weight="bold"'
_TINT = b'<polygon fill="' + HIGHLIGHT_FILL.encode() + b'"'
_OUTLINE = b'<polygon fill="none" stroke="black" stroke-width="' + MARK_PENWIDTH.encode() + b'"'
_POINTS = re.compile(rb' points="([^"]+)"')
_NEAR = 3.0  # pt: a bold grad is this close to where its regular twin would be


def _group(doc: bytes, nid: bytes) -> tuple[int, int]:
    """(start, end) offsets of the lines of node `nid`'s <g> in dot's SVG, after its title."""
    title = b'class="node">\n<title>' + nid + b"</title>\n"
    at = doc.find(title)
    if at < 0 or doc.find(title, at + 1) >= 0:
        raise Unsure("a marked node is not in the picture once")
    start = at + len(title)
    end = doc.find(b"</g>\n", start)
    if end < 0:
        raise Unsure("a node's group does not end")
    return start, end


def _lines(doc: bytes, start: int, end: int) -> list[tuple[int, bytes]]:
    """(offset, line without its newline) of each line of doc[start:end]."""
    out = []
    while start < end:
        stop = doc.index(b"\n", start)
        out.append((start, doc[start:stop]))
        start = stop + 1
    return out


def _texts(lines):
    out = []
    for at, line in lines:
        if line.startswith(b"<text "):
            m = _TEXT.match(line)
            if m is None:
                raise Unsure("a text dot wrote in an unknown way")
            out.append((at, line, m.group(1), m.group(2), m.group(3), m.group(4), _BOLD in line))
    return out


def _y_range(line: bytes) -> tuple[float, float]:
    m = _POINTS.search(line)
    if m is None:
        raise Unsure("a polygon without points")
    ys = [float(p.split(b",")[1]) for p in m.group(1).split()]
    return min(ys), max(ys)


Edit = tuple[int, int, bytes]  # (start, end, new bytes): a change to the answer picture's bytes


def _group_edits(answer: bytes, question: bytes, nid: bytes, rows: list[int]) -> dict[int, list[Edit]]:
    """Row -> the edits that take that row's mark off node `nid` (a value box: row 0; a table: its rows)."""
    a_lines = _lines(answer, *_group(answer, nid))
    a_texts, q_texts = _texts(a_lines), _texts(_lines(question, *_group(question, nid)))
    q_bold = {(t[2], t[3]) for t in q_texts if t[6]}
    marked = [t for t in a_texts if t[6] and (t[2], t[3]) not in q_bold]  # bold in the answer only: a marked grad
    if not marked or len({t[2] for t in marked}) != 1 or len({t[4] for t in marked}) != 1:
        raise Unsure("no marked grad, or marked grads in different places")
    x, size = marked[0][2], marked[0][4]
    column = sorted((t for t in q_texts if t[2] == x and t[4] == size), key=lambda t: float(t[3]))
    shapes = [(at, line) for at, line in a_lines if line.startswith(_TINT) or line.startswith(_OUTLINE)]
    out = {}
    for r in rows:
        if r >= len(column) or column[r][5] != b" ":
            raise Unsure("no blank for this row in the question picture")
        y = column[r][3]
        level = float(y)
        near = [t for t in marked if abs(float(t[3]) - level) <= _NEAR]
        if len(near) != 1:
            raise Unsure("no marked grad in this row")
        at, line, _, old_y, _, _, _ = near[0]
        regular = line.replace(_BOLD, b"", 1).replace(b' y="' + old_y + b'"', b' y="' + y + b'"', 1)
        edits = [(at, at + len(line), regular)]
        for at, shape in shapes:
            low, high = _y_range(shape)
            if low < level < high:
                edits.append((at, at + len(shape) + 1, b""))  # the whole line, with its newline
        if not any(answer.startswith(_TINT, at) for at, _, _ in edits[1:]):
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
        for nid, rows in by_id.items():
            for row, edits in _group_edits(answer, question, nid.encode(), rows).items():
                self.edits[(nid, row)] = edits

    def without(self, spots) -> bytes:
        """The answer picture with the marks at `spots` (some of those given to the constructor) taken off."""
        edits = sorted(e for spot in spots for e in self.edits[spot])
        parts, at = [], 0
        for start, end, new in edits:
            parts += [self.answer[at:start], new]
            at = end
        parts.append(self.answer[at:])
        return b"".join(parts)


def unmark(answer: bytes, question: bytes, spots: list[tuple[str, int]]) -> bytes:
    """The answer picture with the marks at `spots` taken off: (DOT id of a value box or table, row in it; 0 for
    a box). `question` is the question picture of the same problem (same layout). Raises Unsure."""
    return Marks(answer, question, spots).without(spots) if spots else answer
