"""`batch`: one neuron, a squared-error loss summed over 2 or 3 examples: the shared weights collect gradient
from every example, the real reason for +=."""

from engine import Value

from .common import Draft
from .training import call, check, grid, group, neuron, pick, sq_loss, sum_named

SETUP = {  # activation(s), inputs, weight and bias, targets
    "easy": (["linear"], grid(-2, 2, 1), grid(-2, 2, 1), grid(-3, 3, 1)),
    "medium": (["linear", "relu"], grid(-2, 2, 0.5), grid(-2, 2, 0.5), grid(-2, 2, 0.5)),
    "hard": (["tanh"], grid(-1, 1, 0.1), grid(-1, 1, 0.1), grid(-0.9, 0.9, 0.1)),
}
WORDS = {"linear": "o = b + w·x", "relu": "o = relu(b + w·x)", "tanh": "o = tanh(b + w·x)"}


def build(rng, difficulty: str) -> Draft:
    acts, x_values, p_values, y_values = SETUP[difficulty]
    act = rng.choice(acts)
    k = 2 if difficulty == "easy" else rng.choice([2, 3])
    unit = neuron([pick(rng, p_values)], pick(rng, p_values), act, ["w"], "b")
    terms = []
    xs = []
    for i in range(1, k + 1):
        x = Value(pick(rng, x_values), label=f"x{i}")
        y = Value(pick(rng, y_values), label=f"y{i}")
        check(x.data not in [v.data for v in xs])  # distinct examples
        xs.append(x)
        o = call(unit, [x], [f"p{i}"], [f"n{i}"], f"o{i}")
        terms.append(sq_loss(o, y, f"d{i}", f"e{i}"))
        check(terms[-1].data != 0)  # every example has something to say
    loss = sum_named(terms, ["t"], "L")
    examples = " and ".join(f"(x{i}, y{i})" for i in range(1, k + 1)) if k == 2 else "(x1, y1), (x2, y2) and (x3, y3)"
    intro = (
        f"One neuron {WORDS[act]} with weight w and bias b meets {k} examples {examples}; the loss sums their "
        f"squared errors, L = {' + '.join(f'(o{i} − y{i})²' for i in range(1, k + 1))}. The same w and b serve "
        f"every example, so their grads add up one contribution per example (+=)."
    )
    given = [n for i in range(1, k + 1) for n in (f"x{i}", f"y{i}")] + ["w", "b"]
    groups = [group(f"example {i}", term, unit.parameters(), layer=1) for i, term in enumerate(terms, start=1)]
    return Draft(loss, ["w", "b"], intro, given=given, lesson=_lesson, extra={"groups": groups})


def _lesson(answers) -> bool:
    """Keeping only the last example's contribution (= instead of +=) is a caught mistake for w and b."""
    return all(any(m["name"] == "overwrite" for m in a["mistakes"]) for a in answers)
