"""Computation-graph pictures: DOT text from a problem record, rendered by Graphviz `dot` in batches.

Each value is a box with its name beside its data and grad (micrograd's record, fields stacked); each op
is a small circle feeding the value it makes. The graph runs top to bottom, inputs first, so a 15-node
graph is about 370 pt wide: it prints at full size on A4 and fits a phone when scaled to its width.
For - and / the two edges in are labelled (+ and −; num and den), so the order of the inputs shows.
The question picture leaves every grad blank except the output's given one; the answer picture
fills them all and marks the ones the problem asks for with a thick border and a tint.
A record's `groups` (an MLP's neurons, a batch's examples) are drawn as tables, a row per value
(tables.py), so that a network fits a page and a phone: the graph then runs between the tables.

Every picture of a problem has one layout, and each is laid out once: dot draws the question and the
whole-pass answer, and a card's own answer picture (one answer marked) is the whole-pass answer's SVG with
the other marks taken off (svgmarks.py). The DOT text is written directly (dottext.py). Pictures are made
in a pipeline (iter_card_pictures, pictures): dot draws some problems while Python writes the next ones'
text and the caller works on the last ones drawn.
"""

import functools
import hashlib
import itertools
import math
import os
import re
import shutil
import struct
import subprocess
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

from . import numbers
from .dotstream import Stream
from .dottext import Digraph
from .labels import (BLANK, FONT, FONT_SIZE, HIGHLIGHT_FILL, INK, MARK_PENWIDTH, PNG_DPI, SMALL_FONT_SIZE, SVG_FONT_FAMILY,
                     escape, grad_cell, node_id, number, shown_grad, value_label)
from .atomic import check_writable, write_bytes
from .errors import UserError
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

FORMATS = ("svg", "png")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_JOBS = 8
BATCH_MAX = 200  # graphs per dot process: dot's and our memory stay bounded, and the cores stay evenly loaded
STREAM_MOST = 1000  # graphs a dot kept running draws before a new one takes over: dot 2.43 grows ~11 kB a graph
DOT_TIMEOUT_S = 300
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
    return _source(problem, answer, marked, blank)[0]


def _source(problem: dict, answer: bool, marked=None, blank: tuple[float, float] = BLANK):
    """(dot_source's text, the record's tables, the names of the values drawn as boxes or rows)."""
    nodes, output = _check(problem)
    asked = marks(problem, marked)
    given_grad = problem.get("output_grad", 1.0)

    g = Digraph(name="backprop")
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
    tables = group_tables(problem, nodes, output, answer, asked, given_grad, blank)
    for tid, label in tables.labels:
        g.node(tid, label=label, shape="plain")
    for row in tables.layers + [[node_id(name) for name in tables.above]]:  # side by side, in this order
        if len(row) > 1:
            with g.subgraph() as same:
                same.attr(rank="same")
                for left, right in zip(row, row[1:]):
                    same.edge(left, right, style="invis")
    joined = set()  # (table, table or op) pairs with an edge: one edge however many rows connect them
    uses = 0
    for node in nodes:
        name, nid = node["name"], node_id(node["name"])
        if name in constants:
            continue  # drawn beside each op that uses it, as the number written in the program
        if name in tables.home:  # a row of its table: an edge in from each value or table outside it
            head = tables.home[name]
            for inp in node.get("inputs") or []:
                tail = tables.home.get(inp, node_id(inp))
                if inp not in constants and tail != head and (tail, head) not in joined:
                    joined.add((tail, head))
                    g.edge(tail, head)
            continue
        data = number(node.get("data"))
        grad = shown_grad(node, name == output, answer, given_grad)
        cell = grad_cell(grad, name == output, blank)
        label = value_label(name, data, grad, cell, answer=answer, output=name == output, marked=name in asked)
        if answer and name in asked:  # a thick outline on the box's own border: the size stays the label's
            g.node(nid, label=label, shape="box", penwidth=MARK_PENWIDTH, width="0", height="0", margin="0")
        else:
            g.node(nid, label=label, shape="plain")
        if node.get("op") is None:
            continue
        oid = node_id(name, "op_")
        g.node(oid, label=_op_label(node), shape="circle", width="0.25", height="0.25", margin="0")
        roles = INPUT_ROLES.get(node["op"])
        inputs = list(node.get("inputs") or [])
        for i, inp in enumerate(inputs):
            tail = node_id(inp)
            if inp in constants:
                uses += 1
                tail = node_id(inp, f"c{uses}_")  # one box per use; the counter keeps ids apart from n_ and op_
                g.node(tail, label=constants[inp], shape="box", style="rounded", margin="0.05,0.02", width="0", height="0")
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
    return g.source, tables, drawn


