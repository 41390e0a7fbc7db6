"""Computation-graph pictures: DOT text from a problem record, rendered by Graphviz `dot` in batches.

Each value is a box with its name beside its data and grad (micrograd's record, fields stacked); each op
is a small circle feeding the value it makes. The graph runs top to bottom, inputs first, so a 15-node
graph is about 370 pt wide: it prints at full size on A4 and fits a phone when scaled to its width.
For - and / the two edges in are labelled (+ and −; num and den), so the order of the inputs shows.
The question picture leaves every grad blank except the output's given one; the answer picture
fills them all and marks the ones the problem asks for with a thick border and a tint.
A record's `groups` (an MLP's neurons, a batch's examples) are drawn as tables, a row per value
(tables.py), so that a network fits a page and a phone: the graph then runs between the tables.

Every picture of a problem has one layout, and it is laid out once: dot draws the question, and the answer
pictures (the whole pass, and each card's own with one answer marked) are the question's SVG with the grads
written in and the asked ones marked (svgfill.py). Where a table's row is asked (an MLP's weights), dot
draws the whole-pass answer too, and a card's own is that SVG with the other marks taken off (svgmarks.py); in
PNG, which cannot be edited, dot draws every picture. The DOT text is written directly (dottext.py).
Pictures are made in a pipeline (iter_card_pictures, pictures): dot draws some problems while Python writes
the next ones' text and the caller works on the last ones drawn.
"""

import functools
import hashlib
import itertools
import re
import struct
from collections import deque
from pathlib import Path
from typing import NamedTuple

from . import numbers
# (RenderError, render and require_dot are read as draw's by the exporters and the tests)
from .dotrun import (FORMATS, MAX_JOBS, PNG_SIGNATURE, RenderError, _check_format, _Dot, _Job, _jobs,  # noqa: F401
                     render, require_dot)
from .dottext import Digraph, same
from .labels import (BLANK, FONT, FONT_SIZE, HIGHLIGHT_FILL, INK, MARK_PENWIDTH, PNG_DPI, SMALL_FONT_SIZE, SVG_FONT_FAMILY,
                     escape, grad_cell, node_id, number, shown_grad, value_label)
from .atomic import check_writable, write_bytes
from .errors import UserError
from .svgfill import Fill
from .svgmarks import Marks, Unsure
from .tables import group_tables

OP_LABELS = {
    "+": "+",
    "-": numbers.MINUS,
    "*": "×",
    "/": "÷",
    "neg": "neg",
    "tanh": "tanh",
    "exp": "exp",
    "relu": "relu",
    "log": "log",
    "sigmoid": "σ",
}
# Small labels on the edges into ops whose input order matters: a − b takes +a and −b; a / b is num over den.
INPUT_ROLES = {"-": ("+", numbers.MINUS), "/": ("num", "den")}

MAX_DRAWN_NODES = 300  # `solve --graph`: past this a picture is neither readable nor quick to lay out


class Picture(NamedTuple):
    name: str  # flat, content-hashed file name, e.g. bp-0123456789abcdef.svg
    data: bytes
    fmt: str  # "svg" or "png"

    @property
    def size_pt(self) -> tuple[float, float]:
        """Natural (width, height) in points: print it at this size and the text is 10 pt."""
        return size_pt(self.data, self.fmt)


# ---------------------------------------------------------------- DOT text


