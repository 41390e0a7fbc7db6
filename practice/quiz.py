"""The `quiz` command: LMS quiz files from a spec's problem set, in Moodle XML or GIFT.

Moodle XML (the default) holds, for every problem:
  - one `numerical` question per asked quantity (each answer in the record: a grad, a parameter's
    value after a gradient-descent step, or a finite-difference estimate), with the record's
    tolerance as Moodle's one absolute tolerance;
  - one `cloze` question for the whole backward pass: a box for every non-constant value's grad
    (all but the output's, which is given) in the order the pass reaches them, then any non-grad
    answers. Grads the record does not ask for get the same tolerance rule (generate.tolerance).
    A grad that is not 0 but smaller than 0.0001 is printed as given instead of asked: LMSs round
    such answers to 0.
Each question text embeds the question picture (grads blank) as a base64 <file> referenced as
@@PLUGINFILE@@/name; the general feedback has the worked steps, and the cloze question's also embeds
the answer picture. PNG is the default picture format (any LMS, any viewer shows it); --image-format
svg gives files about a third the size with sharp text.

GIFT carries no pictures: it holds the numerical questions only, as plain text ([plain] format, so
indentation and symbols show as written) that states every given value and statement.
"""

import base64
import functools
import math
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import click

from .errors import UserError, one_line
from .numbers import fmt
from .resources import templates_dir

FORMATS = ("moodle", "gift")
IMAGE_FORMATS = ("png", "svg")
EXTENSIONS = {"moodle": ".xml", "gift": ".gift"}
SMALLEST = 1e-4  # answers below this (other than 0) are rounded to 0 by some LMSs (Canvas)
PENALTY = "0.3333333"  # Moodle's default: a third of the mark lost per extra try in interactive mode
CSS_PX_PER_PT = 4 / 3  # show pictures at their natural size: 10 pt text stays 10 pt
TAG = "backprop-practice"

# Moodle's cloze number syntax (question/type/multianswer): every value and tolerance must match it.
MOODLE_NUMBER = re.compile(r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?")
# Characters XML 1.0 cannot hold at all, not even in CDATA (compiled on first use: 10 ms).
NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
GIFT_SPECIAL = "\\~=#{}:"


# ---------------------------------------------------------------- escaping


def gift_escape(text: str) -> str:
    """GIFT text: a backslash before each of ~ = # { } : and backslash itself; line breaks as \\n.

    The result holds no raw special character and no line break, so it can never end a question,
    open an answer block or start a comment line. \\r\\n and \\r count as line breaks.
    """
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\" + ch if ch in GIFT_SPECIAL else "\\n" if ch == "\n" else ch for ch in text)


def gift_unescape(text: str) -> str:
    """The inverse of gift_escape, read the way Moodle's GIFT importer reads escapes."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt if nxt in GIFT_SPECIAL else ch + nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def cloze_safe(value):
    """HTML-escaped text with { and } as character references: Moodle looks for cloze parts
    ({1:NUMERICAL:...}) in the raw HTML, so prose can never turn into one. Markup passes unchanged."""
    from markupsafe import Markup, escape

    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


def cdata(html: str):
    """A CDATA section holding `html` (as Markup, for the autoescaped XML template); a "]]>" inside
    is split across two sections."""
    from markupsafe import Markup

    check_xml_text(html)
    return Markup("<![CDATA[" + str(html).replace("]]>", "]]]]><![CDATA[>") + "]]>")


def check_xml_text(text: str, where: str = "the quiz text") -> str:
    bad = re.search(NOT_XML, str(text))
    if bad:
        raise UserError(f"{where} contains the character U+{ord(bad.group()):04X}, which an XML file cannot hold")
    return text


def exact(x) -> str:
    """A number for the LMS: full precision (repr), plain decimal notation, no negative zero."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    text = repr(x + 0.0)  # -0.0 + 0.0 is 0.0
    if "e" in text:
        from decimal import Decimal

        text = format(Decimal(text), "f")
    if not MOODLE_NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number Moodle reads")
    return text


# ---------------------------------------------------------------- templates


@functools.cache
def _env(kind: str):
    """The Jinja2 environment for "html" (autoescaped, and every value through cloze_safe), "xml"
    (autoescaped) or "text" (no escaping; the GIFT template calls the `gift` filter itself)."""
    import jinja2

    options = {"html": {"autoescape": True, "finalize": cloze_safe}, "xml": {"autoescape": True}, "text": {"autoescape": False}}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options[kind],
    )
    env.filters.update(gift=gift_escape, oneline=one_line)
    return env