# ---------------------------------------------------------------- rendering


def require_dot() -> str:
    """The path of Graphviz `dot`; a one-line UserError telling how to install it when it is missing."""
    path = shutil.which("dot")
    if path is None:
        from .install_hint import graphviz_hint

        raise UserError(graphviz_hint())
    return path


def _jobs(n: int) -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_JOBS, n))


def _dot_args(dot: str, fmt: str) -> list[str]:
    args = [dot, f"-T{fmt}"]
    if fmt == "png":
        args.append(f"-Gdpi={PNG_DPI}")
    return args


_DOT_FONT = f'font-family="{FONT}"'.encode()
_SVG_FONT = f'font-family="{SVG_FONT_FAMILY}"'.encode()  # metric twins as fallbacks, then any sans-serif
_PAGE_GRAPH_ID = re.compile(rb'<g id="page\d+,\d+_graph0" class="graph"')


def _fix_svg(doc: bytes) -> bytes:
    """One graph's SVG as dot writes it alone: dot names the 2nd+ graph's group of a run "page0,1_graph0"; and the
    font named with its fallbacks (dot names only the one it measured with)."""
    doc = _PAGE_GRAPH_ID.sub(b'<g id="graph0" class="graph"', doc, count=1)
    return doc.replace(_DOT_FONT, _SVG_FONT)


def _split_svg(out: bytes) -> list[bytes]:
    """One standalone SVG document per graph. dot repeats the XML prolog for every graph but names the
    2nd+ graph's group "page0,1_graph0": set it back to "graph0" so a batch equals one-at-a-time. The font
    is named with its fallbacks (dot names only the one it measured with)."""
    docs, start = [], 0
    end_tag = b"</svg>"
    while True:
        i = out.find(end_tag, start)
        if i < 0:
            break
        end = i + len(end_tag)
        if out[end : end + 1] == b"\n":
            end += 1
        docs.append(_fix_svg(out[start:end]))
        start = end
    if out[start:].strip():
        docs.append(out[start:])  # trailing junk: makes the count wrong, so the batch is redone
    return docs


def _split_png(out: bytes) -> list[bytes]:
    """One PNG per graph, each cut after its IEND chunk and that chunk's CRC, walking the chunks."""
    docs, pos = [], 0
    while pos < len(out):
        if out[pos : pos + 8] != PNG_SIGNATURE:
            return docs + [out[pos:]]
        p = pos + 8
        while True:
            if p + 12 > len(out):
                return docs + [out[pos:]]
            (length,) = struct.unpack(">I", out[p : p + 4])
            kind = out[p + 4 : p + 8]
            p += 12 + length
            if kind == b"IEND":
                break
        docs.append(out[pos:p])
        pos = p
    return docs


