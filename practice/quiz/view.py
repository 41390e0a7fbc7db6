"""What every quiz format shows: a problem record read as questions, answers and their numbers.

Shared by Moodle XML (practice/quiz/moodle.py), GIFT (practice/quiz/gift.py) and QTI (practice/quiz/qti.py). A record becomes a View:
its question text as paragraphs and statement blocks, its worked steps, the answers it asks for (each a
Quantity with its catalogued mistakes) and the rows of the whole-backward-pass question.

Numbers for an LMS are stored rounded to about 6 significant figures (`stored`), so a review page shows
"The correct answer is: 1.92209" and not 17 digits. The rounding never matters for grading: the stored
value is within a hundredth of the tolerance of the exact key, and no catalogued mistake value comes
within the tolerance of it (more digits are kept until both hold). Tolerances are the record's, measured
from the exact key.
"""

import functools
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import UserError, one_line
from ..numbers import fmt
from ..resources import templates_dir

SMALLEST = 1e-4  # answers below this (other than 0) are rounded to 0 by some LMSs (Canvas)
FIGURES = 6  # significant figures an LMS stores for an answer
# Moodle's cloze number syntax (question/type/multianswer): every value and tolerance must match it.
MOODLE_NUMBER = re.compile(r"-?(?:[0-9]+[.,]?[0-9]*|[.,][0-9]+)(?:[eE][-+]?[0-9]+)?")
# Characters XML 1.0 cannot hold at all, not even in CDATA.
NOT_XML = "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


# ---------------------------------------------------------------- numbers


def exact(x) -> str:
    """A number for the LMS: full precision (repr), plain decimal notation, no negative zero."""
    x = float(x)
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    text = repr(x + 0.0)  # -0.0 + 0.0 is 0.0
    if "e" in text:
        text = format(Decimal(text), "f")
    if not MOODLE_NUMBER.fullmatch(text):
        raise ValueError(f"{text!r} is not a number Moodle reads")
    return text


def within(value: float, key: float, tolerance: float) -> bool:
    """Moodle's nominal tolerance test (qtype_numerical_answer): |value − key| <= tolerance, plus the
    1e-14 × max(1, |key|) it adds against float noise. Also what Canvas does with an exact answer and margin."""
    return abs(value - key) <= tolerance + 1e-14 * max(1.0, abs(key))


def stored(value: float, tolerance: float, avoid=()) -> str:
    """`value` to about FIGURES significant figures: more when needed so that the stored number is within
    tolerance/100 of `value` and no number in `avoid` (the mistakes) is within tolerance of it."""
    for figures in range(FIGURES, 18):
        text = exact(float(f"{value:.{figures}g}"))
        r = float(text)
        if abs(r - value) <= tolerance / 100 and not any(within(m, r, tolerance) for m in avoid):
            return text
    return exact(value)


def offset(text: str, margin: str, sign: int) -> str:
    """text ± margin computed in decimal (no float noise), in plain notation: the ends of a range."""
    result = Decimal(text) + sign * Decimal(margin)
    out = format(result.normalize(), "f") if result != 0 else "0"
    if "." not in out:
        out += ".0"
    return out


# ---------------------------------------------------------------- text


def check_xml_text(text: str, where: str = "the quiz text") -> str:
    bad = re.search(NOT_XML, str(text))
    if bad:
        raise UserError(f"{where} contains the character U+{ord(bad.group()):04X}, which an XML file cannot hold")
    return text


def cloze_safe(value):
    """HTML-escaped text with { and } as character references: Moodle looks for cloze parts
    ({1:NUMERICAL:...}) in the raw HTML, so prose can never turn into one. Markup passes unchanged."""
    from markupsafe import Markup, escape

    if isinstance(value, Markup):
        return value
    return Markup(str(escape(value)).replace("{", "&#123;").replace("}", "&#125;"))


@functools.cache
def env(kind: str):
    """The Jinja2 environment for "html" (autoescaped, and every value through cloze_safe), "xml"
    (autoescaped) or "text" (no escaping; practice/quiz/gift.py adds the `gift` filter its template calls)."""
    import jinja2

    options = {"html": {"autoescape": True, "finalize": cloze_safe}, "xml": {"autoescape": True}, "text": {"autoescape": False}}
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        **options[kind],
    )
    environment.filters.update(oneline=one_line)
    return environment


