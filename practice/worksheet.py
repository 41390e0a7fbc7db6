"""Printable worksheets: class sets of seeded versions, their answer keys and a manifest to regenerate them.

Each version is the spec's problem mix generated from the version's own seed, derived from the set seed,
so `backprop-practice problems SPEC --seed <version seed> --json` shows exactly that version's problems.
The PDF is Jinja2 -> Typst source -> the `typst` package (templates/worksheet/*.typ.j2); --format html
renders templates/worksheet/*.html.j2 into one self-contained file each for the sheets and the keys.
Python here picks seeds, codes and picture sizes; every word a person reads lives in the templates.
"""

import base64
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import click

from .errors import Interrupted, UserError
from .spec import MAX_PROBLEMS

MAX_VERSIONS = 500
SUFFIXES = {"pdf": (".pdf",), "html": (".html", ".htm")}
PAPERS = {"a4": "a4", "letter": "us-letter"}  # our name -> Typst's paper name
FORMATS = ("pdf", "html")
MANIFEST_FORMAT = "backprop-practice.worksheets/1"
MIN_PRINT_PT = 7.0  # no picture text smaller than this on paper
DISTINCT_TRIES = 50  # re-derive a version's seed at most this often when it repeats an earlier version
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U to misread

# Page geometry in pt. The templates get these (margins, column widths), so the sizes chosen here are the sizes used.
PAPER_PT = {"a4": (595.28, 841.89), "letter": (612.0, 792.0)}
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 48.0, 40.0, 52.0
SIDEBAR_PT = 168.0  # given values and answer lines beside a question picture
KEY_SIDE_PT = (190.0, 150.0)  # answers and worked steps beside an answer picture: the width tried first, and least
GUTTER_PT = 14.0
KEY_MAX_SCALE = 0.85  # key pictures need no room to write in

# Heights of the parts of a problem, in pt, measured on Typst's output (tests/test_worksheet.py checks that
# every problem's estimate is at least its measured height, so a problem that fits by estimate fits on paper).
LINE_PT = 13.8  # a line of body text
CHAR_PT = 5.0  # a character of body text, on average (generous)
MATH_CHAR_PT = 5.6  # a character of an inline statement
HEAD_PT = 30.0  # the problem's heading and rule, and the gaps around the intro
FORWARD_PT = 17.0  # a line of the forward-pass statements
TITLE_PT = 16.0  # "Given", "Answers", "Worked steps"
GIVEN_ROW_PT = 16.5
ANSWER_ROW_PT = 27.0
KEY_ANSWER_ROW_PT = 18.0
STEP_PT = 11.5
STEP_CHAR_PT = 4.3  # a character of a worked step
WORK_PT = (50.0, 150.0)  # least working space of a problem, from 8 pt a worked step within these bounds
LEAST_WORK_PT = 24.0  # when space is short
ANSWER_LINE_PT = 150.0  # longest answer line

# ---------------------------------------------------------------- versions


@dataclass
class Version:
    number: int
    code: str
    seed: int
    problems: list[dict]
    pictures: list = field(default_factory=list)  # (question Picture, answer Picture) per problem


def version_seed(set_seed: int, number: int, attempt: int = 0) -> int:
    """Version `number`'s seed: stable across processes; `attempt` > 0 only when an earlier try repeated a version."""
    from .generate import derive_seed

    parts = ("worksheet-version", set_seed, number) + ((attempt,) if attempt else ())
    return derive_seed(*parts)


def version_code(number: int, seed: int, width: int = 2) -> str:
    """A short code printed on every page: the version number and four letters from its seed, e.g. V07-K3QX."""
    letters, x = [], seed
    for _ in range(4):
        letters.append(CODE_ALPHABET[x % 32])
        x //= 32
    return f"V{number:0{width}d}-{''.join(letters)}"


def _signature(problems: list[dict]) -> tuple:
    return tuple(p["question"] for p in problems)


