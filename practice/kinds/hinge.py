"""`hinge`: the max-margin loss relu(1 − y·s) of a linear score s with a label y = ±1, plus L2 regularisation
α·Σp² over every parameter (as micrograd's moons demo trains). The margin is active in some problems and
inactive in others; then the data term sends back nothing and only 2·α·p moves the weights."""

from engine import Value

from ..grade import work
from ..numbers import fmt
from ..record import listing
from .common import Draft
from .training import call, check, grid, group, neuron, pick, sum_named

SETUP = {  # inputs, inputs' values, parameters' values, α
    "easy": (2, grid(-2, 2, 1), grid(-2, 2, 1), [0.1, 0.5]),
    "medium": (2, grid(-2, 2, 0.5), grid(-2, 2, 1), [0.05, 0.1, 0.2]),
    "hard": (3, grid(-1.5, 1.5, 0.1), grid(-1, 1, 0.1), [0.05, 0.1]),
}
PLACES = {"easy": 1, "medium": 2, "hard": None}  # α makes easy numbers tenths
MISTAKES = ["l2-forgotten"]


def build(rng, difficulty: str) -> Draft:
    nin, x_values, p_values, alphas = SETUP[difficulty]
    active = rng.random() < 0.5
    alpha = float(rng.choice(alphas))
    names = [f"w{i + 1}" for i in range(nin)]
    unit = neuron([pick(rng, p_values) for _ in names], pick(rng, p_values), "linear", names, "b")
    xs = [Value(pick(rng, x_values), label=f"x{i + 1}") for i in range(nin)]
    y = Value(float(rng.choice([-1, 1])), label="y")
    s = call(unit, xs, [f"p{i + 1}" for i in range(nin)], [f"s{i + 1}" for i in range(nin - 1)] + ["s"], "s")
    m = y * s
    m.label = "m"
    u = 1 - m
    u.label = "u"
    check((u.data > 0) == active)
    h = u.relu()
    h.label = "h"
    squares = []
    for i, p in enumerate(unit.parameters()):
        sq = p**2
        sq.label = f"r{i + 1}"
        squares.append(sq)
    z = sum_named(squares, [f"z{i + 1}" for i in range(len(squares) - 2)], "z")
    reg = alpha * z
    reg.label = "R"
    loss = h + reg
    loss.label = "L"
    params = names + ["b"]

    def evaluate(nodes, r, mistake):
        if mistake == "l2-forgotten":  # the regulariser's α set to 0: only the data term's grads
            alpha_node = next(n for n in nodes if n["name"] == "R")["inputs"][0]
            worked = work(nodes, 1.0, r, None, data={alpha_node: 0.0})
        else:
            worked = work(nodes, 1.0, r, mistake)
        return {f"{p}.grad": worked[p][1] for p in params}

    def lesson(answers):
        """Forgetting the L2 term is caught on every answer; with the margin inactive, so is letting the
        gradient through the blocked relu."""
        caught = [{m["name"] for m in a["mistakes"]} for a in answers]
        return all("l2-forgotten" in c for c in caught) and (active or any("relu-rule" in c for c in caught))

    intro = (
        f"A linear score s = b + {' + '.join(f'w{i + 1}·x{i + 1}' for i in range(nin))} is trained with the "
        f"max-margin (hinge) loss h = relu(1 − y·s) for the label y = ±1, plus L2 regularisation "
        f"R = α·({' + '.join(f'{p}²' for p in params)}) over every parameter with α = {fmt(alpha)}: L = h + R."
    )
    return Draft(loss, params, intro, given=[f"x{i + 1}" for i in range(nin)] + ["y"] + params,
                 extra={"alpha": alpha, "margin_active": active, "groups": [
                     group("hinge loss h", h, unit.parameters(), layer=1, leaves=[x.label for x in xs]),
                     group("L2 term R", reg, unit.parameters(), layer=1)]}, evaluate=evaluate, mistakes=MISTAKES,
                 lesson=lesson, places=PLACES[difficulty])
