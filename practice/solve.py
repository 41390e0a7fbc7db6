"""`solve`: a learner's own program, run through the engine, as a problem record."""

import hashlib

from .generate import tolerance
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
    return {
        "id": "solve-" + hashlib.sha256(key.encode()).hexdigest()[:16],
        "seed": None,
        "kind": "expression",
        "difficulty": "custom",
        "question": f"Backpropagate through {program.strip()} with {listing}." if given else f"Backpropagate through {program.strip()}.",
        "output": nodes[-1]["name"],
        "program": "; ".join(statements(nodes)),
        "nodes": nodes,
        "answers": [
            {"name": f"{n['name']}.grad", "value": n["grad"], "tolerance": tolerance(n["grad"], "custom", "")} for n in given
        ],
        "steps": steps,
    }


def exact(x: float) -> str:
    """A given value as the learner typed it (no display rounding), with a true minus sign."""
    return repr(x).removesuffix(".0").replace("-", MINUS)