def _check(problem: dict) -> tuple[list[dict], str]:
    pid = problem.get("id", "?")
    nodes = problem.get("nodes")
    if not isinstance(nodes, list) or not nodes:
        raise UserError(f"problem {pid}: no nodes to draw")
    seen = set()
    for node in nodes:
        if not isinstance(node, dict):
            raise UserError(f"problem {pid}: a node is not a JSON object")
        name = node.get("name")
        if not isinstance(name, str) or not name:
            raise UserError(f"problem {pid}: a node has no name")
        if name in seen:
            raise UserError(f"problem {pid}: two nodes are named {name!r}")
        op = node.get("op")
        if op is not None and op != "**" and op not in OP_LABELS:
            raise UserError(f"problem {pid}: node {name} has unknown op {op!r}")
        for inp in node.get("inputs") or []:
            if inp not in seen:
                raise UserError(f"problem {pid}: node {name} uses {inp!r}, which is not an earlier node")
        seen.add(name)
    output = problem.get("output", nodes[-1]["name"])
    if output not in seen:
        raise UserError(f"problem {pid}: output {output!r} is not a node")
    return nodes, output


def _op_label(node: dict) -> str:
    if node["op"] == "**":
        k = node.get("exponent")
        if k is None:
            raise UserError(f"node {node['name']}: ** without an exponent")
        return "^" + number(k)
    return OP_LABELS[node["op"]]


def marks(problem: dict, names=None) -> set[str]:
    """The nodes an answer picture marks: those of the answers named (default: every answer of the problem).
    "x.grad" marks x; so does "w1.new" (a step's answer is built from w1.grad). Anything else marks nothing:
    "estimate", "loss after", and zero_grad's "w.grad at step 2", which the pictured first step does not hold."""
    answers = [a.get("name") for a in problem.get("answers") or [] if isinstance(a, dict)]
    wanted = answers if names is None else list(names)
    return {n.rpartition(".")[0] for n in wanted if isinstance(n, str) and n.rpartition(".")[2] in ("grad", "new")}


def dot_source(problem: dict, answer: bool, marked=None, blank: tuple[float, float] = BLANK) -> str:
    """DOT text of the problem's graph: the question picture (answer=False) or an answer picture.

    An answer picture marks the answers named in `marked` (default: every asked answer). Every picture of
    one problem has the same layout and size, whatever it shows or marks. `blank` is the least (width,
    height) in pt of a grad's cell: the room a blank gives to write in.
    """
    return _sources(problem, [(answer, marked)], blank)[0][0]