def _run_dot(args: list[str], text: str) -> tuple[int, bytes, str]:
    try:
        proc = subprocess.run(args, input=text.encode("utf-8"), capture_output=True, timeout=DOT_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return -1, b"", f"dot took longer than {DOT_TIMEOUT_S} s"
    message = proc.stderr.decode("utf-8", "replace").strip()
    return proc.returncode, proc.stdout, message


def _split(out: bytes, fmt: str) -> list[bytes]:
    return _split_svg(out) if fmt == "svg" else _split_png(out)


def _render_batch(args, fmt, sources) -> list[tuple[bytes | None, str]]:
    """Pictures of `sources` from one dot process; if that fails, one process each, keeping each one's error."""
    code, out, _ = _run_dot(args, "\n".join(sources) + "\n")
    if code == 0:
        docs = _split(out, fmt)
        if len(docs) == len(sources):
            return [(doc, "") for doc in docs]
    results = []
    for source in sources:
        code, out, message = _run_dot(args, source)
        docs = _split(out, fmt) if code == 0 else []
        if len(docs) == 1:
            results.append((docs[0], ""))
        elif code == 0:
            results.append((None, f"dot made {len(docs)} pictures from it, not 1"))
        else:
            lines = message.splitlines() or [f"dot exited with status {code}"]
            results.append((None, next((x for x in lines if "rror" in x), lines[0])))
    return results


def _batches(sources: list[str], size: int) -> list[list[str]]:
    """The sources in order, cut into runs of at most `size` for one dot process each."""
    return [sources[i : i + size] for i in range(0, len(sources), size)]


class RenderError(UserError):
    """Some pictures could not be drawn. `results` holds every picture in order, None where one failed;
    `failures` lists (index, name, dot's message)."""

    def __init__(self, message: str, results: list, failures: list):
        super().__init__(message)
        self.results = results
        self.failures = failures


def _check_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise UserError(f"unknown picture format {fmt!r}; choose svg or png")


class _Job(NamedTuple):
    futures: list  # one per batch, each a list of (picture or None, dot's message)
    count: int
    names: list[str] | None


class _Dot:
    """dot, one process per core: submit() hands it sources and returns at once, so that Python builds the next
    pictures' text while dot lays out these; result() waits for them. In SVG the processes are kept running for
    every submit (dotstream.py); in PNG (whose pictures cannot be told apart in a stream) each batch is a dot
    process of its own, run by a thread."""

    def __init__(self, fmt: str, jobs: int):
        _check_format(fmt)
        self.fmt, self.jobs = fmt, jobs
        self.args = _dot_args(require_dot(), fmt)
        self.streams, self.retired, self.pool = [], [], None
        if fmt == "svg" and os.name == "posix":  # waiting on a pipe with a timeout (selectors)
            self.streams = [self._stream() for _ in range(jobs)]
        else:
            self.pool = ThreadPoolExecutor(max_workers=jobs)

    def _stream(self) -> Stream:
        return Stream(self.args, _fix_svg, functools.partial(_render_batch, self.args, self.fmt), DOT_TIMEOUT_S)

    def _send(self, batch: list[str]):
        """The batch to the dot process with the least left to draw; a process that stopped (on a broken source),
        or that has drawn STREAM_MOST graphs, gives way to a new one."""
        k = min(range(len(self.streams)), key=lambda i: self.streams[i].queued)
        future = self.streams[k].send(batch)
        if future is None or self.streams[k].sent >= STREAM_MOST:
            self.streams[k].retire()
            self.retired.append(self.streams[k])
            self.streams[k] = self._stream()
        return future if future is not None else self.streams[k].send(batch)

    def submit(self, sources: list[str], names: list[str] | None = None) -> _Job:
        if names is not None and len(names) != len(sources):
            raise ValueError("names must match sources one to one")
        size = min(BATCH_MAX, math.ceil(len(sources) / self.jobs)) or 1
        if self.streams:
            futures = [self._send(batch) for batch in _batches(sources, size)]
        else:
            futures = [self.pool.submit(_render_batch, self.args, self.fmt, batch) for batch in _batches(sources, size)]
        return _Job(futures, len(sources), names)

    def result(self, job: _Job) -> list[bytes]:
        """The job's pictures in order; RenderError naming the first that dot could not draw."""
        parts = [f.result() for f in job.futures]
        results = [doc for part in parts for doc, _ in part]
        failures = [
            (i, job.names[i] if job.names else f"picture {i + 1} of {job.count}", message)
            for i, (doc, message) in enumerate(r for part in parts for r in part)
            if doc is None
        ]
        if failures:
            _, name, message = failures[0]
            more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
            raise RenderError(f"could not draw {name}{more}: {message}", results, failures)
        return results

    def close(self) -> None:
        """Stop the processes (at once, should some pictures be still unasked for: the caller left early)."""
        for stream in self.retired + self.streams:
            stream.close(kill=stream.queued > 0)
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)


