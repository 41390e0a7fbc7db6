"""What the training kinds (mlp, batch, zero_grad, train, hinge) share: small models built with engine.nn and
named the way a person reads them, hand-sized numbers, and a gradient-descent step as a learner works it."""

import random

from engine import Value
from engine.nn import Neuron

from ..grade import exact, work
from ..numbers import MINUS, fmt, has_places
from ..record import Shown
from .common import Redraw
from .neuron import STEP_MISTAKES

# The most decimals a written number may have, per difficulty (hard: the lesson's ops, no limit).
PLACES = {"easy": 1, "medium": 2, "hard": None}


def pick(rng, values):
    return float(rng.choice(values))


def grid(low: float, high: float, step: float, nonzero: bool = True) -> list[float]:
    """Every multiple of `step` from low to high (0 left out when nonzero)."""
    lo, hi = round(low / step), round(high / step)
    return [round(k * step, 4) for k in range(lo, hi + 1) if k or not nonzero]


def short(values, difficulty: str) -> bool:
    """Every number is finite-sized and has at most the difficulty's decimals."""
    places = PLACES[difficulty]
    return all(abs(v) <= 1000 and (places is None or has_places(v, places)) for v in values)


def neuron(ws: list[float], b: float, act: str, w_names: list[str], b_name: str) -> Neuron:
    """An engine.nn Neuron with the given weights, bias and names (micrograd's Neuron, set by hand)."""
    n = Neuron(len(ws), act=act, rng=random.Random(0))
    for w, value, name in zip(n.w, ws, w_names):
        w.data, w.label = float(value), name
    n.b.data, n.b.label = float(b), b_name
    return n


def call(unit: Neuron, xs: list, products: list[str], sums: list[str], out: str) -> Value:
    """unit(xs) with its nodes named (see name_neuron)."""
    o = unit(xs)
    name_neuron(o, unit, products, sums, out)
    return o


def name_neuron(o: Value, unit: Neuron, products: list[str], sums: list[str], out: str) -> list[Value]:
    """Name the nodes of o = unit(xs): the w·x products, the running sums from the bias ((b + p1) + p2 ...;
    one per input, the last is n) and the activation's output `out` (a linear neuron's last sum is `out`).
    Returns the products, in input order."""
    node = o
    if unit.act != "linear":
        o.label = out
        node = o._prev[0]
        names = list(sums)
    else:
        names = list(sums[:-1]) + [out]
    found = []
    for name in reversed(names):
        node.label = name
        node, product = node._prev
        found.append(product)
    found.reverse()
    for p, name in zip(found, products):
        p.label = name
    return found


def sum_named(terms: list[Value], partial: list[str], last: str) -> Value:
    """t1 + t2 + ... with the partial sums named from `partial` and the whole `last`."""
    total = terms[0]
    for i, t in enumerate(terms[1:]):
        total = total + t
        total.label = last if i == len(terms) - 2 else partial[i]
    return total


def sq_loss(o: Value, y: Value, d_name: str, e_name: str) -> Value:
    """(o − y)², the lesson's squared error, with its two nodes named."""
    d = o - y
    d.label = d_name
    e = d**2
    e.label = e_name
    return e


def step_rule(mistake: str | None, lr: float, r=exact):
    """p.data − lr × p.grad as a learner works it out: rounded, or bent by one step mistake."""
    return {
        None: lambda d, g: r(d - r(lr * g)),
        "no-update": lambda d, g: d,
        "wrong-direction": lambda d, g: r(d + r(lr * g)),
        "lr-forgotten": lambda d, g: r(d - g),
    }[mistake if mistake in STEP_MISTAKES else None]


def step_line(name: str, old: float, grad: float, lr: float, new: float, grad_text: str | None = None) -> str:
    """`w.new = w.data − lr × w.grad = 2 − 0.1 × 4 = 1.6`, numbers printed so they give the printed result."""
    numbers = Shown(f"{{}} {MINUS} {fmt(lr)} × {{}}", (old, grad), lambda d, g: d - lr * g, new)
    return f"{name} = {name.split('.')[0]}.data {MINUS} lr × {grad_text or name.split('.')[0] + '.grad'} = {numbers.text()} = {fmt(new)}"


def learner_step(nodes: list[dict], params: list[str], lr: float, r, mistake: str | None, data: dict | None = None):
    """A learner's backward pass (rounded with r, bent by a graph mistake) and gradient-descent step (bent by
    a step mistake): (worked {name: (data, grad)}, the new values {param: value})."""
    worked = replay(nodes, r, mistake, data)
    rule = step_rule(mistake, lr, r)
    return worked, {p: rule(*worked[p]) for p in params}


