"""What the templates see: each problem as a view (its values formatted, its pictures placed), each version with
its pages, and the groups of versions the command draws, lays out and writes one after another."""

import itertools
import re

from . import layout
from .layout import BLANK_PT, BLANK_SLACK, PAPERS, blank_for, key_layout, sheet_layout, text_box

VERSIONS_PER_TYPESET = 20  # typst holds ~1.8 MB a page until its process ends: typeset at most this many versions per child
BLANK_ROUNDS = 3  # redraws of a picture whose blanks print too small at its size
MARKS = "abcdefghijklmnopqrstuvwxyz"


def _given(problem: dict) -> list[dict]:
    """The named inputs with their values, in the order the question lists them (x1, w1, x2, w2, b)."""
    from ..numbers import fmt
    from ..record import leaves

    line = next((l for l in problem["question"].split("\n") if l.startswith("Given ")), "")
    order = {m.group(1): m.start() for m in re.finditer(r"(?:Given |, )([^\s,=]+) = ", line)}
    nodes = sorted(leaves(problem["nodes"]), key=lambda n: order.get(n["name"], len(line)))
    return [{"name": n["name"], "value": fmt(n["data"])} for n in nodes]


def _answers(problem: dict) -> tuple[list[dict], list[dict]]:
    """The answers as the templates show them, each with the classic mistakes that give a wrong value (lettered
    a, b, ... per problem), and those mistakes' reasons, each listed once: (answers, reasons)."""
    from ..numbers import fmt

    whole = problem.get("output_grad", 1.0) == 1  # grads of the whole graph's output: ∂output/∂var
    letters, reasons, views = {}, [], []
    for a in problem["answers"]:
        name = a["name"]
        if name.endswith(".grad"):
            kind, var = "grad", name[: -len(".grad")]
        elif name.endswith(".new"):
            kind, var = "new", name[: -len(".new")]
        else:
            kind, var = name, ""
        mistakes = []
        for m in a.get("mistakes", []):
            why = m.get("why", "")
            if why not in letters:
                letters[why] = MARKS[len(letters) % len(MARKS)]
                reasons.append({"mark": letters[why], "why": why})
            mistakes.append({"value": fmt(m["value"]), "why": why, "mark": letters[why]})
        views.append({"name": name, "kind": kind, "var": var, "of": problem["output"] if whole else None,
                      "value": fmt(a["value"]), "tolerance": fmt(a["tolerance"], 6), "mistakes": mistakes})
    return views, reasons


def _statement(node: dict, by_name: dict) -> dict:
    from ..numbers import fmt

    inputs = []
    for name in node["inputs"]:
        n = by_name[name]
        inputs.append({"name": name, "constant": bool(n.get("constant")), "value": fmt(n["data"])})
    return {"name": node["name"], "op": node["op"], "inputs": inputs,
            "exponent": fmt(node["exponent"]) if node.get("exponent") is not None else None}


def problem_view(number: int, problem: dict, pics, paper: str, blank=None) -> dict:
    """One problem as the templates see it. Its pictures are named by content hash: their sys_inputs keys.
    `blank` is the natural size of the question picture's grad blanks."""
    from ..numbers import fmt

    question, answer = pics
    by_name = {n["name"]: n for n in problem["nodes"]}
    answers, reasons = _answers(problem)
    return {
        "number": number,
        "id": problem["id"],
        "kind": problem["kind"],
        "difficulty": problem["difficulty"],
        "intro": layout.intro(problem["question"]),
        "rounding": problem.get("rounding"),
        "given": _given(problem),
        "statements": [_statement(n, by_name) for n in problem["nodes"] if n["op"]],
        "output": problem["output"],
        "output_grad": fmt(problem.get("output_grad", 1.0)),
        "learning_rate": fmt(problem["learning_rate"]) if "learning_rate" in problem else None,
        "h": fmt(problem["h"]) if "h" in problem else None,
        "answers": answers,
        "reasons": reasons,
        "steps": problem["steps"],
        "question_picture": {"key": question.name, "picture": question, **sheet_layout(problem, question, paper, blank)},
        "answer_picture": {"key": answer.name, "picture": answer, **key_layout(problem, answers, answer, paper)},
    }