def _html(macro: str, *args) -> str:
    return str(getattr(_env("html").get_template("quiz/question.html.j2").module, macro)(*args)).strip()


# ---------------------------------------------------------------- what the questions ask


@dataclass
class Quantity:
    """One number a learner types (or, when `given`, is told)."""

    name: str  # "a.grad", "w1.new", "estimate"
    value: float
    tolerance: float
    given: bool = False

    @property
    def kind(self) -> str:
        for suffix in ("grad", "new"):
            if self.name.endswith("." + suffix):
                return suffix
        return "estimate" if self.name == "estimate" else "other"

    @property
    def param(self) -> str:
        return self.name.rsplit(".", 1)[0] if self.kind in ("grad", "new") else ""

    @property
    def shown(self) -> str:
        if self.value != 0 and abs(self.value) < SMALLEST:  # enough places for 3 significant digits
            return fmt(self.value, 2 - math.floor(math.log10(abs(self.value))))
        return fmt(self.value)

    @property
    def margin(self) -> str:
        return fmt(self.tolerance, 6)

    @property
    def part(self):
        """The Moodle cloze part: {weight:NUMERICAL:=value:tolerance}; numbers only, so nothing to escape."""
        from markupsafe import Markup

        return Markup(f"{{1:NUMERICAL:={exact(self.value)}:{exact(self.tolerance)}}}")


@dataclass
class View:
    """A problem record as the quiz templates read it."""

    id: str
    kind: str
    difficulty: str
    output: str
    output_grad: str
    says_upstream: bool  # the question text already gives the output's grad (a mid-graph problem)
    blocks: list[dict]
    steps: list[str]
    answers: list[Quantity]
    rows: list[Quantity] = field(default_factory=list)

    @property
    def extra(self) -> list[Quantity]:
        return [a for a in self.answers if a.kind != "grad"]


def check_answer(pid: str, name: str, value, tolerance) -> None:
    """Every asked number must be finite, 0 or at least 0.0001 in size, with a positive finite tolerance."""
    if not (isinstance(value, (int, float)) and math.isfinite(value)):
        raise UserError(f"problem {pid}: answer {name} is not a finite number ({value!r})")
    if value != 0 and abs(value) < SMALLEST:
        raise UserError(f"problem {pid}: answer {name} = {value!r} is below {SMALLEST}; LMSs round such answers to 0")
    if not (isinstance(tolerance, (int, float)) and math.isfinite(tolerance) and tolerance > 0):
        raise UserError(f"problem {pid}: answer {name} has no usable tolerance ({tolerance!r})")


def text_blocks(question: str) -> list[dict]:
    """The record's question text without its last "find ..." line, as paragraphs and statement blocks."""
    lines = question.split("\n")
    if len(lines) > 1 and lines[-1].startswith("find "):
        lines.pop()
    blocks: list[dict] = []
    for line in lines:
        if line.startswith("  "):
            if blocks and blocks[-1]["kind"] == "code":
                blocks[-1]["lines"].append(line.strip())
            else:
                blocks.append({"kind": "code", "lines": [line.strip()]})
        elif line.strip():
            blocks.append({"kind": "p", "text": line})
    return blocks


def completion_order(nodes: list[dict]) -> list[dict]:
    """Nodes in the order their grads become final in a backward pass: walking the nodes in reverse
    topological order, each input is touched once per use; its last touch finishes it (the order of
    the worked steps)."""
    last = {}
    step = 0
    for node in reversed(nodes):
        for name in node.get("inputs") or []:
            step += 1
            last[name] = step
    return sorted((n for n in nodes if n["name"] in last), key=lambda n: last[n["name"]])