def replay(nodes: list[dict], r=exact, mistake: str | None = None, data: dict | None = None) -> dict:
    """grade.work with the graph mistakes only (the kind's own mistakes are applied by its evaluate)."""
    from ..grade import GRAPH_MISTAKES

    return work(nodes, 1.0, r, mistake if mistake in GRAPH_MISTAKES else None, data)


def group(name: str, out: Value, shared=(), layer: int | None = None, leaves: list[str] = ()) -> dict:
    """A record group (drawn as one table): every named node of the graph ending at `out` but the `shared` ones,
    leaves first (those named in `leaves` in that order). Constants have no name and are left out; the table's
    formulas show them."""
    order = [v for v in out.topo() if v.label and all(v is not s for s in shared)]
    first = [v.label for v in order if not v._prev]
    first.sort(key=lambda n: list(leaves).index(n) if n in leaves else len(leaves))
    nodes = first + [v.label for v in order if v._prev]
    return {"name": name, "nodes": nodes} if layer is None else {"name": name, "layer": layer, "nodes": nodes}


def check(ok: bool) -> None:
    if not ok:
        raise Redraw()


# ---------------------------------------------------------------- the one-example model of train and zero_grad


def names(nin: int) -> tuple[list[str], list[str]]:
    """(inputs, parameters): x, w, b for one input; x1, x2, w1, w2, b for two."""
    if nin == 1:
        return ["x"], ["w", "b"]
    return [f"x{i + 1}" for i in range(nin)], [f"w{i + 1}" for i in range(nin)] + ["b"]


def model_unit(params: dict[str, float], act: str) -> Neuron:
    """engine.nn's Neuron with the given parameters (w or w1, w2 ..., and b), named for people."""
    p_names = names(len(params) - 1)[1]
    return neuron([params[n] for n in p_names[:-1]], params["b"], act, p_names[:-1], "b")


def loss_of(unit: Neuron, inputs: dict[str, float], y: float) -> Value:
    """L = (unit(x) − y)² for one example: a fresh graph on the unit's parameters, its nodes named."""
    nin = len(inputs)
    xs = [Value(inputs[n], label=n) for n in names(nin)[0]]
    products = ["p"] if nin == 1 else [f"p{i + 1}" for i in range(nin)]
    sums = ["n"] if nin == 1 else ["s", "n"]
    o = call(unit, xs, products, sums, "o")
    return sq_loss(o, Value(y, label="y"), "d", "L")


def model_loss(params: dict[str, float], inputs: dict[str, float], y: float, act: str) -> tuple[Value, Neuron]:
    """L = (act(b + w·x) − y)² for one example, on a new Neuron with the given parameters."""
    unit = model_unit(params, act)
    return loss_of(unit, inputs, y), unit


def graph_nodes(out: Value, backward: bool = False) -> list[dict]:
    """A graph's record nodes (record.flatten without the worked steps, and without grads unless `backward`)."""
    from ..record import node_dicts

    order = out.topo()
    if backward:
        out.backward()
    nodes = node_dicts(order)
    return nodes if backward else forward_only(nodes)


def forward_only(nodes: list[dict]) -> list[dict]:
    """A record's nodes without their grads: a forward pass kept for its values."""
    return [{k: v for k, v in n.items() if k not in ("grad", "tolerance")} for n in nodes]


FORWARD_TEXT = {"+": "{} + {}", "-": "{} − {}", "*": "{} × {}", "tanh": "tanh({})", "relu": "relu({})"}


def forward_lines(nodes: list[dict], prefix: str = "") -> list[str]:
    """The forward pass as worked lines, `o = b + p = 1 + 2 = 3`, numbers printed so they give the result."""
    from ..grade import FORWARD
    from ..record import expression_text

    by_name = {n["name"]: n for n in nodes}
    lines = []
    for n in nodes:
        if not n["op"]:
            continue
        operands = tuple(by_name[i]["data"] for i in n["inputs"])
        if n["op"] == "**":
            k = n["exponent"]
            numbers = Shown("{}²" if k == 2 else f"{{}}^{k}", operands, lambda a: a**k, n["data"])
        else:
            numbers = Shown(FORWARD_TEXT[n["op"]], operands, FORWARD[n["op"]], n["data"])
        text = numbers.text()
        if n["op"] in ("tanh", "relu"):  # tanh(−0.5), not tanh((−0.5))
            text = text.replace("((", "(").replace("))", ")")
        lines.append(f"{prefix}{n['name']} = {expression_text(n, by_name, True)} = {text} = {fmt(n['data'])}")
    return lines
