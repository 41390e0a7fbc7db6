"""`solve`: a learner's own program, run through the engine, as a problem record."""

import hashlib

from . import grade
from .generate import grade_draft
from .kinds import Draft
from .numbers import MINUS
from .program import build, parse_values
from .record import flatten, leaves, statements


def solve_program(program: str, pairs) -> dict:
    values = parse_values(pairs)
    out = build(program, values)
    nodes, steps = flatten(out)
    given = leaves(nodes)
    key = program + "|" + ",".join(f"{k}={v!r}" for k, v in sorted(values.items()))
    listing = ", ".join(f"{n['name']} = {exact(n['data'])}" for n in given)
    # A learner's own numbers can't be redrawn: a mistake too close to the key is left out of the list
    # instead, and values too small to round fairly are still solved.
    draft = Draft(out, [n["name"] for n in given], "")
    answers = [(f"{n['name']}.grad", n["grad"]) for n in given]
    graded = grade_draft(draft, nodes, answers, strict=False)
    return {
        "id": "solve-" + hashlib.sha256(key.encode()).hexdigest()[:16],
        "seed": None,
        "kind": "expression",
        "difficulty": "custom",
        "question": f"Backpropagate through {program.strip()} with {listing}." if given else f"Backpropagate through {program.strip()}.",
        "output": nodes[-1]["name"],
        "program": "; ".join(statements(nodes)),
        "nodes": nodes,
        "rounding": grade.rounding_rule("expression"),
        "answers": graded,
        "steps": steps,
    }


def exact(x: float) -> str:
    """A given value as the learner typed it (no display rounding), with a true minus sign."""
    return repr(x).removesuffix(".0").replace("-", MINUS)