def pass_rows(record: dict, answers: list[Quantity]) -> list[Quantity]:
    """The whole backward pass: every grad but the output's (given) and the constants', in the order
    the pass finishes them, then the answers that are not grads."""
    asked = {a.name: a for a in answers}
    rows = []
    for node in completion_order(record["nodes"]):
        if node.get("constant") or node["name"] == record["output"]:
            continue
        name = f"{node['name']}.grad"
        if name in asked:
            rows.append(asked[name])
            continue
        value = float(node["grad"])
        if not math.isfinite(value):
            raise UserError(f"problem {record['id']}: {name} is not a finite number")
        rows.append(Quantity(name, value, float(node["tolerance"]), given=0 < abs(value) < SMALLEST))
    return rows + [a for a in answers if a.kind != "grad"]


def view(record: dict) -> View:
    pid = record["id"]
    answers = []
    for a in record["answers"]:
        check_answer(pid, a["name"], a["value"], a["tolerance"])
        answers.append(Quantity(a["name"], float(a["value"]), float(a["tolerance"])))
    if not answers:
        raise UserError(f"problem {pid} asks for nothing")
    output_grad = float(record.get("output_grad", 1.0))
    v = View(
        id=pid,
        kind=record["kind"],
        difficulty=record["difficulty"],
        output=record["output"],
        output_grad=fmt(output_grad),
        says_upstream=output_grad != 1,
        blocks=text_blocks(record["question"]),
        steps=list(record["steps"]),
        answers=answers,
    )
    v.rows = pass_rows(record, answers)
    return v


# ---------------------------------------------------------------- building the file


@dataclass
class Summary:
    path: Path
    fmt: str
    problems: int
    numerical: int
    cloze: int
    pictures: int
    image_format: str | None
    size: int

    @property
    def questions(self) -> int:
        return self.numerical + self.cloze

    def line(self) -> str:
        if self.fmt == "gift":
            what = f"{self.numerical} numerical questions from {self.problems} problems, no pictures"
        else:
            what = (
                f"{self.questions} questions ({self.numerical} numerical, {self.cloze} cloze) from {self.problems} problems, "
                f"{self.pictures} {self.image_format.upper()} pictures embedded"
            )
        return f"wrote {self.path}: {what}, {human_size(self.size)}"


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def category(spec) -> str:
    """The Moodle category path below $course$/top/: the spec's quiz category (where / nests), or its
    title as one category (a / in a title is doubled, Moodle's escape for a literal slash)."""
    chosen = (spec.sections or {}).get("quiz", {}).get("category")
    text = one_line(chosen) if chosen else one_line(spec.title).replace("/", "//")
    if not text.strip("/ "):
        raise UserError(f"spec {spec.name}: the quiz category is empty")
    return check_xml_text(text, f"spec {spec.name}: the quiz category")


def meta(spec) -> dict:
    from . import GENERATOR

    return {"generator": GENERATOR, "spec": spec.name, "spec_arg": shlex.quote(spec.name), "seed": spec.seed, "title": one_line(spec.title)}


def default_output(spec, fmt: str) -> Path:
    return Path(f"{spec.path.stem}-quiz{EXTENSIONS[fmt]}")


def check(spec, out, fmt: str, image_format: str) -> Path:
    """Everything that can fail before any work: format, category, output path, Graphviz."""
    if fmt not in FORMATS:
        raise UserError(f"unknown quiz format {fmt!r}; choose moodle or gift")
    if image_format not in IMAGE_FORMATS:
        raise UserError(f"unknown picture format {image_format!r}; choose png or svg")
    from .atomic import check_writable

    category(spec)
    check_xml_text(spec.title, f"spec {spec.name}: the title")
    path = check_writable(out)
    if fmt == "moodle":
        from .draw import require_dot

        require_dot()
    return path


def _file(pic) -> dict:
    return {"name": pic.name, "base64": base64.b64encode(pic.data).decode("ascii")}


def _shown(pic) -> dict:
    w, h = pic.size_pt
    return {"name": pic.name, "width": round(w * CSS_PX_PER_PT), "height": round(h * CSS_PX_PER_PT)}


def _tags(v: View, what: str) -> list[str]:
    return [TAG, v.kind, v.difficulty, what]