def _sources(problem: dict, pictures: list[tuple[bool, object]], blank: tuple[float, float] = BLANK):
    """([dot_source's text for each (answer, marked) of `pictures`], the record's tables, the names of the values
    drawn as boxes or rows, (the value boxes, the tables' rows) as svgfill.Fill reads them). The pictures of one
    problem differ only in their boxes' and tables' labels: the rest of the text (the graph's defaults, the edges,
    the ops, the constants) is written once for all of them."""
    nodes, output = _check(problem)
    given_grad = problem.get("output_grad", 1.0)
    wanted = [(answer, marks(problem, marked)) for answer, marked in pictures]

    graphs = [Digraph(name="backprop") for _ in pictures]
    with same(graphs) as g:
        g.attr(
            "graph",
            rankdir="TB",
            nodesep="0.12",
            ranksep="0.14",
            margin="0",  # dot leaves the margin unpainted (transparent in PNG); pad is painted white
            pad="0.06",
            bgcolor="white",
            fontname=FONT,
            fontsize=FONT_SIZE,
        )
        g.attr("node", fontname=FONT, fontsize=FONT_SIZE, color=INK, fontcolor=INK, penwidth="1")
        g.attr(
            "edge",
            color=INK,
            arrowsize="0.5",
            penwidth="0.9",
            fontname=FONT,
            fontsize=SMALL_FONT_SIZE,
            labelfontsize=SMALL_FONT_SIZE,
            labelfontname=FONT,
        )

    constants = {node["name"]: number(node.get("data")) for node in nodes if node.get("constant")}
    every = [group_tables(problem, nodes, output, answer, asked, given_grad, blank) for answer, asked in wanted]
    tables = every[0]  # the same ids, rows and layers in every picture: only the labels differ
    for graph, own in zip(graphs, every):
        for tid, label in own.labels:
            graph.node(tid, label=label, shape="plain")
    with same(graphs) as g:
        for row in tables.layers + [[node_id(name) for name in tables.above]]:  # side by side, in this order
            if len(row) > 1:
                with g.subgraph() as side:
                    side.attr(rank="same")
                    for left, right in zip(row, row[1:]):
                        side.edge(left, right, style="invis")
    joined = set()  # (table, table or op) pairs with an edge: one edge however many rows connect them
    uses = 0
    boxes = {}  # each value box's DOT id -> (the grad an answer shows in it, whether it is the output)
    rows: dict[str, dict[int, str | None]] = {}  # each table's DOT id -> its rows' grads in an answer (the output: None)
    for node in nodes:
        name, nid = node["name"], node_id(node["name"])
        if name in constants:
            continue  # drawn beside each op that uses it, as the number written in the program
        if name in tables.home:  # a row of its table: an edge in from each value or table outside it
            head = tables.home[name]
            rows.setdefault(head, {})[tables.row[name]] = None if name == output else shown_grad(node, False, True, given_grad)
            with same(graphs) as g:
                for inp in node.get("inputs") or []:
                    tail = tables.home.get(inp, node_id(inp))
                    if inp not in constants and tail != head and (tail, head) not in joined:
                        joined.add((tail, head))
                        g.edge(tail, head)
            continue
        data = number(node.get("data"))
        boxes[nid] = (shown_grad(node, name == output, True, given_grad), name == output)
        for graph, (answer, asked) in zip(graphs, wanted):
            grad = shown_grad(node, name == output, answer, given_grad)
            cell = grad_cell(grad, name == output, blank)
            label = value_label(name, data, grad, cell, answer=answer, output=name == output, marked=name in asked)
            if answer and name in asked:  # a thick outline on the box's own border: the size stays the label's
                graph.node(nid, label=label, shape="box", penwidth=MARK_PENWIDTH, width="0", height="0", margin="0")
            else:
                graph.node(nid, label=label, shape="plain")
        if node.get("op") is None:
            continue
        with same(graphs) as g:
            oid = node_id(name, "op_")
            g.node(oid, label=_op_label(node), shape="circle", width="0.25", height="0.25", margin="0")
            roles = INPUT_ROLES.get(node["op"])
            inputs = list(node.get("inputs") or [])
            for i, inp in enumerate(inputs):
                tail = node_id(inp)
                if inp in constants:
                    uses += 1
                    tail = node_id(inp, f"c{uses}_")  # one box per use; the counter keeps ids apart from n_ and op_
                    g.node(tail, label=constants[inp], shape="box", style="rounded", margin="0.05,0.02", width="0",
                           height="0")
                elif inp in tables.home:
                    tail = tables.home[inp]
                    if (tail, oid) in joined:
                        continue
                    joined.add((tail, oid))
                attrs = {}
                if roles and i < len(roles):
                    attrs["label"] = roles[i]
                if inputs.count(inp) > 1:  # x * x: fan the two edges apart so both show
                    attrs["headport"] = ("nw", "ne", "w", "e", "n")[inputs[:i].count(inp) % 5]
                g.edge(tail, oid, **attrs)
            g.edge(oid, nid)
    drawn = {node["name"] for node in nodes if node["name"] not in constants}
    rows_in_order = {tid: [grads[r] for r in sorted(grads)] for tid, grads in rows.items()}
    return [graph.source for graph in graphs], tables, drawn, (boxes, rows_in_order)


# ---------------------------------------------------------------- files


# hashlib lets other threads run while it hashes a buffer of 2,048 bytes or more, and getting the interpreter back
# meant waiting for them (a deck's zip thread): hashed in shorter pieces, a picture's name costs no wait.
_HASH_PIECE = 2047