def iter_versions(spec, count: int):
    """`count` versions of the spec's mix, made one at a time, each from its own seed. A version that would repeat
    an earlier one is drawn again from the next attempt's seed (up to DISTINCT_TRIES times: a spec with few
    possible problems may still repeat); the manifest records the seed used either way."""
    from .generate import problem_set

    width = max(2, len(str(count)))
    seen = set()
    for number in range(1, count + 1):
        for attempt in range(DISTINCT_TRIES):
            seed = version_seed(spec.seed, number, attempt)
            problems = problem_set(spec.entries, seed)
            if _signature(problems) not in seen:
                break
        seen.add(_signature(problems))
        yield Version(number, version_code(number, seed, width), seed, problems)


def make_versions(spec, count: int) -> list[Version]:
    return list(iter_versions(spec, count))


# ---------------------------------------------------------------- picture sizes

_FONT_SIZE = re.compile(rb'font-size="([\d.]+)"')


def smallest_font_pt(svg: bytes) -> float:
    """The smallest text size in a dot SVG, in pt at its natural size."""
    sizes = [float(s) for s in _FONT_SIZE.findall(svg)]
    return min(sizes) if sizes else 14.0


def text_box(paper: str) -> tuple[float, float]:
    w, h = PAPER_PT[paper]
    return w - 2 * MARGIN_X, h - MARGIN_TOP - MARGIN_BOTTOM


def _lines(widths: list[float], room: float) -> int:
    """Lines that pieces of these widths fill when set one after another and wrapped at `room`."""
    lines, used = 1, 0.0
    for w in widths:
        if used and used + w > room:
            lines, used = lines + 1, 0.0
        used += w
    return lines


def _wrapped(step: str, width: float) -> int:
    """Lines a worked step takes in a column (9 pt text, hanging indent)."""
    return _lines([STEP_CHAR_PT * (len(word) + 1) for word in step.split()], width - 12)


def _head_pt(problem: dict, width: float) -> float:
    """Heading, intro and forward-pass line of a problem on the sheet."""
    from .record import statements

    intro = _lines([CHAR_PT * (len(word) + 1) for word in _intro(problem["question"]).split()], width)
    forward = _lines([70.0] + [MATH_CHAR_PT * len(s) + 14 for s in statements(problem["nodes"], pretty=True)], width)
    return HEAD_PT + intro * LINE_PT + forward * FORWARD_PT


def _given_rows(problem: dict) -> int:
    from .record import leaves

    return len(leaves(problem["nodes"])) + 1 + ("learning_rate" in problem) + ("h" in problem)


def _work_pt(problem: dict) -> float:
    low, high = WORK_PT
    return max(low, min(high, 18 + 8 * len(problem["steps"])))


def _scale(picture, room_w: float, room_h: float, most: float = 1.0) -> float:
    """The largest scale, at most `most`, that fits the room; 0 when that would print text below MIN_PRINT_PT."""
    w, h = picture.size_pt
    scale = min(most, room_w / w, room_h / h)
    return scale if scale * smallest_font_pt(picture.data) >= MIN_PRINT_PT - 1e-9 else 0.0


def _placement(picture, mode: str, scale: float, height: float, room_w: float, room_h: float, work: float = 0.0) -> dict:
    """How a picture is placed: mode ("side" or "stacked"), width (pt), font (its smallest text in print, pt),
    work (pt of working space), height (the problem's estimated height, pt), breakable, line (answer line, pt)."""
    w, _ = picture.size_pt
    floor = MIN_PRINT_PT / smallest_font_pt(picture.data)
    breakable = scale < floor - 1e-9 or height > room_h + 0.5
    scale = max(scale, floor)
    # answer lines: long enough for a signed number with 4 decimals, not running across a wide column
    column = room_w - w * scale - GUTTER_PT if mode == "side" else (room_w - 110 - 2 * GUTTER_PT) / 2
    line = max(60.0, min(ANSWER_LINE_PT, column - 95))
    return dict(mode=mode, width=round(w * scale, 2), font=round(scale * smallest_font_pt(picture.data), 2),
                     work=round(work, 1), height=round(height, 1), breakable=breakable, line=round(line, 1))


