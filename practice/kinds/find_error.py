"""`find_error`: a learner's worked backward pass with exactly one planted mistake from the catalogue. Asked:
the number of the first wrong line, and the value the grad it updates should hold after that line.

The pass is replayed line by line (one line per contribution, in the order the worked steps make them); the
planted line bends one contribution, and the lines after it carry the error on wherever they use it."""

import operator
import random

from ..grade import _assessing, _locals, contributions_per_node, exact, remembered, worked_data
from ..numbers import MINUS, all_have_places, fmt, fmt_operand
from ..record import Shown, backward_nodes, contributions, power_text, step_line
from .common import Draft, Redraw, below, pick
from .expression import random_graph
from .neuron import neuron_graph

ANSWERS = ("first wrong line", "corrected grad")
OWN = ["error-copied", "later-line"]
# which catalogue mistake can be planted in a contribution of which op (and which input: None = either)
PLANTABLE = {
    "-": [("sign-slip", 1)],
    "*": [("wrong-operand", None)],
    "tanh": [("tanh-forgotten", 0), ("tanh-from-input", 0)],
    "**": [("power-rule", 0)],
    "/": [("division-rule", 1)],
    "exp": [("exp-rule", 0)],
    "relu": [("relu-rule", 0)],
    "log": [("log-rule", 0)],
    "sigmoid": [("sigmoid-rule", 0)],
}


def graph(seed: int, difficulty: str):
    """The problem's graph, built from its own seed (so it can be built twice, identically)."""
    rng = random.Random(seed)
    if difficulty == "hard" and rng.random() < 0.4:
        return neuron_graph(rng, "hard", 2, "tanh")[0]
    n = 3 + below(rng, 2)  # rng.randint(3, 4)
    p_unary = {"easy": 0.25, "medium": 0.3, "hard": 0.2}[difficulty]
    return random_graph(rng, difficulty, n, p_reuse=0.3, p_unary=p_unary, must_unary=difficulty == "hard")


def replay(nodes: list[dict], r=exact, mistake: str | None = None, planted: tuple | None = None,
           until: int | None = None) -> list[dict]:
    """The backward pass one contribution at a time, as a learner who rounds with r and makes `mistake` everywhere
    (or none), with `planted` = (node name, input index, mistake) bending that one contribution. Each line:
    {node, index, target, grad (the node's grad it used), contribution, total (the target's grad after it),
    first (the target's first contribution)}. Constants get no line. `until`: the last line wanted (its index), where
    the lines after it are not (a line depends only on the lines before it)."""
    values = worked_data(nodes, r)
    steps, constant, zeros = _pass_of(nodes)
    grads = zeros.copy()
    grads[nodes[-1]["name"]] = 1.0
    seen: set[str] = set()
    lines = []
    wanted = -1 if until is None else until + 1
    rounded, overwrites = r is not exact, mistake == "overwrite"
    planted_node = planted[0] if planted else None
    for n, o, inputs in steps:
        g = grads[o]
        xs = [values[i] for i in inputs]
        locs = _locals(n, xs, values[o], r, mistake)
        for index, (name, local) in enumerate(zip(inputs, locs)):
            how = planted[2] if planted_node == o and planted[1] == index else None
            if how and how != "overwrite":
                local = _locals(n, xs, values[o], r, how)[index]
            contribution = r(local * g) if rounded else local * g  # (exact: the same numbers without a call)
            if overwrites or how == "overwrite":
                grads[name] = contribution
            else:
                grads[name] = r(grads[name] + contribution) if rounded else grads[name] + contribution
            if name not in constant:
                lines.append({"node": o, "index": index, "target": name, "grad": g, "contribution": contribution,
                              "total": grads[name], "first": name not in seen, "planted": how})
                if len(lines) == wanted:
                    return lines
            seen.add(name)
    return lines