def picture_name(data: bytes, fmt: str) -> str:
    """A flat file name from the content: the same picture always has the same name, a changed one a new name."""
    h, view = hashlib.sha256(), memoryview(data)
    for at in range(0, len(view), _HASH_PIECE):
        h.update(view[at : at + _HASH_PIECE])
    return f"bp-{h.hexdigest()[:16]}.{fmt}"


class _Drawing(NamedTuple):
    job: _Job
    sources: list[str]
    where: dict[str, int]  # each distinct source -> its place in the job


def _start(dot: _Dot, sources: list[str], names: list[str]) -> _Drawing:
    """Hand dot the sources, each distinct one once (with the name of its first use)."""
    first: dict[str, str] = {}  # each distinct source and its name, in first-use order
    for source, name in zip(sources, names):
        first.setdefault(source, name)
    return _Drawing(dot.submit(list(first), list(first.values())), sources, {s: i for i, s in enumerate(first)})


def _finish(dot: _Dot, drawing: _Drawing) -> list[Picture]:
    """One Picture per source of the drawing, once dot has drawn them."""
    drawn = [Picture(picture_name(d, dot.fmt), d, dot.fmt) for d in dot.result(drawing.job)]
    return [drawn[drawing.where[s]] for s in drawing.sources]


# Problems drawn at a time in a pipeline: the first piece soon, then pieces small enough that little is left for
# the caller when dot has drawn the last (dot is kept running in SVG: a piece costs no process), or, where each
# batch is a dot process of its own (PNG), larger pieces for fewer processes.
PIECES = (16, 24, 32)
PIECES_EACH_PROCESS = (16, 32, 64, 100)
AHEAD = 2  # pieces handed to dot before the caller gets the first: dot never waits for Python
LEAST_PIECE = 4