def _rounding(problems: list[dict]) -> str | None:
    """The one rounding rule every problem of a version states, for its instructions (None when they differ)."""
    rules = {p.get("rounding") for p in problems}
    return rules.pop() if len(rules) == 1 else None


def version_view(v, paper: str, instructions: str | None) -> dict:
    problems = [problem_view(i, p, pics, paper, blank)
                for i, (p, pics, blank) in enumerate(zip(v.problems, v.pictures, v.blanks), 1)]
    rounding = _rounding(v.problems)
    words = " ".join(x for x in (instructions, rounding) if x) + " " + " ".join(["word."] * 38)  # and the template's own
    first = text_box(paper)[1] - layout.header_pt(words, paper)
    placements = [p["question_picture"] for p in problems]

    def squeeze(i: int, room: float):
        q = placements[i]
        return sheet_layout(v.problems[i], q["picture"], paper, v.blanks[i], room)

    pages = layout.pack(placements, first, text_box(paper)[1], squeeze)
    for p, place in zip(problems, placements):
        p["question_picture"] = {**p["question_picture"], **place}
        p["question_picture"]["print_width"] = layout.print_width(p["question_picture"], paper)
    return {
        "number": v.number,
        "code": v.code,
        "seed": v.seed,
        "points": sum(len(p["answers"]) for p in v.problems),
        "rounding": rounding,
        "problems": problems,
        "pages": [[{"part": part, **problems[i]} for i, part in page] for page in pages],
    }


def views(spec, versions: list, paper: str, probe: bool = False, duplex: bool = True) -> tuple[dict, dict]:
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
        "margin": {"x": layout.MARGIN_X, "top": layout.MARGIN_TOP, "bottom": layout.MARGIN_BOTTOM},
        "textwidth": text_box(paper)[0],
        "textheight": text_box(paper)[1],
        "probe": probe,
        "duplex": duplex,
        "sidebar": layout.SIDEBAR_PT,
        "gutter": layout.GUTTER_PT,
        "key_side": layout.KEY_SIDE_PT[0],
        "work_gap": layout.WORK_GAP_PT,
        "versions": [version_view(v, paper, section.get("instructions")) for v in versions],
    }
    return context, inputs


def draw(problems: list[dict], paper: str) -> tuple[list, list]:
    """(pictures, natural blank size) per problem: drawn with blanks that print at least BLANK_PT where the
    problem's question picture is placed; a picture whose blanks would print smaller is drawn again with larger
    ones (a larger blank makes a wider picture, so this is repeated a few times)."""
    from .. import draw as drawing

    start = tuple(b * BLANK_SLACK for b in BLANK_PT)
    pics = drawing.pictures(problems, "svg", blank=start)
    blanks = [start] * len(problems)
    for _ in range(BLANK_ROUNDS):
        again = {}
        for i, (problem, (question, _answer)) in enumerate(zip(problems, pics)):
            larger = blank_for(sheet_layout(problem, question, paper, blanks[i]), blanks[i])
            if larger:
                again.setdefault(larger, []).append(i)
        if not again:
            break
        for larger, which in sorted(again.items()):
            for i, pair in zip(which, drawing.pictures([problems[i] for i in which], "svg", blank=larger)):
                pics[i], blanks[i] = pair, larger
    return pics, blanks


def groups(spec, versions, total: int, paper: str, duplex: bool = True):
    """The `total` versions (an iterable: they are made as they are needed) in groups of at most
    VERSIONS_PER_TYPESET, as even as can be: each group's pictures drawn, then its (template context, picture
    inputs). A group is let go before the next is made, so memory holds one group's worth however many
    versions there are."""
    count = -(-total // VERSIONS_PER_TYPESET)
    versions = iter(versions)
    for g in range(count):
        group = list(itertools.islice(versions, total * (g + 1) // count - total * g // count))
        pics, blanks = draw([p for v in group for p in v.problems], paper)
        pics, blanks = iter(pics), iter(blanks)
        for v in group:
            v.pictures = [next(pics) for _ in v.problems]
            v.blanks = [next(blanks) for _ in v.problems]
        yield views(spec, group, paper, duplex=duplex)
        for v in group:
            v.pictures = v.blanks = []


def smallest_font(context: dict) -> float:
    sides = ("question_picture", "answer_picture")
    return min((p[side]["font"] for v in context["versions"] for p in v["problems"] for side in sides), default=0.0)