def _pass_of(nodes: list[dict]) -> tuple[list[tuple], set[str], dict[str, float]]:
    """What every replay of these nodes reads the same: (node, name, inputs) of each op node in the backward
    pass's order, the constants' names, and a grad of 0.0 for every node; made once per draw while the draw's
    replays are remembered (grade.remembered), as they are in build and in grading."""
    memo = _assessing(nodes)
    found = memo.get("find_error pass") if memo is not None else None
    if found is None:
        found = ([(n, n["name"], n["inputs"]) for n in reversed(nodes) if n["op"]],
                 {n["name"] for n in nodes if n.get("constant")}, dict.fromkeys([n["name"] for n in nodes], 0.0))
        if memo is not None:
            memo["find_error pass"] = found
    return found


def _bent(node: dict, index: int, by_name: dict, how: str, g: float):
    """(rule, numbers, value) of one contribution worked with mistake `how` (the learner's wrong line)."""
    o, ins = node["name"], [by_name[i] for i in node["inputs"]]
    x = ins[index]
    xd, od = x["data"], node["data"]
    n = x["name"]
    if how in ("sign-slip", "tanh-forgotten"):
        return f"{o}.grad", None, g
    if how == "wrong-operand":
        return (f"{n}.data × {o}.grad", Shown("{} × {}", (xd, g), operator.mul, xd * g), xd * g)
    if how == "tanh-from-input":
        value = (1 - xd**2) * g
        return (f"(1 {MINUS} {n}.data²) × {o}.grad", Shown(f"(1 {MINUS} {{}}²) × {{}}", (xd, g), lambda a, b: (1 - a**2) * b, value), value)
    if how == "power-rule":
        k = node["exponent"]
        value = k * xd**k * g
        return (f"{fmt_operand(k)} × {power_text(n + '.data', k)} × {o}.grad",
                Shown(f"{fmt_operand(k)} × {power_text('{}', k)} × {{}}", (xd, g), lambda a, b: k * a**k * b, value), value)
    if how == "division-rule":
        a = ins[0]["data"]
        value = -a / xd * g
        return (f"{MINUS}{ins[0]['name']}.data / {n}.data × {o}.grad",
                Shown(f"{MINUS}{{}} / {{}} × {{}}", (a, xd, g), lambda p, q, s: -p / q * s, value), value)
    if how in ("exp-rule", "log-rule"):
        return (f"{n}.data × {o}.grad", Shown("{} × {}", (xd, g), operator.mul, xd * g), xd * g)
    if how == "relu-rule":
        return (f"(1 if {n}.data > 0 else 0) × {o}.grad", Shown("1 × {}", (g,), lambda b: b, g), g)
    if how == "sigmoid-rule":
        return (f"{o}.data × {o}.grad", Shown("{} × {}", (od, g), operator.mul, od * g), od * g)
    raise ValueError(how)


def line_text(line: dict, by_name: dict) -> str:
    """One line of the pass as a learner writes it, `t.grad += rule = numbers = value`, with the running total
    where a grad collects a second contribution; an overwriting line is written with = instead of +=. It
    depends on the line and the graph alone."""
    node = dict(by_name[line["node"]], grad=line["grad"])
    target = f"{line['target']}.grad"
    how = line["planted"]
    if how and how != "overwrite":
        rule, numbers, value = _bent(node, line["index"], by_name, how, line["grad"])
    else:
        _, rule, numbers, value = contributions(node, by_name)[line["index"]]
    text = step_line(target, rule, numbers, value)
    if how == "overwrite":
        text = text.replace(f"{target} += ", f"{target} = ", 1)
    if not line["first"] or how == "overwrite":
        text += f" (now {target} = {fmt(line['total'])})"
    return text


def build(rng, difficulty: str) -> Draft:
    seed = rng.getrandbits(63)
    out = graph(seed, difficulty)
    order = out.topo()
    nodes = backward_nodes(out, 1.0, order)
    with remembered(nodes):  # (both passes below share one forward pass)
        draft = _build(rng, difficulty, out, order, nodes)
        draft.built = (order, nodes, _assessing(nodes))  # (generation grades these very nodes, as they are)
        return draft


