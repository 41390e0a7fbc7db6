"""Typed answers: what a verdict needs, for the Anki cards' number boxes and the practice page alike.

The verdict itself is one JavaScript function (templates/practice/verdict.js) used by both. It reads, per
answer, what practice/grade.py decided and the record carries: the value, the tolerance and the catalogued
mistakes. This module only gathers those into a small JSON document and adds what people read: the value
and tolerance as shown elsewhere, and the worked step(s) that give the right value.
"""

import json
import re

from .numbers import fmt, has_places

GRADING_FORMAT = "backprop-practice.grading/1"

_TIMED = re.compile(r"^(\S+) (?:at|after) (step \d+)(?:, (.+))?$")  # "w.grad at step 2", "w after step 2, no zero_grad"


def how_lines(problem: dict, name: str) -> list[str]:
    """The worked step(s) that give answer `name`: the lines that assign or add into it (an accumulated grad
    has several). For an answer about one step of several ("w after step 2, no zero_grad"), the line of that
    step (its "step 2:" or "no zero_grad:" prefix) that assigns the value. Empty when no line gives it alone."""
    steps = problem.get("steps") or []
    own = (f"{name} = ", f"{name} += ")  # the lines that assign it or add into it
    lines = [line for line in steps if line.startswith(own)]
    if lines:
        return lines
    timed = _TIMED.match(name)
    if not timed:
        return []
    target, step, variant = timed.groups()
    lhs = re.compile(rf"^{re.escape(target)}{'' if target.endswith('.grad') else '(?:[.]new)?'} \+?= ")
    found = {}
    for line in steps:
        prefix, sep, body = line.partition(": ")
        if sep and lhs.match(body):
            found.setdefault(prefix, []).append(line)
    return found.get(variant or step, [])


def answer_data(problem: dict, answer: dict) -> dict:
    return {
        "name": answer["name"],
        "value": answer["value"],
        "tolerance": answer["tolerance"],
        "shown": fmt(answer["value"]),
        "tolerance_shown": "" if has_places(answer["value"], 2) else fmt(answer["tolerance"]),  # as the cards show it
        "mistakes": [
            {"name": m["name"], "value": m["value"], "why": m["why"]} for m in answer.get("mistakes") or []
        ],
        "how": how_lines(problem, answer["name"]),
    }


def grading_data(problem: dict) -> dict:
    """Everything the verdict reads for one problem."""
    return {
        "format": GRADING_FORMAT,
        "id": problem["id"],
        "answers": [answer_data(problem, a) for a in problem["answers"]],
    }


def script_json(doc) -> str:
    """JSON that is safe inside an HTML <script> element and in an Anki field: <, > and & as \\u escapes
    (JSON.parse reads them back), and never two braces in a row, which Anki reads as a field reference."""
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.replace("{{", "{ {").replace("}}", "} }")


def grading_field(problem: dict) -> str:
    """The problem note's Grading field: the verdict's data as JSON (the card script reads it)."""
    return script_json(grading_data(problem))