def moodle_xml(spec, records: list[dict], image_format: str = "png") -> tuple[str, Summary]:
    from .draw import pictures

    views = [view(r) for r in records]
    pics = pictures(records, image_format)
    items, embedded = [], 0
    for v, (qpic, apic) in zip(views, pics):
        qfile, qshown = _file(qpic), _shown(qpic)
        for a in v.answers:
            items.append({
                "type": "numerical", "q": v, "a": a,
                "text": cdata(_html("numerical", v, a, qshown)), "text_files": [qfile],
                "feedback": cdata(_html("feedback", v, a, None)), "feedback_files": [],
                "value": exact(a.value), "tolerance": exact(a.tolerance), "tags": _tags(v, "one-answer"),
            })
            embedded += 1
        items.append({
            "type": "cloze", "q": v,
            "text": cdata(_html("cloze", v, qshown)), "text_files": [qfile],
            "feedback": cdata(_html("feedback", v, None, _shown(apic))), "feedback_files": [_file(apic)],
            "tags": _tags(v, "whole-pass"),
        })
        embedded += 2
    text = _env("xml").get_template("quiz/moodle.xml.j2").render(
        category=category(spec), info=cdata(_html("category_info", meta(spec))), items=items, penalty=PENALTY
    )
    numerical = sum(1 for i in items if i["type"] == "numerical")
    return text, Summary(Path(), "moodle", len(records), numerical, len(items) - numerical, embedded, image_format, 0)


def gift(spec, records: list[dict]) -> tuple[str, Summary]:
    views = [view(r) for r in records]
    items = [{"q": v, "a": a, "value": exact(a.value), "tolerance": exact(a.tolerance)} for v in views for a in v.answers]
    text = _env("text").get_template("quiz/quiz.gift.j2").render(category=category(spec), meta=meta(spec), items=items)
    return text, Summary(Path(), "gift", len(records), len(items), 0, 0, None, 0)


def build_quiz(spec, out, fmt: str = "moodle", image_format: str = "png") -> Summary:
    """Write the quiz for `spec` (a spec.Spec, seed applied) to `out`, whole or not at all."""
    from .atomic import write_bytes
    from .generate import problem_set

    check(spec, out, fmt, image_format)
    records = problem_set(spec.entries, spec.seed)
    text, summary = moodle_xml(spec, records, image_format) if fmt == "moodle" else gift(spec, records)
    data = text.encode("utf-8")
    write_bytes(out, data)
    summary.path, summary.size = Path(out), len(data)
    return summary


# ---------------------------------------------------------------- the command


@click.command(name="quiz")
@click.argument("spec", required=False)
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="moodle", show_default=True,
              help="moodle: Moodle XML with pictures and whole-pass cloze questions; gift: text-only numerical questions.")
@click.option("--image-format", type=click.Choice(IMAGE_FORMATS), default="png", show_default=True,
              help="Pictures in Moodle XML: png shows everywhere; svg is sharper and about a third the size.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write (default: <spec name>-quiz.xml or .gift here).")
def command(spec, seed, fmt, image_format, out):
    """Make an LMS quiz from a problem set (default SPEC: micrograd).

    Moodle XML: for every problem, a numerical question per asked quantity and a cloze question
    for the whole backward pass, each with its computation-graph picture and the worked steps as
    feedback, in one question category. GIFT: the numerical questions as text only (GIFT cannot
    carry pictures). Same SPEC and seed, same questions as `problems SPEC --seed S --json`.

    \b
    Examples:
      backprop-practice quiz
      backprop-practice quiz worksheet --seed 7 -o week3.xml
      backprop-practice quiz --format gift
    """
    from .spec import choose

    chosen = choose(spec, seed=seed)
    if out is not None and not out.strip():
        raise UserError("-o needs a file name")
    if out and Path(out).suffix.lower() != EXTENSIONS[fmt]:
        raise UserError(f"-o {out} must end in {EXTENSIONS[fmt]} for --format {fmt}")
    path = Path(out) if out else default_output(chosen, fmt)
    check(chosen, path, fmt, image_format)
    summary = build_quiz(chosen, path, fmt, image_format)
    click.echo(summary.line())
    if fmt == "gift":  # after the work, so an error is still the only line on stderr
        click.echo("note: GIFT carries no pictures; the questions state every given value and statement instead", err=True)
