"""`numeric`: estimate a derivative with a finite difference and compare it with backpropagation's exact one."""

from ..grade import F_PLACES, exact, graph_answers, never_caught
from ..numbers import MINUS, fmt
from ..program import build as build_program
from ..record import Shown, literal, pretty_program
from .common import Draft, Redraw, pick, pick_value

FORMULAS = {
    "easy": ["x*x + {a}*x", "{a}*x*x + {b}", "(x + {b})*(x + {c})", "x*x*x + {b}"],
    "medium": ["x**3 - {a}*x", "{a}/x + x", "(x - {b})**2", "x**2/{a} + {b}*x"],
    "hard": ["tanh({a}*x)", "exp({a}*x) - x", "log(x*x + {c})", "{a}*sigmoid(x)", "x*exp({a}*x)"],
}
H = 0.01
SWAPS = ["exact-as-estimate", "estimate-as-exact"]


def build(rng, difficulty: str) -> Draft:
    formula = pick(rng, FORMULAS[difficulty])
    a = pick_value(rng, "easy" if difficulty != "hard" else "hard", -3, 3)
    b = pick_value(rng, "easy", -3, 3)
    c = pick_value(rng, "easy", 1, 3)
    if abs(a) == 1 or ("{b}" in formula and "{c}" in formula and b == c):  # × ±1 and (x + 2)(x + 2) teach nothing new
        raise Redraw()
    expr = formula.format(a=literal(a), b=literal(b), c=literal(c))
    x = pick_value(rng, difficulty, -2, 2)
    program = f"f = {expr}"
    out = build_program(program, {"x": x})
    f_plus = build_program(program, {"x": round(x + H, 10)}).data
    estimate = (f_plus - out.data) / H

    def finish(by_name):
        grad = by_name["x"]["grad"]
        f0, f1 = out.data, f_plus
        numbers = Shown(f"({{}} {MINUS} {{}}) / {fmt(H)}", (f1, f0), lambda p, q: (p - q) / H, estimate, places=F_PLACES)
        steps = [
            f"f(x) = f({fmt(x)}) = {fmt(f0, F_PLACES)}",
            f"f(x + h) = f({fmt(x + H)}) = {fmt(f1, F_PLACES)}",
            f"estimate = (f(x + h) {MINUS} f(x)) / h = {numbers.text()} = {fmt(estimate)}",
            f"exact: x.grad = {fmt(grad)}; the estimate is off by {fmt(abs(estimate - grad))}, and the gap shrinks with h",
        ]
        return [("estimate", estimate), ("x.grad", grad)], steps, "the finite-difference estimate and the exact x.grad"

    def evaluate(nodes, r, mistake):
        """The function values kept to F_PLACES decimals, the rest rounded with r; or one swap of the two answers."""
        exact_grad = graph_answers(nodes, ["x"], 1.0, r, mistake if mistake not in SWAPS else None)["x.grad"]
        if mistake == "exact-as-estimate":
            return {"estimate": exact_grad}
        if mistake == "estimate-as-exact":
            return {"x.grad": estimate}
        keep = (lambda v: v) if r is exact else (lambda v: round(v, F_PLACES))
        estimated = r((keep(f_plus) - keep(out.data)) / H)
        return {"estimate": estimated, "x.grad": exact_grad} if mistake is None else {"x.grad": exact_grad}

    def lesson(answers):
        """The estimate and the exact derivative are told apart: each swap is a caught mistake."""
        caught = {m["name"] for a in answers for m in a["mistakes"]}
        return set(SWAPS) <= caught

    def hopeless(by_name, answers):
        """The estimate taken for the exact x.grad is too close to it to be caught: `lesson` would refuse the draw."""
        return never_caught(estimate, by_name["x"]["grad"])

    intro = (
        f"Let f(x) = {pretty_program(expr)} at x = {fmt(x)}. Estimate df/dx with the forward difference "
        f"(f(x + h) {MINUS} f(x)) / h using h = {fmt(H)}, then find the exact derivative x.grad by backpropagation."
    )
    return Draft(out, ["x"], intro, extra={"h": H, "f": expr}, finish=finish, evaluate=evaluate, mistakes=SWAPS,
                 lesson=lesson, hopeless=hopeless)