def _build(rng, difficulty: str, out, order, nodes) -> Draft:
    right = replay(nodes)
    by_name = {n["name"]: n for n in nodes}
    reused = {name for name, uses in contributions_per_node(nodes).items() if uses > 1}
    options = []
    for k, line in enumerate(right):
        node = by_name[line["node"]]
        for how, index in PLANTABLE.get(node["op"], []):
            if index in (None, line["index"]):
                if how == "relu-rule" and by_name[line["target"]]["data"] > 0:
                    continue
                options.append((k, how))
        if not line["first"] and line["target"] in reused:
            options.append((k, "overwrite"))
    if not options:
        raise Redraw()
    k, how = pick(rng, options)
    # Refused on the numbers first, then on the texts (the same draws are refused in any order, and the choice
    # above is drawn either way): every number written in either pass stays as short as the difficulty's, the
    # right pass's tested before the wrong one is replayed.
    places = {"easy": 0, "medium": 2}.get(difficulty)
    if places is not None and not all_have_places([line[f] for line in right for f in ("contribution", "total")], places):
        raise Redraw()
    spot = (right[k]["node"], right[k]["index"], how)
    wrong = replay(nodes, planted=spot)
    if abs(wrong[k]["total"] - right[k]["total"]) < 0.01:
        raise Redraw()
    if places is not None and not all_have_places([line[f] for line in wrong for f in ("contribution", "total")], places):
        raise Redraw()
    # The texts of both passes up to line k first (a line alike reads alike): most refused draws need no more.
    correct = [line_text(line, by_name) for line in right[:k + 1]]
    shown = [text if w == r else line_text(w, by_name) for w, r, text in zip(wrong, right, correct)]
    if shown[:k] != correct[:k] or shown[k] == correct[k]:
        raise Redraw()
    for w, r in zip(wrong[k + 1:], right[k + 1:]):
        correct.append(line_text(r, by_name))
        shown.append(correct[-1] if w == r else line_text(w, by_name))
    later = next((i for i in range(k + 1, len(shown)) if shown[i] != correct[i]), None)
    target = right[k]["target"]

    def finish(by_name_):
        answers = [(ANSWERS[0], float(k + 1)), (ANSWERS[1], right[k]["total"])]
        steps = [f"line {k + 1} is the first wrong line; it should read: {correct[k]}",
                 f"so {target}.grad should be {fmt(right[k]['total'])} after it"]
        return answers, steps, (f"the number of the first wrong line, and the value the grad it updates should "
                                f"hold after that line (the {ANSWERS[1]})")

    def evaluate(nodes_, r, mistake):
        if mistake is None:
            return {ANSWERS[0]: float(k + 1), ANSWERS[1]: replay(nodes_, r, until=k)[k]["total"]}
        if mistake == "error-copied":
            return {ANSWERS[1]: replay(nodes_, r, planted=spot, until=k)[k]["total"]}
        if mistake == "later-line":
            return {ANSWERS[0]: float(later + 1)} if later is not None else None
        return {ANSWERS[1]: replay(nodes_, r, mistake, until=k)[k]["total"]}

    def lesson(answers):
        """Copying the wrong line's value is a caught mistake."""
        return any(m["name"] == "error-copied" for a in answers for m in a["mistakes"])

    listing_ = "\n".join(f"  {i + 1}. {text}" for i, text in enumerate(shown))
    intro = (
        f"A learner ran the backward pass of the graph below by hand, from {nodes[-1]['name']}.grad = 1, and "
        f"exactly one line went wrong; the lines after it may carry the error on.\n{listing_}"
    )
    for v in order:  # the graph again, as built (should a caller run its backward pass afresh)
        v.grad = 0.0
    return Draft(out, [], intro, finish=finish, evaluate=evaluate, mistakes=OWN, lesson=lesson,
                 extra={"learner_pass": shown, "planted": {"line": k + 1, "mistake": how}})