def render(sources: list[str], fmt: str = "svg", names: list[str] | None = None) -> list[bytes]:
    """Render DOT sources with Graphviz `dot`, many graphs per process, a few processes in parallel.

    Returns one SVG document or PNG image per source, in order; the same sources give the same bytes.
    A source dot cannot draw raises RenderError (a UserError) naming it; the others are still drawn and
    are in the error's `results`. `names` (one per source) are used in that message.
    """
    _check_format(fmt)
    sources = list(sources)
    if names is not None and len(names) != len(sources):
        raise ValueError("names must match sources one to one")
    if not sources:
        return []
    dot = _Dot(fmt, _jobs(len(sources)))
    try:
        return dot.result(dot.submit(sources, names))
    finally:
        dot.close()


# ---------------------------------------------------------------- files


def picture_name(data: bytes, fmt: str) -> str:
    """A flat file name from the content: the same picture always has the same name, a changed one a new name."""
    return f"bp-{hashlib.sha256(data).hexdigest()[:16]}.{fmt}"


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


def pictures(problems, fmt: str = "svg", blank: tuple[float, float] = BLANK) -> list[tuple[Picture, Picture]]:
    """(question picture, answer picture marking every asked answer) for each problem, drawn by dot while the
    next problems' DOT text is written (and, when `problems` is a generator, while it makes them).
    `blank`: the least size of a grad's cell, as in dot_source."""
    _check_format(fmt)

    def start(dot, piece):
        sources, names = [], []
        for problem in piece:
            pid = problem.get("id", "?")
            for answer, what in ((False, "question"), (True, "answer")):
                sources.append(dot_source(problem, answer, blank=blank))
                names.append(f"the {what} picture of problem {pid}")
        return _start(dot, sources, names)

    def finish(dot, piece, started):
        pics = _finish(dot, started)
        return list(zip(pics[0::2], pics[1::2]))

    return [pair for _, pairs in _pipeline(problems, fmt, start, finish) for pair in pairs]


class CardPictures(NamedTuple):
    question: Picture
    answer: Picture  # every asked answer marked: the whole backward pass
    each: dict[str, Picture]  # answer name -> the picture marking that answer alone


class _Cards(NamedTuple):
    problem: dict
    own: list[str]  # the answers with a picture of their own
    off: list[list[tuple[str, int]]]  # per answer in own: the marks to take off the whole-pass answer (SVG)


def _card_start(dot: _Dot, problems: list[dict], each) -> tuple[_Drawing, list[_Cards]]:
    """The question and whole-pass answer of each problem to dot; in SVG a card's own answer picture is made from
    them (svgmarks), in PNG dot draws it from its own DOT text (the same layout: dot -Tpng cannot be edited)."""
    sources, names, plans = [], [], []
    for problem in problems:
        pid = problem.get("id", "?")
        own = [a.get("name") for a in problem.get("answers") or []] if each is None else list(each(problem))
        question = dot_source(problem, False)
        answer, tables, drawn = _source(problem, True)
        sources += [question, answer]
        names += [f"the question picture of problem {pid}", f"the answer picture of problem {pid}"]
        off = []
        if dot.fmt == "svg":
            every = marks(problem) & drawn
            for name in own:
                taken = sorted(every - marks(problem, [name]))
                off.append([(tables.home.get(n) or node_id(n), tables.row.get(n, 0)) for n in taken])
        else:
            sources += [dot_source(problem, True, [name]) for name in own]
            names += [f"the {name} picture of problem {pid}" for name in own]
        plans.append(_Cards(problem, own, off))
    return _start(dot, sources, names), plans


def _card_finish(dot: _Dot, started) -> list[CardPictures]:
    """Each problem's CardPictures once dot has drawn its question and whole-pass answer (in PNG, every card's
    own); a card whose marks could not be taken off is drawn by dot from its own DOT text."""
    drawing, plans = started
    pics, out, i = _finish(dot, drawing), [], 0
    redo = []  # (place in out, answer, problem id, DOT text): a picture whose marks could not be taken off
    for plan in plans:
        question, answer = pics[i], pics[i + 1]
        i += 2
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
        names = [f"the {name} picture of problem {pid}" for _, name, pid, _ in redo]
        again = _finish(dot, _start(dot, [src for *_, src in redo], names))
        for (k, name, _, _), pic in zip(redo, again):
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
