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


def _groups(lines: list[bytes], wanted: set[bytes]) -> dict[bytes, tuple[int, int]]:
    """DOT id -> (first, end) line numbers of that node's <g> in dot's SVG, for the ids in `wanted`."""
    out = {}
    for i, line in enumerate(lines):
        if line.startswith(b"<title>"):
            m = _TITLE.match(line)
            if m and m.group(1) in wanted and lines[i - 1].endswith(b'class="node">'):
                end = lines.index(b"</g>", i)
                out[m.group(1)] = (i + 1, end)
    return out


def _texts(lines: list[bytes], first: int, end: int) -> list[tuple[int, bytes, bytes, bytes, bytes, bool]]:
    out = []
    for i in range(first, end):
        line = lines[i]
        if line.startswith(b"<text "):
            m = _TEXT.match(line)
            if m is None:
                raise Unsure("a text dot wrote in an unknown way")
            out.append((i, m.group(1), m.group(2), m.group(3), m.group(4), _BOLD in line))
    return out


def _y_range(line: bytes) -> tuple[float, float]:
    m = _POINTS.search(line)
    if m is None:
        raise Unsure("a polygon without points")
    ys = [float(p.split(b",")[1]) for p in m.group(1).split()]
    return min(ys), max(ys)


def _unmark_group(a: list[bytes], a_span, q: list[bytes], q_span, rows: list[int]) -> None:
    """Take the marks of `rows` (0 for a value box) off one node's lines of the answer picture, in place
    (removed lines become None)."""
    a_texts, q_texts = _texts(a, *a_span), _texts(q, *q_span)
    q_bold = {(x, y) for _, x, y, _, _, bold in q_texts if bold}
    marked = [t for t in a_texts if t[5] and (t[1], t[2]) not in q_bold]  # bold in the answer only: a marked grad
    if not marked or len({t[1] for t in marked}) != 1 or len({t[3] for t in marked}) != 1:
        raise Unsure("no marked grad, or marked grads in different places")
    x, size = marked[0][1], marked[0][3]
    column = sorted((t for t in q_texts if t[1] == x and t[3] == size), key=lambda t: float(t[2]))
    for r in rows:
        if r >= len(column) or column[r][4] != b" ":
            raise Unsure("no blank for this row in the question picture")
        y = column[r][2]
        at = float(y)
        near = [t for t in marked if abs(float(t[2]) - at) <= _NEAR]
        if len(near) != 1:
            raise Unsure("no marked grad in this row")
        i, _, old_y, _, _, _ = near[0]
        a[i] = a[i].replace(_BOLD, b"", 1).replace(b' y="' + old_y + b'"', b' y="' + y + b'"', 1)
        tints = 0
        for j in range(*a_span):
            line = a[j]
            if line is not None and (line.startswith(_TINT) or line.startswith(_OUTLINE)):
                low, high = _y_range(line)
                if low < at < high:
                    tints += line.startswith(_TINT)
                    a[j] = None
        if not tints:
            raise Unsure("no tint around this row")


def unmark(answer: bytes, question: bytes, spots: list[tuple[str, int]]) -> bytes:
    """The answer picture with the marks at `spots` taken off: (DOT id of a value box or table, row in it; 0 for
    a box). `question` is the question picture of the same problem (same layout). Raises Unsure."""
    if not spots:
        return answer
    by_id: dict[bytes, list[int]] = {}
    for nid, row in spots:
        by_id.setdefault(nid.encode(), []).append(row)
    a, q = answer.split(b"\n"), question.split(b"\n")
    wanted = set(by_id)
    a_groups, q_groups = _groups(a, wanted), _groups(q, wanted)
    if len(a_groups) != len(wanted) or len(q_groups) != len(wanted):
        raise Unsure("a marked node is not in the pictures")
    for nid, rows in by_id.items():
        _unmark_group(a, a_groups[nid], q, q_groups[nid], rows)
    return b"\n".join(line for line in a if line is not None)
