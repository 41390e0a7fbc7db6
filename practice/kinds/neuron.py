"""`neuron`, `loss` and `step`: the lesson's neuron, its squared-error loss, and one gradient-descent update."""

from engine import Value

from ..grade import never_caught, work
from ..numbers import MINUS, fmt
from ..record import Shown, listing
from .common import Draft, Redraw, leaves, pick, pick_value


# The lecture's names for n inputs (a neuron is drawn hundreds of times a set): x1.., w1.., x1w1..
X_NAMES = {n: [f"x{i + 1}" for i in range(n)] for n in (1, 2, 3)}
W_NAMES = {n: [f"w{i + 1}" for i in range(n)] for n in (1, 2, 3)}
PRODUCT_NAMES = [f"x{i + 1}w{i + 1}" for i in range(3)]


def neuron_graph(rng, difficulty: str, nin: int, act: str) -> tuple[Value, list[str]]:
    """o = act(x1*w1 + ... + b) with the lecture's names; act is tanh, tanh-exp (tanh through exp), relu or linear."""
    xs = leaves(X_NAMES[nin], rng, difficulty, -3, 3, False)
    ws = leaves(W_NAMES[nin], rng, difficulty, -3, 3)
    products = []
    for x, w, label in zip(xs, ws, PRODUCT_NAMES):
        p = x * w
        p.label = label
        products.append(p)
    total = products[0]
    for i, p in enumerate(products[1:]):
        total = total + p
        total.label = "x1w1x2w2" if i == 0 else "s"
    b = Value(pick_value(rng, difficulty, -3, 3), label="b")
    n = total + b
    n.label = "n"
    if act == "linear":
        n.label = "o"
        out = n
    elif act == "tanh-exp":
        m = 2 * n
        m.label = "m"
        e = m.exp()
        e.label = "e"
        p, q = e - 1, e + 1
        p.label, q.label = "p", "q"
        out = p / q
        if abs(out.data) > 0.99:  # the same bound as tanh itself, however it is written
            raise Redraw()
    else:
        out = getattr(n, act)()
    out.label = "o"
    params = W_NAMES[nin] + ["b"]
    return out, params


def _neuron_words(act: str) -> str:
    return {
        "tanh": "squashes n with tanh",
        "tanh-exp": "computes tanh(n) through exp: o = (e − 1)/(e + 1) with e = exp(2n)",
        "relu": "passes n through relu",
        "linear": "outputs the weighted sum plus bias directly",
    }[act]


def build_neuron(rng, difficulty: str) -> Draft:
    if difficulty == "hard":
        act, nin = pick(rng, [("tanh", 2), ("tanh", 3), ("tanh-exp", 2)])
    else:
        act, nin = "relu", pick(rng, [2, 2, 3] if difficulty == "medium" else [2])
    out, params = neuron_graph(rng, difficulty, nin, act)
    inputs = list(X_NAMES[nin])
    intro = f"A neuron weighs its inputs, adds a bias and {_neuron_words(act)}."
    return Draft(out, inputs + params, intro)


def loss_graph(rng, difficulty: str):
    act = {"easy": "linear", "medium": pick(rng, ["linear", "relu"]), "hard": "tanh"}[difficulty]
    o, params = neuron_graph(rng, difficulty, pick(rng, [1, 2]) if difficulty == "easy" else 2, act)
    y = Value(pick_value(rng, difficulty, -2, 2, nonzero=False) if difficulty != "hard" else pick(rng, [-1.0, 1.0]), label="y")
    d = o - y
    d.label = "d"
    loss = d**2
    loss.label = "L"
    intro = f"A neuron {_neuron_words(act)}; its output o is scored against the target y by the squared error L = (o − y)²."
    return loss, params, intro


def build_loss(rng, difficulty: str) -> Draft:
    loss, params, intro = loss_graph(rng, difficulty)
    return Draft(loss, params, intro, given=_given(params))


STEP_MISTAKES = ["no-update", "wrong-direction", "lr-forgotten"]


def build_step(rng, difficulty: str) -> Draft:
    loss, params, intro = loss_graph(rng, difficulty)
    lr = pick(rng, {"easy": [0.1, 0.5], "medium": [0.1, 0.05, 0.5], "hard": [0.1, 0.05, 0.01]}[difficulty])

    def finish(by_name):
        answers, steps = [], []
        for p in params:
            node = by_name[p]
            new = node["data"] - lr * node["grad"]
            answers.append((f"{p}.new", new))
            numbers = Shown(f"{{}} {MINUS} {fmt(lr)} × {{}}", (node["data"], node["grad"]), lambda d, g: d - lr * g, new)
            steps.append(f"{p}.new = {p}.data {MINUS} lr × {p}.grad = {numbers.text()} = {fmt(new)}")
        return answers, steps, f"the new values of {listing(params)} after one step"

    def evaluate(nodes, r, mistake):
        """The new values as a learner steps them: rounded, and bent by one mistake of the pass or the step."""
        step = mistake if mistake in STEP_MISTAKES else None  # (a mistake of the step, or of the pass: not both)
        worked = work(nodes, 1.0, r, None if step else mistake)
        new = {}
        for p in params:  # (each rule inline: no function made per call)
            d, g = worked[p]
            if step is None:
                new[f"{p}.new"] = r(d - r(lr * g))
            elif step == "no-update":
                new[f"{p}.new"] = d
            elif step == "wrong-direction":
                new[f"{p}.new"] = r(d + r(lr * g))
            else:  # lr-forgotten
                new[f"{p}.new"] = r(d - g)
        return new

    def lesson(answers):
        """Every parameter moves, and standing still or stepping the wrong way is caught."""
        return all({"no-update", "wrong-direction"} <= {m["name"] for m in a["mistakes"]} for a in answers)

    def hopeless(by_name, answers):
        """Standing still can't be caught for some parameter (its grad is about 0): `lesson` would refuse it."""
        return any(never_caught(by_name[p]["data"], new) for p, (_, new) in zip(params, answers))

    intro += f" Take one gradient-descent step with learning rate lr = {fmt(lr)} (p.data −= lr × p.grad)."
    return Draft(loss, params, intro, extra={"learning_rate": lr}, finish=finish, given=_given(params),
                 evaluate=evaluate, mistakes=STEP_MISTAKES, lesson=lesson, hopeless=hopeless)


def _given(params):
    inputs = [p.replace("w", "x") for p in params if p != "b"]
    return inputs + params + ["y"]
