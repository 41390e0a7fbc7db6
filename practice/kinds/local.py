"""`local`: one op; given its inputs and the gradient arriving at its output, find the input grads."""

from engine import Value

from ..record import BINARY_OPS
from .common import Draft, pick, pick_upstream, pick_value

OPS = {
    "easy": ["+", "*", "relu"],
    "medium": ["-", "/", "**", "neg"],
    "hard": ["tanh", "tanh", "tanh", "tanh", "exp", "log", "sigmoid"],  # the lesson's op in most hard problems
}


def build(rng, difficulty: str) -> Draft:
    op = pick(rng, OPS[difficulty])
    a = Value(pick_value(rng, difficulty, 0.1 if op == "log" else -4, 4), label="a")
    if op in BINARY_OPS:
        b = Value(pick_value(rng, difficulty), label="b")
        out, asked = BINARY_OPS[op](a, b), ["a", "b"]
        out.label = "c"
    else:
        if op == "**":
            out = a ** pick(rng, [2, 3, -1])
        elif op == "neg":
            out = -a
        else:
            out = getattr(a, op)()
        out.label, asked = "b", ["a"]
    g = pick_upstream(rng, difficulty)
    intro = (
        f"One operation, seen from the middle of a larger graph. "
        f"The gradient arriving at {out.label} from above is {out.label}.grad = {{upstream}}."
    )
    # A blocked relu (input below 0) passes nothing back: every answer 0 is the lesson there.
    return Draft(out, asked, intro, output_grad=g, zero_ok=op == "relu", lesson=_every_answer_tests_a_mistake)


def _every_answer_tests_a_mistake(answers) -> bool:
    return all(a["mistakes"] for a in answers)