def html(macro: str, *args) -> str:
    """One macro of templates/quiz/question.html.j2, rendered."""
    return str(getattr(env("html").get_template("quiz/question.html.j2").module, macro)(*args)).strip()


# ---------------------------------------------------------------- what the questions ask


@dataclass
class Mistake:
    """A catalogued mistake's value for one answer, and why a learner gets it."""

    name: str
    value: float
    why: str
    text: str = ""  # the value as stored in the LMS

    @property
    def shown(self) -> str:
        return fmt(self.value)


@dataclass
class Quantity:
    """One number a learner types (or, when `given`, is told)."""

    name: str  # "a.grad", "w1.new", "estimate"
    value: float
    tolerance: float
    given: bool = False
    mistakes: list[Mistake] = field(default_factory=list)

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
    def text(self) -> str:
        """The key as the LMS stores it (about 6 significant figures)."""
        return stored(self.value, self.tolerance, [m.value for m in self.mistakes])

    @property
    def tolerance_text(self) -> str:
        return exact(self.tolerance)

    @property
    def part(self):
        """The Moodle cloze part: {weight:NUMERICAL:=value:tolerance}; numbers only, so nothing to escape."""
        from markupsafe import Markup

        return Markup(f"{{1:NUMERICAL:={self.text}:{self.tolerance_text}}}")


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
    rounding: str = ""
    find: str = ""  # the record's own "find ..." line: what an answer that is not a grad, step or estimate means
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


def mistakes_of(pid: str, answer: dict) -> list[Mistake]:
    """The answer's catalogued mistakes that an LMS can tell apart from the key: finite, outside the
    tolerance, one per distinct stored value (explanations of the same value joined), in record order."""
    key, tol = float(answer["value"]), float(answer["tolerance"])
    out: dict[str, Mistake] = {}
    for m in answer.get("mistakes") or []:
        value = m.get("value")
        if not (isinstance(value, (int, float)) and math.isfinite(value)) or within(value, key, tol):
            continue
        text = stored(float(value), tol)
        why = one_line(m.get("why") or "")
        if text in out:
            if why and why not in out[text].why:
                out[text].why = f"{out[text].why} {why}".strip()
            continue
        out[text] = Mistake(str(m.get("name") or ""), float(value), why, text)
    return list(out.values())


def question_lines(question: str, rounding: str = "") -> tuple[list[str], str]:
    """The record's question text without its rounding line (the quiz states it beside the answer box)
    and without its "find ..." line (each quiz question says what it asks), and that find line."""
    lines = question.split("\n")
    if rounding and lines and lines[-1].strip() == rounding.strip():
        lines.pop()
    find = ""
    asks = [i for i, line in enumerate(lines) if line.startswith("find ")]
    if asks and len(lines) > 1:  # the last one; notes (what log means) may follow it
        find = lines.pop(asks[-1]).strip()
    return lines, find


def text_blocks(question: str, rounding: str = "") -> list[dict]:
    """The question's lines (question_lines) as paragraphs and statement blocks."""
    lines, _ = question_lines(question, rounding)
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


def node_tolerance(record: dict, node: dict, name: str) -> float:
    """The tolerance for a grad the record does not ask for: the node's own (practice/grade.py sets it)."""
    value = node.get("tolerance")
    if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
        return float(value)
    raise UserError(f"problem {record['id']}: {name} has no tolerance in the record; make the problems again with this version")


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
        rows.append(Quantity(name, value, node_tolerance(record, node, name), given=0 < abs(value) < SMALLEST))
    return rows + [a for a in answers if a.kind != "grad"]


def view(record: dict) -> View:
    pid = record["id"]
    answers = []
    for a in record["answers"]:
        check_answer(pid, a["name"], a["value"], a["tolerance"])
        answers.append(Quantity(a["name"], float(a["value"]), float(a["tolerance"]), mistakes=mistakes_of(pid, a)))
    if not answers:
        raise UserError(f"problem {pid} asks for nothing")
    output_grad = float(record.get("output_grad", 1.0))
    rounding = one_line(record.get("rounding") or "")
    v = View(
        id=pid,
        kind=record["kind"],
        difficulty=record["difficulty"],
        output=record["output"],
        output_grad=fmt(output_grad),
        says_upstream=output_grad != 1,
        blocks=text_blocks(record["question"], rounding),
        steps=list(record["steps"]),
        answers=answers,
        rounding=rounding,
        find=question_lines(record["question"], rounding)[1],
    )
    v.rows = pass_rows(record, answers)
    return v
