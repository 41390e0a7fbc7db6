"""`mlp`: micrograd's MLP(nin, [2, 1]) forward and backward by hand: two hidden neurons, one linear output."""

from engine import Value
from engine.nn import MLP

from ..record import listing
from .common import Draft
from .training import check, grid, name_neuron, pick

ACT = {"easy": "relu", "medium": "relu", "hard": "tanh"}  # micrograd's repository uses relu; the lecture tanh


def _numbers(difficulty: str):
    """(inputs, hidden weights and biases, output weights and bias): kept so every value stays short."""
    return {
        "easy": (grid(-3, 3, 1), grid(-2, 2, 1), grid(-2, 2, 1)),
        "medium": (grid(-2, 2, 0.5), grid(-2, 2, 0.5), grid(-2, 2, 1)),  # halves × halves, then × integers
        "hard": (grid(-1, 1, 0.1), grid(-1, 1, 0.1), grid(-1.5, 1.5, 0.1)),
    }[difficulty]


def build(rng, difficulty: str) -> Draft:
    nin = 2 if difficulty == "easy" else rng.choice([2, 3])
    act = ACT[difficulty]
    x_values, hidden_values, out_values = _numbers(difficulty)
    model = MLP(nin, [2, 1], act=act)
    hidden, (top,) = model.layers[0].neurons, model.layers[1].neurons
    for j, unit in enumerate(hidden, start=1):
        for i, w in enumerate(unit.w, start=1):
            w.data, w.label = pick(rng, hidden_values), f"w{j}{i}"
        unit.b.data, unit.b.label = pick(rng, hidden_values), f"b{j}"
    for j, v in enumerate(top.w, start=1):
        v.data, v.label = pick(rng, out_values), f"v{j}"
    top.b.data, top.b.label = pick(rng, out_values), "c"
    xs = [Value(pick(rng, x_values), label=f"x{i + 1}") for i in range(nin)]
    o = model(xs)
    sums = ["s", "t", "n"] if nin == 3 else ["s", "n"]
    products = name_neuron(o, top, ["q1", "q2"], ["r", "o"], "o")
    for j, (unit, q) in enumerate(zip(hidden, products), start=1):
        h = q._prev[1]
        name_neuron(h, unit, [f"p{j}{i + 1}" for i in range(nin)], [f"{s}{j}" for s in sums], f"h{j}")
        check(h._prev[0].data != 0 and (act == "tanh" or h.data > 0))  # both hidden neurons pass gradient back
    j, i = rng.randint(1, 2), rng.randint(1, nin)
    asked = [f"w{j}{i}", f"b{3 - j}", f"v{rng.randint(1, 2)}", f"x{rng.randint(1, nin)}"]
    inputs = listing([f"x{i + 1}" for i in range(nin)])
    terms = " + ".join(f"wj{i + 1}·x{i + 1}" for i in range(nin))
    intro = (
        f"micrograd's MLP({nin}, [2, 1]): a hidden layer of two {act} neurons h1 and h2 (neuron j has weights "
        f"{listing([f'wj{i + 1}' for i in range(nin)])} and bias bj: hj = {act}(bj + {terms})) feeding one linear output neuron "
        f"o = c + v1·h1 + v2·h2, on the inputs {inputs}. Both hidden neurons use every input, so each input "
        f"collects gradient from both (+=)."
    )
    given = [f"x{i + 1}" for i in range(nin)] + [p.label for p in model.parameters()]
    groups = [{"name": f"hidden neuron h{j}", "layer": 1,
               "nodes": [f"w{j}{i + 1}" for i in range(nin)] + [f"b{j}"] + [f"p{j}{i + 1}" for i in range(nin)]
               + [f"{s}{j}" for s in sums] + [f"h{j}"]} for j in (1, 2)]
    groups.append({"name": "output neuron o", "layer": 2, "nodes": ["v1", "v2", "c", "q1", "q2", "r", "o"]})
    return Draft(o, asked, intro, given=given, lesson=_lesson, extra={"groups": groups})


def _lesson(answers) -> bool:
    """Both layers' weights move, and the input's two contributions are both needed (overwrite is caught)."""
    by_name = {a["name"]: a for a in answers}
    weights = [a for a in answers if a["name"][0] in "wv"]
    inputs = [a for a in answers if a["name"][0] == "x"]
    return (all(a["value"] != 0 for a in weights) and len({a["name"][0] for a in weights}) == 2
            and any(m["name"] == "overwrite" for a in inputs for m in a["mistakes"]) and bool(by_name))