def _pieces(items, sizes, total: int | None = None):
    """Lists of the items in order, of the sizes in `sizes` (the last one repeated). Given the `total` count of
    items, the last pieces get smaller (a share of what is left): the caller's work on the last ones drawn, which
    nothing overlaps, stays short."""
    items, n, left = iter(items), 0, total
    while True:
        size = sizes[min(n, len(sizes) - 1)]
        if left is not None:
            size = max(LEAST_PIECE, min(size, -(-left // (AHEAD + 1))))
        piece = list(itertools.islice(items, size))
        if not piece:
            return
        yield piece
        n += 1
        if left is not None:
            left -= len(piece)


def _pipeline(items, fmt: str, start, finish, total: int | None = None):
    """Yields (piece, finish(dot, piece, started)) for pieces of the items, in order, where started =
    start(dot, piece) (which builds the piece's DOT text and hands it to dot). Up to AHEAD pieces are with dot
    while the caller works on one (and while the items, perhaps a generator, make the next). `total`: how many
    items there are, if known (a hint for the pieces' sizes)."""
    dot = _Dot(fmt, _jobs(MAX_JOBS))
    try:
        pending = deque()
        for piece in _pieces(items, PIECES if dot.streams else PIECES_EACH_PROCESS, total):
            pending.append((piece, start(dot, piece)))
            if len(pending) > AHEAD:
                piece, started = pending.popleft()
                yield piece, finish(dot, piece, started)
        while pending:
            piece, started = pending.popleft()
            yield piece, finish(dot, piece, started)
    finally:
        dot.close()


# The lesson's worked example (LESSON.md): e = a*b; d = e + c; L = d*f at a=2, b=−3, c=10, f=−2, asking a.grad
# and b.grad. Its answer picture holds every place svgfill writes: filled grads, marked ones and the given output.
_FILL_CHECK = {"id": "fill-check", "output": "L", "answers": [{"name": "a.grad"}, {"name": "b.grad"}], "nodes": [
    {"name": "a", "data": 2.0, "grad": 6.0}, {"name": "b", "data": -3.0, "grad": -4.0},
    {"name": "e", "op": "*", "inputs": ["a", "b"], "data": -6.0, "grad": -2.0}, {"name": "c", "data": 10.0, "grad": -2.0},
    {"name": "d", "op": "+", "inputs": ["e", "c"], "data": 4.0, "grad": -2.0}, {"name": "f", "data": -2.0, "grad": 4.0},
    {"name": "L", "op": "*", "inputs": ["d", "f"], "data": -8.0, "grad": 1.0}]}


@functools.cache
def _fill_checked() -> bool:
    """Whether svgfill writes the answer picture dot draws, byte for byte, with this machine's dot: the lesson's
    example laid out twice (question and answer), once a process. If not (another Graphviz, which writes its SVG
    otherwise), dot lays out every answer picture."""
    texts, _, drawn, fill = _sources(_FILL_CHECK, [(False, None), (True, None)])
    try:
        question, answer = render(texts)
        return Fill(question, *fill).answer(node_id(n) for n in marks(_FILL_CHECK) & drawn) == answer
    except (Unsure, UserError):
        return False


def _fills(fmt: str, problem: dict) -> bool:
    """Whether the problem's answer pictures are written from its question picture (svgfill) rather than laid out:
    in SVG, where the check above holds, unless a table holds the output or an asked value (a row's mark is a
    tint a cell, and a cell without a border is not in the question's SVG: svgfill.py)."""
    if fmt != "svg":
        return False
    groups = problem.get("groups") or []
    members = {n for g in groups if isinstance(g, dict) for n in (g.get("nodes") or []) if isinstance(n, str)}
    if members and (problem.get("output") in members or marks(problem) & members):
        return False
    return _fill_checked()


def _filled(question: Picture, fill: tuple, marked: list) -> list[Picture] | None:
    """The answer pictures marking each set of `marked` (value boxes' DOT ids), written from the question
    picture; None where svgfill is unsure of it (dot then lays them out)."""
    try:
        fill = Fill(question.data, *fill)
        made = {}
        for ids in marked:
            if ids not in made:
                data = fill.answer(ids)
                made[ids] = Picture(picture_name(data, "svg"), data, "svg")
        return [made[ids] for ids in marked]
    except Unsure:
        return None


def _marked_ids(problem: dict, drawn: set, names=None) -> frozenset:
    return frozenset(node_id(n) for n in marks(problem, names) & drawn)


def pictures(problems, fmt: str = "svg", blank: tuple[float, float] = BLANK) -> list[tuple[Picture, Picture]]:
    """(question picture, answer picture marking every asked answer) for each problem, drawn by dot while the
    next problems' DOT text is written (and, when `problems` is a generator, while it makes them); the answer
    written from the question's layout where it can be (svgfill), else laid out too.
    `blank`: the least size of a grad's cell, as in dot_source."""
    _check_format(fmt)

    def start(dot, piece):
        sources, names, plans = [], [], []
        for problem in piece:
            pid = problem.get("id", "?")
            fills = _fills(fmt, problem)
            texts, _, drawn, fill = _sources(problem, [(False, None)] + ([] if fills else [(True, None)]), blank)
            sources += texts
            names += [f"the question picture of problem {pid}"] + ([] if fills else [f"the answer picture of problem {pid}"])
            plans.append((fill, _marked_ids(problem, drawn)) if fills else None)
        return _start(dot, sources, names), plans

    def finish(dot, piece, started):
        drawing, plans = started
        pics, out, i, redo = _finish(dot, drawing), [], 0, []
        for problem, plan in zip(piece, plans):
            question, i = pics[i], i + 1
            if plan is None:
                answer, i = pics[i], i + 1
            else:
                answer = (_filled(question, plan[0], [plan[1]]) or [None])[0]
                if answer is None:
                    redo.append((len(out), problem))
            out.append([question, answer])
        if redo:
            names = [f"the answer picture of problem {p.get('id', '?')}" for _, p in redo]
            again = _finish(dot, _start(dot, [dot_source(p, True, blank=blank) for _, p in redo], names))
            for (k, _), pic in zip(redo, again):
                out[k][1] = pic
        return [tuple(pair) for pair in out]

    return [pair for _, pairs in _pipeline(problems, fmt, start, finish) for pair in pairs]


class CardPictures(NamedTuple):
    question: Picture
    answer: Picture  # every asked answer marked: the whole backward pass
    each: dict[str, Picture]  # answer name -> the picture marking that answer alone


class _Cards(NamedTuple):
    problem: dict
    own: list[str]  # the answers with a picture of their own
    off: list[list[tuple[str, int]]]  # per answer in own: the marks to take off the whole-pass answer (svgmarks)
    fill: tuple | None = None  # written from the question (svgfill): (Fill's arguments, [marked ids: whole, each own])


def _card_start(dot: _Dot, problems: list[dict], each) -> tuple[_Drawing, list[_Cards]]:
    """Each problem's question picture to dot, and its whole-pass answer unless svgfill writes every answer
    picture from the question's layout. Where it does not, in SVG a card's own answer picture is made from the
    whole-pass one (svgmarks), in PNG dot draws it from its own DOT text (the same layout: dot -Tpng cannot be
    edited)."""
    sources, names, plans = [], [], []
    for problem in problems:
        pid = problem.get("id", "?")
        own = [a.get("name") for a in problem.get("answers") or []] if each is None else list(each(problem))
        if _fills(dot.fmt, problem):
            texts, _, drawn, fill = _sources(problem, [(False, None)])
            sources += texts
            names.append(f"the question picture of problem {pid}")
            marked = [_marked_ids(problem, drawn)] + [_marked_ids(problem, drawn, [name]) for name in own]
            plans.append(_Cards(problem, own, [], (fill, marked)))
            continue
        drawn_own = [] if dot.fmt == "svg" else own  # dot -Tpng cannot be edited: each card's own is drawn too
        texts, tables, drawn, _ = _sources(problem, [(False, None), (True, None)] + [(True, [n]) for n in drawn_own])
        sources += texts
        names += [f"the question picture of problem {pid}", f"the answer picture of problem {pid}"]
        names += [f"the {name} picture of problem {pid}" for name in drawn_own]
        off = []
        if dot.fmt == "svg":
            every = marks(problem) & drawn
            spot = {n: (tables.home.get(n) or node_id(n), tables.row.get(n, 0)) for n in every}  # once, not per card
            off = [[spot[n] for n in sorted(every - marks(problem, [name]))] for name in own]
        plans.append(_Cards(problem, own, off))
    return _start(dot, sources, names), plans


def _card_finish(dot: _Dot, started) -> list[CardPictures]:
    """Each problem's CardPictures once dot has drawn its question (and whole-pass answer; in PNG every card's
    own); a picture that could not be written or whose marks could not be taken off is drawn by dot from its own
    DOT text."""
    drawing, plans = started
    pics, out, i = _finish(dot, drawing), [], 0
    redo = []  # (place in out, answer or None for the whole pass, problem id, DOT text): drawn by dot after all
    for plan in plans:
        question, i = pics[i], i + 1
        if plan.fill is not None:
            fill, marked = plan.fill
            filled = _filled(question, fill, marked)
            pid = plan.problem.get("id", "?")
            if filled is None:
                redo.append((len(out), None, pid, dot_source(plan.problem, True)))
                redo += [(len(out), name, pid, dot_source(plan.problem, True, [name])) for name in plan.own]
                filled = [None] * (len(plan.own) + 1)
            out.append(CardPictures(question, filled[0], dict(zip(plan.own, filled[1:]))))
            continue
        answer, i = pics[i], i + 1
        if dot.fmt == "svg":
            made: dict[tuple, Picture] = {(): answer}  # a picture per distinct set of marks taken off
            each = {}
            try:
                found = Marks(answer.data, question.data, sorted({spot for off in plan.off for spot in off}))
            except Unsure:
                found = None
            for name, off in zip(plan.own, plan.off):
                key = tuple(off)
                if key not in made:
                    if found is None:
                        made[key] = None
                    else:
                        data = found.without(off)
                        made[key] = Picture(picture_name(data, "svg"), data, "svg")
                if made[key] is None:
                    redo.append((len(out), name, plan.problem.get("id", "?"), dot_source(plan.problem, True, [name])))
                each[name] = made[key]
        else:
            each = dict(zip(plan.own, pics[i : i + len(plan.own)]))
            i += len(plan.own)
        out.append(CardPictures(question, answer, each))
    if redo:
        names = [f"the {name or 'answer'} picture of problem {pid}" for _, name, pid, _ in redo]
        again = _finish(dot, _start(dot, [src for *_, src in redo], names))
        for (k, name, _, _), pic in zip(redo, again):
            if name is None:
                out[k] = out[k]._replace(answer=pic)
            else:
                out[k].each[name] = pic
    return out


def iter_card_pictures(chunks, fmt: str = "svg", each=None, total: int | None = None):
    """Yields (problems, [CardPictures]) for runs of the problems of `chunks` (an iterable of lists of problems),
    in order, every problem once: dot draws the next runs while the caller works on one, and while `chunks`
    makes more. `each(problem)` names the answers that get a picture of their own (default: every asked
    answer). Every distinct graph is laid out once: the question and the whole-pass answer. `total`: the number
    of problems, when known (the last runs are then smaller: less is left to do once dot has drawn them)."""
    _check_format(fmt)
    problems = (problem for chunk in chunks for problem in chunk)
    yield from _pipeline(problems, fmt, lambda dot, piece: _card_start(dot, piece, each),
                         lambda dot, piece, started: _card_finish(dot, started), total)


def card_pictures(problems: list[dict], fmt: str = "svg", each: list[list[str]] | None = None) -> list[CardPictures]:
    """The pictures of each problem's cards, all of one layout and size. `each` names, per problem, the answers
    that get a picture of their own (default: every asked answer)."""
    problems = list(problems)
    if each is not None:
        if len(each) != len(problems):
            raise ValueError("each must name the answers of every problem")
        lists = iter(each)  # the pipeline asks for them in the problems' order
        chooser = lambda problem: next(lists)  # noqa: E731
    else:
        chooser = None
    return [pics for _, run in iter_card_pictures([problems], fmt, chooser) for pics in run]


_SVG_SIZE = re.compile(rb'<svg width="([\d.]+)pt" height="([\d.]+)pt"')


def size_pt(data: bytes, fmt: str) -> tuple[float, float]:
    """(width, height) in points of a picture render() made: from the SVG's width/height, or the PNG's pixels."""
    if fmt == "svg":
        m = _SVG_SIZE.search(data)
        if not m:
            raise ValueError("not an SVG from dot: no width/height in pt")
        return float(m.group(1)), float(m.group(2))
    if fmt == "png":
        if data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
            raise ValueError("not a PNG")
        w, h = struct.unpack(">II", data[16:24])
        scale = 72 / float(PNG_DPI)
        return round(w * scale, 2), round(h * scale, 2)
    raise ValueError(f"unknown picture format {fmt!r}")


def write_answer_picture(problem: dict, path) -> None:
    """Draw the problem's answered graph to `path`, SVG or PNG by its suffix, whole or not at all."""
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UserError(f"cannot draw to {path}: give a file name ending in .svg or .png")
    if len(problem["nodes"]) > MAX_DRAWN_NODES:
        raise UserError(f"the graph has {len(problem['nodes'])} nodes, too many to draw readably (at most {MAX_DRAWN_NODES})")
    require_dot()
    check_writable(path)
    data = render([dot_source(problem, answer=True)], fmt, [f"the graph of {problem.get('id', 'the problem')}"])[0]
    write_bytes(path, data)