def sheet_layout(problem: dict, picture, paper: str) -> dict:
    """Where a question picture goes and how large: beside the given values and answer lines ("side") when it
    fits there at a readable size, else above them ("stacked"); as large as fits, at most its natural size.
    A problem that cannot fit on one page with its text at MIN_PRINT_PT or more is marked breakable."""
    tw, th = text_box(paper)
    w, h = picture.size_pt
    head = _head_pt(problem, tw)
    answers = len(problem["answers"])
    work = _work_pt(problem)
    given = TITLE_PT + _given_rows(problem) * GIVEN_ROW_PT
    side = given + 2 + TITLE_PT + answers * ANSWER_ROW_PT + 10
    scale = _scale(picture, tw - SIDEBAR_PT - GUTTER_PT, th - head)
    if scale:
        work = max(work, h * scale - side)  # the working space reaches down to the picture's foot
        return _placement(picture, "side", scale, head + side + work, tw, th, work)
    below = max(given, TITLE_PT + -(-answers // 2) * ANSWER_ROW_PT) + 8
    for room in (work, LEAST_WORK_PT):
        scale = _scale(picture, tw, th - head - below - room)
        if scale:
            return _placement(picture, "stacked", scale, head + h * scale + below + room, tw, th, room)
    scale = MIN_PRINT_PT / smallest_font_pt(picture.data)
    return _placement(picture, "stacked", scale, head + h * scale + below + LEAST_WORK_PT, tw, th, LEAST_WORK_PT)


def key_layout(problem: dict, picture, paper: str) -> dict:
    """An answer picture with the answers and worked steps beside it when they fit, else below it."""
    tw, th = text_box(paper)
    w, h = picture.size_pt
    answers = len(problem["answers"]) * KEY_ANSWER_ROW_PT
    head = HEAD_PT + 8
    steps = problem["steps"]
    for column in KEY_SIDE_PT:  # a narrower column of steps beside a tall picture beats a split problem
        side = answers + 4 + TITLE_PT + STEP_PT * sum(_wrapped(s, column) for s in steps)
        scale = _scale(picture, tw - column - GUTTER_PT, th - head, KEY_MAX_SCALE)
        if scale and side <= th - head:
            return _placement(picture, "side", scale, head + max(h * scale, side), tw, th)
    column = tw - KEY_SIDE_PT[0] - 2 * GUTTER_PT  # the steps beside the answers, under the picture
    below = max(answers, TITLE_PT + STEP_PT * sum(_wrapped(s, column) for s in steps)) + 4
    scale = _scale(picture, tw, th - head - below, KEY_MAX_SCALE)
    if not scale:
        scale = MIN_PRINT_PT / smallest_font_pt(picture.data)
    return _placement(picture, "stacked", scale, head + h * scale + below, tw, th)


# ---------------------------------------------------------------- what the templates get


def _intro(question: str) -> str:
    lines = question.split("\n")
    intro = []
    for line in lines:
        if line.startswith("Given "):
            break
        intro.append(line)
    return " ".join(intro).strip()


def _given(problem: dict) -> list[dict]:
    """The named inputs with their values, in the order the question lists them (x1, w1, x2, w2, b)."""
    from .numbers import fmt
    from .record import leaves

    line = next((l for l in problem["question"].split("\n") if l.startswith("Given ")), "")
    order = {m.group(1): m.start() for m in re.finditer(r"(?:Given |, )([^\s,=]+) = ", line)}
    nodes = sorted(leaves(problem["nodes"]), key=lambda n: order.get(n["name"], len(line)))
    return [{"name": n["name"], "value": fmt(n["data"])} for n in nodes]


def _answer(a: dict, problem: dict) -> dict:
    from .numbers import fmt

    name = a["name"]
    if name.endswith(".grad"):
        kind, var = "grad", name[: -len(".grad")]
    elif name.endswith(".new"):
        kind, var = "new", name[: -len(".new")]
    else:
        kind, var = name, ""
    whole = problem.get("output_grad", 1.0) == 1  # grads of the whole graph's output: ∂output/∂var
    return {"name": name, "kind": kind, "var": var, "of": problem["output"] if whole else None,
            "value": fmt(a["value"]), "tolerance": fmt(a["tolerance"], 6)}


def _statement(node: dict, by_name: dict) -> dict:
    from .numbers import fmt

    inputs = []
    for name in node["inputs"]:
        n = by_name[name]
        inputs.append({"name": name, "constant": bool(n.get("constant")), "value": fmt(n["data"])})
    return {"name": node["name"], "op": node["op"], "inputs": inputs,
            "exponent": fmt(node["exponent"]) if node.get("exponent") is not None else None}


def problem_view(number: int, problem: dict, pics, paper: str) -> dict:
    """One problem as the templates see it. Its pictures are named by content hash: their sys_inputs keys."""
    from .numbers import fmt

    question, answer = pics
    by_name = {n["name"]: n for n in problem["nodes"]}
    view = {
        "number": number,
        "id": problem["id"],
        "kind": problem["kind"],
        "difficulty": problem["difficulty"],
        "intro": _intro(problem["question"]),
        "given": _given(problem),
        "statements": [_statement(n, by_name) for n in problem["nodes"] if n["op"]],
        "output": problem["output"],
        "output_grad": fmt(problem.get("output_grad", 1.0)),
        "learning_rate": fmt(problem["learning_rate"]) if "learning_rate" in problem else None,
        "h": fmt(problem["h"]) if "h" in problem else None,
        "answers": [_answer(a, problem) for a in problem["answers"]],
        "steps": problem["steps"],
        "question_picture": {"key": question.name, "picture": question, **sheet_layout(problem, question, paper)},
        "answer_picture": {"key": answer.name, "picture": answer, **key_layout(problem, answer, paper)},
    }
    return view


def data_uri(picture) -> str:
    """A picture as a data: URI (HTML's filter): made only when a page is rendered, never held for all."""
    return "data:image/svg+xml;base64," + base64.b64encode(picture.data).decode("ascii")


def views(spec, versions: list[Version], paper: str, probe: bool = False) -> tuple[dict, dict]:
    """(template context, sys_inputs: picture name -> SVG text)."""
    inputs = {pic.name: pic.data.decode("utf-8") for v in versions for pair in v.pictures for pic in pair}
    section = spec.sections.get("worksheet") or {}
    context = {
        "title": section.get("title") or spec.title,
        "instructions": section.get("instructions"),
        "minutes": section.get("minutes"),
        "spec": spec.name,
        "paper": PAPERS[paper],
        "paper_name": paper,
        "margin": {"x": MARGIN_X, "top": MARGIN_TOP, "bottom": MARGIN_BOTTOM},
        "textwidth": text_box(paper)[0],
        "textheight": text_box(paper)[1],
        "probe": probe,
        "sidebar": SIDEBAR_PT,
        "gutter": GUTTER_PT,
        "versions": [
            {
                "number": v.number,
                "code": v.code,
                "seed": v.seed,
                "points": sum(len(p["answers"]) for p in v.problems),
                "problems": [problem_view(i, p, pics, paper) for i, (p, pics) in enumerate(zip(v.problems, v.pictures), 1)],
            }
            for v in versions
        ],
    }
    return context, inputs


# ---------------------------------------------------------------- templates


def typst_string(value) -> str:
    """Any text as a Typst string literal: user text never becomes markup or code."""
    text = str(value)
    out = ['"']
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _pt(x) -> str:
    return f"{float(x):.2f}pt"


_envs = {}


def environment(kind: str):
    """The Jinja2 environment for "typst" (<< >>, <% %>, <# #>: Typst's own # and { } stay free), "html" or "text"."""
    if kind not in _envs:
        import jinja2

        from .resources import templates_dir

        loader = jinja2.FileSystemLoader(str(templates_dir()))
        if kind == "typst":
            env = jinja2.Environment(
                loader=loader, undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
                block_start_string="<%", block_end_string="%>", variable_start_string="<<", variable_end_string=">>",
                comment_start_string="<#", comment_end_string="#>", trim_blocks=True, lstrip_blocks=True,
            )
            env.filters["str"] = typst_string
            env.filters["pt"] = _pt
        else:  # html (autoescaped) or plain text
            env = jinja2.Environment(loader=loader, undefined=jinja2.StrictUndefined, autoescape=kind == "html",
                                     trim_blocks=True, lstrip_blocks=True)
            env.filters["pt"] = _pt
            env.filters["data_uri"] = data_uri
        _envs[kind] = env
    return _envs[kind]


def render_template(name: str, context: dict) -> str:
    kind = "typst" if name.endswith(".typ.j2") else "html"
    return environment(kind).get_template(f"worksheet/{name}").render(**context)


def _timestamp() -> int | None:
    """SOURCE_DATE_EPOCH, when set, as the PDFs' date: the same inputs then give the same bytes."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    return int(value) if value.isdigit() else None


# ---------------------------------------------------------------- the command's work


@dataclass
class Summary:
    versions: int
    problems: int
    pages: int | None  # student pages (PDF only)
    key_pages: int | None
    files: list[Path]
    smallest_font_pt: float
    seconds: float
    repeats: int = 0  # versions equal to an earlier one (a spec with few possible problems)


def output_paths(out, key, fmt: str) -> tuple[Path, Path, Path]:
    """(sheets, keys, manifest), all checked writable and distinct, before any work."""
    from .atomic import check_writable

    suffix = "." + fmt
    for given, option in ((out, "-o"), (key, "--key")):
        if given is not None and not str(given).strip():
            raise UserError(f"{option} needs a file name")
        if given and Path(given).suffix.lower() not in SUFFIXES[fmt]:
            raise UserError(f"{option} {given} must end in {' or '.join(SUFFIXES[fmt])} for --format {fmt}")
    out = Path(out) if out else Path(f"worksheet{suffix}")
    key = Path(key) if key else out.with_name(f"{out.stem}-key{out.suffix or suffix}")
    manifest = out.with_suffix(".json")
    paths = (out, key, manifest)
    if len({p.resolve() for p in paths}) < 3:
        raise UserError(f"the worksheets, answer keys and manifest need three different files, not {out}, {key} and {manifest}")
    for p in paths:
        check_writable(p)
    return paths


def output_format(out, fmt: str | None) -> str:
    """--format, or the one OUT's suffix names; a suffix that contradicts --format is refused."""
    suffix = Path(out).suffix.lower() if out else ""
    named = {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(suffix)
    if fmt is None:
        return named or "pdf"
    if named and named != fmt:
        raise UserError(f"-o {out} names a {named.upper()} file but --format is {fmt}; make them agree")
    return fmt


def check_versions(versions) -> int:
    if isinstance(versions, bool) or not isinstance(versions, int) or not 1 <= versions <= MAX_VERSIONS:
        raise UserError(f"--versions must be from 1 to {MAX_VERSIONS}, not {versions!r}")
    return versions


@contextmanager
def _writing(path):
    """OSError while writing `path` (a full disk, a quota) as one line."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None


class Manifest:
    """The manifest (OUT.json), written a version at a time as versions pass through record(): the text
    json.dumps(..., indent=2) would give for the whole, without holding every version's problems."""

    def __init__(self, f, spec, shown):
        from . import GENERATOR

        self.f, self.shown = f, shown
        self.versions = self.problems = 0
        self.signatures = set()
        head = {"format": MANIFEST_FORMAT, "generator": GENERATOR, "spec": spec.name, "seed": spec.seed}
        self._write(json.dumps(head, ensure_ascii=False, indent=2)[: -len("\n}")] + ',\n  "versions": [')

    def _write(self, text: str) -> None:
        with _writing(self.shown):
            self.f.write(text)

    def record(self, versions):
        """Pass the versions on, each written down as it goes by."""
        for v in versions:
            entry = json.dumps({"code": v.code, "seed": v.seed, "problems": v.problems}, ensure_ascii=False, indent=2)
            self._write(("\n" if self.versions == 0 else ",\n") + textwrap.indent(entry, "    "))
            self.versions += 1
            self.problems += len(v.problems)
            self.signatures.add(_signature(v.problems))
            yield v

    def close(self) -> None:
        with _writing(self.shown):
            self.f.write("\n  ]\n}\n")
            self.f.flush()


# ---------------------------------------------------------------- a group of versions at a time

VERSIONS_PER_TYPESET = 20  # typst holds ~1.8 MB a page until its process ends: typeset at most this many versions per child


def _groups(spec, versions, total: int, paper: str):
    """The `total` versions (an iterable: they are made as they are needed) in groups of at most
    VERSIONS_PER_TYPESET, as even as can be: each group's pictures drawn, then its (template context, picture
    inputs). A group is let go before the next is made, so memory holds one group's worth however many
    versions there are."""
    from . import draw

    count = -(-total // VERSIONS_PER_TYPESET)
    versions = iter(versions)
    for g in range(count):
        group = list(itertools.islice(versions, total * (g + 1) // count - total * g // count))
        pics = iter(draw.pictures([p for v in group for p in v.problems], "svg"))
        for v in group:
            v.pictures = [next(pics) for _ in v.problems]
        yield views(spec, group, paper)
        for v in group:
            v.pictures = []


def _smallest_font(context: dict) -> float:
    sides = ("question_picture", "answer_picture")
    return min((p[side]["font"] for v in context["versions"] for p in v["problems"] for side in sides), default=0.0)


# The child's whole program: it needs only typst. A fresh interpreter per document gives typst's memory back
# when it ends, and (unlike fork) cannot inherit a lock some library thread holds.
_TYPESET_CHILD = """
import json, sys, typst
job = json.load(sys.stdin.buffer)
with open(job["inputs"], encoding="utf-8") as f:
    inputs = json.load(f)
try:
    pdf = typst.compile(job["source"].encode("utf-8"), format="pdf", sys_inputs=inputs,
                        ignore_system_fonts=True, timestamp=job["timestamp"])
except Exception as exc:
    message = getattr(exc, "message", None) or str(exc)
    sys.stderr.write(" ".join(str(message).split()))
    sys.exit(3)
try:
    with open(job["output"], "wb") as f:
        f.write(pdf)
except OSError as exc:
    sys.stderr.write(f"cannot write a temporary file {job['output']}: {exc.strerror or exc}")
    sys.exit(4)
"""


class _Children:
    """The typesetting children now running. stop() ends them, and no new one starts after it."""

    def __init__(self):
        import threading

        self.lock = threading.Lock()
        self.running: set[subprocess.Popen] = set()
        self.stopped = False

    def run(self, payload: bytes) -> tuple[int, bytes]:
        with self.lock:
            if self.stopped:
                return -signal.SIGTERM, b""
            proc = subprocess.Popen([sys.executable, "-c", _TYPESET_CHILD], stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.running.add(proc)
        try:
            _, err = proc.communicate(payload)
        finally:
            with self.lock:
                self.running.discard(proc)
        return proc.returncode, err

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for proc in self.running:
                proc.kill()


def _typeset(children: _Children, source: str, inputs: Path, output: Path) -> None:
    """One Typst document, typeset in a child process that reads its pictures from `inputs` (JSON: name -> SVG)
    and writes the PDF to `output`."""
    payload = json.dumps({"source": source, "inputs": str(inputs), "timestamp": _timestamp(), "output": str(output)})
    status, err = children.run(payload.encode("utf-8"))
    if -status in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C reached the child before this process
        raise Interrupted(-status, "interrupted" if -status == signal.SIGINT else "terminated")
    message = err.decode("utf-8", "replace").strip()
    if status == 3:
        raise UserError(f"could not typeset the worksheet (a bug in its template): {message}")
    if status == 4:
        raise UserError(message)
    if status != 0:
        raise UserError(f"the typesetting process failed (status {status}): {(message.splitlines() or ['no message'])[-1]}")


def write_pdfs(spec, versions, total: int, paper: str, temps, shown) -> tuple[int, int, float]:
    """Typeset the sheets and keys into temps[0] and temps[1]: (pages, key pages, smallest picture text in pt).

    A group of versions is typeset (both documents at once, each in a child process) while the next group is
    drawn and the one before is joined onto the outputs. At most two groups are under way at any time."""
    import tempfile
    from concurrent.futures import ThreadPoolExecutor

    from .pdfjoin import Joiner

    smallest = float("inf")
    children = _Children()
    with tempfile.TemporaryDirectory(prefix="backprop-practice-") as spill, ThreadPoolExecutor(2) as pool, \
            Joiner(temps[0]) as sheets, Joiner(temps[1]) as keys:
        waiting = []  # groups under way: (their pictures file, [(job, its part, the output it joins, its name)])

        def join_oldest_group():
            pictures, jobs = waiting.pop(0)
            for job, part, joiner, name in jobs:
                job.result()
                with _writing(name):
                    joiner.add(part)
                part.unlink()
            pictures.unlink()

        try:
            for n, (context, inputs) in enumerate(_groups(spec, versions, total, paper)):
                smallest = min(smallest, _smallest_font(context))
                pictures = Path(spill) / f"pictures-{n:03d}.json"  # the children read them: none held here
                pictures.write_text(json.dumps(inputs), encoding="utf-8")
                jobs = []
                for template, joiner, name in (("sheet.typ.j2", sheets, shown[0]), ("key.typ.j2", keys, shown[1])):
                    part = Path(spill) / f"{template.split('.')[0]}-{n:03d}.pdf"
                    job = pool.submit(_typeset, children, render_template(template, context), pictures, part)
                    jobs.append((job, part, joiner, name))
                waiting.append((pictures, jobs))
                del context, inputs
                if len(waiting) > 1:  # the group before this one is joined while this one is typeset
                    join_oldest_group()
            while waiting:
                join_oldest_group()
        except BaseException:
            children.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        with _writing(shown[0]):
            pages = sheets.close()
        with _writing(shown[1]):
            key_pages = keys.close()
    return pages, key_pages, smallest


def write_html(spec, versions, total: int, paper: str, temps, shown) -> float:
    """The sheets and keys as HTML into temps[0] and temps[1], a group of versions at a time: the smallest
    picture text in pt. Each template renders its page's head, a group's versions, or its tail (`part`)."""
    smallest = float("inf")
    frame, _ = views(spec, [], paper)
    with open(temps[0], "w", encoding="utf-8") as sheet, open(temps[1], "w", encoding="utf-8") as key:
        outputs = list(zip((sheet, key), ("sheet.html.j2", "key.html.j2"), shown))

        def write(context: dict, part: str) -> None:
            for f, template, name in outputs:
                with _writing(name):
                    f.write(render_template(template, dict(context, part=part)))
                    if part == "tail":
                        f.flush()

        write(frame, "head")
        for context, _ in _groups(spec, versions, total, paper):
            smallest = min(smallest, _smallest_font(context))
            write(context, "versions")
        write(frame, "tail")
    return smallest


def build_worksheets(spec, versions: int, out=None, key=None, paper: str = "a4", fmt: str = "pdf") -> Summary:
    """Make `versions` versions of `spec` (a practice.spec.Spec) with answer keys and a manifest.

    Everything is checked first. The three files are written to temporary files beside their targets, a group
    of versions at a time (versions are made as their group needs them), then renamed together: a failed or
    interrupted run leaves none of them (and no temporary file)."""
    from . import draw
    from .atomic import atomic_paths

    started = time.perf_counter()
    check_versions(versions)
    if paper not in PAPERS:
        raise UserError(f"unknown paper {paper!r}; choose {' or '.join(PAPERS)}")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose {' or '.join(FORMATS)}")
    if versions * spec.total > MAX_PROBLEMS:
        raise UserError(
            f"{versions} versions of {spec.total} problems is {versions * spec.total} problems; the most one run makes "
            f"is {MAX_PROBLEMS}: use fewer versions or a smaller spec"
        )
    paths = output_paths(out, key, fmt)
    draw.require_dot()
    if fmt == "pdf":
        try:
            import typst  # noqa: F401  (fail here, before the work, if it is missing)
        except ImportError:
            raise UserError("PDF worksheets need the typst package: pip install typst (or use --format html)") from None

    pages = key_pages = None
    with atomic_paths(paths) as temps:  # all three written first, then renamed together: old set or new set
        with open(temps[2], "w", encoding="utf-8") as f:
            book = Manifest(f, spec, paths[2])
            made = book.record(iter_versions(spec, versions))  # made as the groups need them
            if fmt == "pdf":
                pages, key_pages, smallest = write_pdfs(spec, made, versions, paper, temps, paths)
            else:
                smallest = write_html(spec, made, versions, paper, temps, paths)
            book.close()

    return Summary(
        versions=book.versions,
        problems=book.problems,
        pages=pages,
        key_pages=key_pages,
        files=list(paths),
        smallest_font_pt=smallest,
        seconds=time.perf_counter() - started,
        repeats=book.versions - len(book.signatures),
    )


def summary_line(s: Summary) -> str:
    """The command's one line of output, from templates/worksheet/summary.txt.j2."""
    return environment("text").get_template("worksheet/summary.txt.j2").render(s=s).strip()


@click.command(name="worksheet")
@click.argument("spec", required=False)
@click.option("--versions", type=int, default=1, show_default=True, metavar="N",
              help=f"Distinct versions to make, 1 to {MAX_VERSIONS} (a class set: one per student).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed); each version's seed derives from it.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT",
              help="The worksheets file (default: worksheet.pdf, or worksheet.html with --format html).")
@click.option("--key", type=click.Path(dir_okay=False), metavar="KEY", help="The answer keys file (default: OUT-key.pdf).")
@click.option("--paper", type=click.Choice(list(PAPERS)), default="a4", show_default=True, help="Paper size.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="pdf (typeset; the default), or html (one self-contained page to print from a browser). "
                   "Without it, an OUT ending in .html means html.")
def command(spec, versions, seed, out, key, paper, fmt):
    """Printable worksheets with answer keys (default SPEC: worksheet).

    Every version is SPEC's problem mix from its own seed, and its code (e.g. V07-K3QX) is printed on
    every page. The keys go to a separate file, and a manifest OUT.json records each version's code,
    seed and problems: `backprop-practice problems SPEC --seed <version seed>` shows them again.

    \b
    Examples:
      backprop-practice worksheet
      backprop-practice worksheet --versions 30 -o class.pdf --paper letter
      backprop-practice worksheet micrograd --seed 7 --format html -o sheet.html
    """
    from .spec import choose

    chosen = choose(spec, seed=seed, default="worksheet")
    check_versions(versions)
    fmt = output_format(out, fmt)
    summary = build_worksheets(chosen, versions, out, key, paper, fmt)
    click.echo(summary_line(summary))
