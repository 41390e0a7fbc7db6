"""`numeric`: estimate a derivative with a finite difference and compare it with backpropagation's exact one."""

from ..numbers import MINUS, fmt, fmt_operand
from ..program import build as build_program
from ..record import literal
from .common import Draft, pick_value

FORMULAS = {
    "easy": ["x*x + {a}*x", "{a}*x*x + {b}", "(x + {a})*(x + {b})", "x*x*x + {a}"],
    "medium": ["x**3 - {a}*x", "{a}/x + x", "(x - {a})**2", "x**2/{a} + {b}*x"],
    "hard": ["tanh({a}*x)", "exp({a}*x) - x", "log(x*x + {c})", "{a}*sigmoid(x)", "x*exp({a}*x)"],
}
H = 0.01


def build(rng, difficulty: str) -> Draft:
    formula = rng.choice(FORMULAS[difficulty])
    a = pick_value(rng, "easy" if difficulty != "hard" else "hard", -3, 3)
    b = pick_value(rng, "easy", -3, 3)
    c = pick_value(rng, "easy", 1, 3)
    expr = formula.format(a=literal(a), b=literal(b), c=literal(c))
    x = pick_value(rng, difficulty, -2, 2)
    program = f"f = {expr}"
    out = build_program(program, {"x": x})
    f_plus = build_program(program, {"x": round(x + H, 10)}).data
    estimate = (f_plus - out.data) / H

    def finish(by_name):
        grad = by_name["x"]["grad"]
        steps = [
            f"f(x) = f({fmt(x)}) = {fmt(out.data, 6)}",
            f"f(x + h) = f({fmt(x + H)}) = {fmt(f_plus, 6)}",
            f"estimate = (f(x + h) {MINUS} f(x)) / h = ({fmt(f_plus, 6)} {MINUS} {fmt_operand(out.data, 6)}) / {fmt(H)} = {fmt(estimate)}",
            f"exact: x.grad = {fmt(grad)}; the estimate is off by {fmt(abs(estimate - grad))}, and the gap shrinks with h",
        ]
        return [("estimate", estimate), ("x.grad", grad)], steps, "the finite-difference estimate and the exact x.grad"

    intro = (
        f"Let f(x) = {expr} at x = {fmt(x)}. Estimate df/dx with the forward difference "
        f"(f(x + h) {MINUS} f(x)) / h using h = {fmt(H)}, then find the exact derivative x.grad by backpropagation."
    )
    return Draft(out, ["x"], intro, extra={"h": H, "f": expr}, finish=finish)
