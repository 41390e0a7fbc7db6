"""The simulated learner (practice.grade's): a record's nodes replayed as a learner works them, from the given
leaves, every intermediate (forward value, local derivative, contribution, running total) rounded as the problem
says or exact, and the backward pass bent by one catalogued graph mistake or none.

`work` is the replay on any nodes; while grade assesses one draw (`remembered`), each replay of it is worked out
once, on one plan of its graph (`_plan`: index steps, not dicts per node), and a mistake's exact replay reuses
the key's local derivatives.
"""

import functools
import math
import operator

from .catalogue import catalogue


def exact(x: float) -> float:
    return x


FORWARD = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "neg": operator.neg,
    "tanh": math.tanh,
    "exp": math.exp,
    "relu": lambda a: max(a, 0.0),
    "log": math.log,
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
}

# Which op each graph mistake bends; "reuse" and "upstream" are not about one op.
GRAPH_MISTAKES = ("overwrite", "sign-slip", "wrong-operand", "tanh-forgotten", "tanh-from-input", "power-rule",
                  "division-rule", "exp-rule", "relu-rule", "log-rule", "sigmoid-rule", "upstream-forgotten")


def _locals(node: dict, xs: list[float], out: float, r, mistake: str | None) -> tuple[float, ...]:
    """The local derivative of `node` with respect to each input, as the learner works it out (rounded)."""
    y = xs[1] if len(xs) == 2 else out
    return _local(node["op"], node.get("exponent"), xs[0], y, r, mistake)


def _local(op: str, k, x: float, y: float, r, mistake: str | None) -> tuple[float, ...]:
    """_locals on numbers: a binary op's inputs x and y, or a unary op's input x and its output y; k is the
    exponent of a power."""
    if op == "+":
        return (1.0, 1.0)
    if op == "-":
        return (1.0, 1.0 if mistake == "sign-slip" else -1.0)
    if op == "*":
        return (x, y) if mistake == "wrong-operand" else (y, x)
    if op == "/":
        if mistake == "division-rule":  # the denominator's rule without the square
            return (r(1 / y), r(-x / y))
        return (r(1 / y), r(-x / r(y * y)))
    out = y
    if op == "**":
        if k == 0:
            return (0.0,)
        if mistake == "power-rule":  # the exponent not lowered
            return (r(k * x**k),)
        return (r(k * x ** (k - 1)),)
    if op == "neg":
        return (-1.0,)
    if op == "tanh":
        if mistake == "tanh-forgotten":
            return (1.0,)
        if mistake == "tanh-from-input":
            return (r(1 - r(x * x)),)
        return (r(1 - r(out * out)),)
    if op == "exp":
        return (x if mistake == "exp-rule" else out,)
    if op == "relu":
        return (1.0 if (x > 0 or mistake == "relu-rule") else 0.0,)
    if op == "log":
        return (x if mistake == "log-rule" else r(1 / x),)
    if op == "sigmoid":
        return (out if mistake == "sigmoid-rule" else r(out * r(1 - out)),)
    raise ValueError(f"unknown op {op!r}")


def work(nodes: list[dict], output_grad: float = 1.0, r=exact, mistake: str | None = None,
         data: dict[str, float] | None = None) -> dict[str, tuple[float, float]]:
    """{name: (data, grad)} as a learner finds them: the given leaves (or `data`'s values for them), every
    intermediate rounded with r, and the backward pass bent by one graph mistake (or none). Inputs that
    appear twice get two contributions, as in the engine."""
    if data is not None or _draw is None or _draw[0] is not nodes:
        plan = _plan(nodes)
        values = _forward_pass(plan, r, data)
        return plan.answer(values, _backward_pass(plan, values, output_grad, r, mistake))
    memo, key = _draw[1], ("work", output_grad, r, mistake)
    found = memo.get(key)
    if found is None:
        plan, values, grads = _replayed(output_grad, r, mistake)
        found = memo[key] = plan.answer(values, grads)
    return found


def worked_data(nodes: list[dict], r=exact) -> dict[str, float]:
    """{name: data} as a learner who rounds with r finds them: work's forward pass alone."""
    if _draw is None or _draw[0] is not nodes:
        plan = _plan(nodes)
        return dict(zip(plan.names, _forward_pass(plan, r, None)))
    memo, key = _draw[1], ("data", r)
    found = memo.get(key)
    if found is None:
        plan, values = _forwarded(r)
        found = memo[key] = dict(zip(plan.names, values))
    return found


def _replayed(output_grad: float, r, mistake: str | None) -> tuple["_plan", list[float], list[float]]:
    """(plan, values, grads) of one replay of the draw being assessed (see `remembered`), worked out once:
    a mistake bends only the backward pass, so every mistake of one rounding shares its forward pass."""
    memo, key = _draw[1], (output_grad, r, mistake)
    found = memo.get(key)
    if found is None:
        plan, values = _forwarded(r)
        locals_ = _key_locals(memo, plan, values) if r is exact else None
        if locals_:  # (a mistake's replay: the key's local derivatives, but where the mistake bends them)
            grads = _exact_backward_pass(plan, values, locals_, output_grad, mistake)
        else:
            grads = _backward_pass(plan, values, output_grad, r, mistake)
        found = memo[key] = (plan, values, grads)
    return found


def _forwarded(r) -> tuple["_plan", list[float]]:
    """(plan, forward pass with rounding r) of the draw being assessed, each worked out once."""
    memo = _draw[1]
    plan = _plan_of(_draw[0])
    values = memo.get(r)
    if values is None:
        if r is exact and plan.data_exact:  # (the engine worked these very numbers out: see _plan's data_exact)
            values = memo[r] = [n["data"] for n in _draw[0]]
        else:
            values = memo[r] = _forward_pass(plan, r, None)
    return plan, values


def _plan_of(nodes: list[dict]) -> "_plan":
    """The plan of the draw being assessed, made once (see `remembered`), or of other nodes, made anew."""
    if _draw is None or _draw[0] is not nodes:
        return _plan(nodes)
    plan = _draw[1].get("plan")
    if plan is None:
        plan = _draw[1]["plan"] = _plan(nodes)
    return plan


class _plan:
    """A record's nodes as the replays read them: node i's name and given data, and for each op node a step
    (i, op, its function, its exponent, its input indexes, x's index, y's index), x and y being what _local
    takes (a binary op's two inputs, a unary op's input and node i itself); and for `applicable`, its ops and
    whether a value gets more than one contribution (`reused`). `data_exact`: the nodes' own data are what the
    exact forward pass gives, number for number, as they are wherever the engine made them (record.node_dicts:
    every op the same float function of the same inputs), but for a σ of a negative input, which the engine
    works out as exp(x) / (1 + exp(x)) and FORWARD as 1 / (1 + exp(−x)) (the two can differ in the last bit)."""

    def __init__(self, nodes: list[dict]):
        self.index = index = {}
        names, leaves, steps, forward, used = [], [], [], [], []
        self.names, self.leaves, self.steps, self.forward, self.asked = names, leaves, steps, forward, {}
        position, forward_get = index.__getitem__, FORWARD.get
        for i, n in enumerate(nodes):  # (in topological order: a node's inputs are indexed before it)
            name, op = n["name"], n["op"]
            index[name] = i
            names.append(name)
            if op:
                inputs = n["inputs"]
                f = forward_get(op)
                if len(inputs) == 2:
                    ins = x, y = position(inputs[0]), position(inputs[1])
                    used += ins
                    steps.append((i, op, f, None, ins, x, y))
                    forward.append((i, f, x, y, 2))
                else:  # the forward pass's (i, function, x's index, y's index (a power: its exponent), arity (a power: 0))
                    x = position(inputs[0])
                    ins = (x,)
                    used.append(x)
                    k = n.get("exponent")
                    steps.append((i, op, f, k, ins, x, i))
                    forward.append((i, operator.pow, x, n["exponent"], 0) if op == "**" else (i, f, x, None, 1))
            else:
                leaves.append((i, name, n["data"]))
        self.given = given = [0.0] * len(names)  # (the forward pass's start: the leaves' data, in place)
        for i, _, data in leaves:
            given[i] = float(data)
        self.steps.reverse()  # (the backward pass's order)
        self.ops = ops = frozenset([step[1] for step in steps])
        self.data_exact = "sigmoid" not in ops or all(nodes[s[5]]["data"] >= 0 for s in steps if s[1] == "sigmoid")
        self.reused = len(set(used)) < len(used)

    def grads_asked(self, asked: list[str]) -> list[tuple[str, int]]:
        """(answer name, node index) of each asked grad, worked out once per list."""
        key = tuple(asked)
        found = self.asked.get(key)
        if found is None:
            found = self.asked[key] = [(f"{name}.grad", self.index[name]) for name in asked]
        return found

    def answer(self, values: list[float], grads: list[float]) -> dict[str, tuple[float, float]]:
        return dict(zip(self.names, zip(values, grads)))


def _forward_pass(plan: _plan, r, data: dict[str, float] | None) -> list[float]:
    if data:
        values = [0.0] * len(plan.names)
        for i, name, given in plan.leaves:
            values[i] = float(data.get(name, given))
    else:
        values = plan.given[:]
    if r is exact:
        for i, f, x, y, arity in plan.forward:
            if arity == 2:
                values[i] = f(values[x], values[y])
            elif arity == 1:
                values[i] = f(values[x])
            else:  # (a power: y is its exponent)
                values[i] = f(values[x], y)
        return values
    for i, f, x, y, arity in plan.forward:
        if arity == 2:
            values[i] = r(f(values[x], values[y]))
        elif arity == 1:
            values[i] = r(f(values[x]))
        else:
            values[i] = r(f(values[x], y))
    return values


def _backward_pass(plan: _plan, values: list[float], output_grad: float, r, mistake: str | None) -> list[float]:
    grads = [0.0] * len(values)
    grads[-1] = 1.0 if mistake == "upstream-forgotten" else float(output_grad)
    overwrite = mistake == "overwrite"
    rounded = r is not exact
    for i, op, _, k, ins, x, y in plan.steps:
        g = grads[i]
        locals_ = _local(op, k, values[x], values[y], r, mistake)
        if not rounded:  # (the same numbers, without a call per number)
            for j, local in zip(ins, locals_):
                grads[j] = local * g if overwrite else grads[j] + local * g
        elif y != i:  # (a binary op, as a unary one's y is i: its two inputs in turn, as zip gives them; a + a adds twice)
            j, j2 = ins
            a, b = locals_
            contribution = r(a * g)
            grads[j] = contribution if overwrite else r(grads[j] + contribution)
            contribution = r(b * g)
            grads[j2] = contribution if overwrite else r(grads[j2] + contribution)
        else:
            j = ins[0]
            contribution = r(locals_[0] * g)
            grads[j] = contribution if overwrite else r(grads[j] + contribution)
    return grads


def _key_locals(memo: dict, plan: _plan, values: list[float]) -> list[tuple[float, ...]] | None:
    """Each step's local derivatives as the exact pass without a mistake works them out (plan.steps' order),
    once per draw; None where one of them can't be worked out (a mistake's own rule may still be workable:
    then each replay works its own out, as _backward_pass does)."""
    found = memo.get("locals", False)
    if found is False:
        try:
            found = [_local(op, k, values[x], values[y], exact, None) for _, op, _, k, _, x, y in plan.steps]
        except (ArithmeticError, ValueError):
            found = None
        memo["locals"] = found
    return found


def _exact_backward_pass(plan: _plan, values: list[float], locals_: list[tuple[float, ...]], output_grad: float,
                         mistake: str | None) -> list[float]:
    """_backward_pass with r exact, on the key's local derivatives worked out once (`locals_`): a mistake bends
    only the steps of the op it is about (the catalogue's `applies`), and only those are worked out again."""
    grads = [0.0] * len(values)
    grads[-1] = 1.0 if mistake == "upstream-forgotten" else float(output_grad)
    bent = _bends().get(mistake)
    overwrite = mistake == "overwrite"
    for (i, op, _, k, ins, x, y), local in zip(plan.steps, locals_):
        g = grads[i]
        if op == bent:
            local = _local(op, k, values[x], values[y], exact, mistake)
        if overwrite:
            for j, d in zip(ins, local):
                grads[j] = d * g
        elif y != i:  # (a binary op, as a unary one's y is i: in turn, as zip would give them; a + a adds twice)
            j, j2 = ins
            a, b = local
            grads[j] = grads[j] + a * g
            grads[j2] = grads[j2] + b * g
        else:
            j = ins[0]
            grads[j] = grads[j] + local[0] * g
    return grads


@functools.cache
def _bends() -> dict[str, str]:
    """graph mistake -> the op whose local derivative it bends (overwrite and upstream-forgotten bend none)."""
    ops = {*FORWARD, "**"}
    return {name: applies for name, applies in _graph_mistakes_about() if applies in ops}


@functools.cache
def _graph_mistakes_about() -> tuple[tuple[str, str], ...]:
    """(name, what it applies to: the catalogue's `applies`) of each graph mistake, in GRAPH_MISTAKES' order."""
    return tuple((name, catalogue()[name].applies) for name in GRAPH_MISTAKES)


# While one draw is assessed: (its nodes, {(output_grad, r, mistake): replay, r: forward pass}); see `remembered`.
_draw: tuple[list[dict], dict] | None = None


def _assessing(nodes: list[dict]) -> dict | None:
    """The replays remembered for these nodes, if they are the draw being assessed (see `remembered`), else None."""
    return _draw[1] if _draw is not None and _draw[0] is nodes else None


class remembered:
    """While assessing one draw, `work` on these very nodes (and no other `data`) works each replay out once:
    the rounding learners' answers and node grads are the same replay, a kind's own mistakes (a step's,
    a swap's) replay the key's pass, and every mistake of one rounding shares its forward pass. The nodes
    are only read meanwhile, and so is a replay `work` hands back (every caller only reads it). An outer scope
    on the same nodes lends its replays (they depend on the nodes alone). (A class, not contextlib's decorator:
    every draw enters it twice, and a generator-based manager costs more than the rest of the scope's work.)"""

    __slots__ = ("nodes", "outer", "memo")

    def __init__(self, nodes: list[dict], memo: dict | None = None):
        self.nodes, self.memo = nodes, memo  # memo: the replays an earlier scope on these very nodes worked out

    def __enter__(self):
        global _draw
        self.outer = outer = _draw
        if outer is None or outer[0] is not self.nodes:
            _draw = (self.nodes, {} if self.memo is None else self.memo)

    def __exit__(self, exc_type, exc, traceback):
        global _draw
        _draw = self.outer


def contributions_per_node(nodes: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for n in nodes:
        for i in n["inputs"]:
            counts[i] = counts.get(i, 0) + 1
    return counts


def graph_answers(nodes: list[dict], asked: list[str], output_grad: float, r=exact, mistake=None) -> dict[str, float]:
    if _draw is None or _draw[0] is not nodes:
        worked = work(nodes, output_grad, r, mistake)
        return {f"{name}.grad": worked[name][1] for name in asked}
    plan, _, grads = _replayed(output_grad, r, mistake)  # (work's numbers, without its dict)
    return {answer: grads[i] for answer, i in plan.grads_asked(asked)}


def graph_evaluate(nodes: list[dict], asked: list[str], output_grad: float):
    """graph_answers on these nodes as assess's evaluate(r, mistake); for the draw being assessed (see `remembered`,
    and use it inside that scope), with the asked grads' places found once instead of at every replay."""
    if _draw is None or _draw[0] is not nodes:
        return functools.partial(graph_answers, nodes, asked, output_grad)
    pairs = _plan_of(nodes).grads_asked(asked)

    def evaluate(r, mistake):
        grads = _replayed(output_grad, r, mistake)[2]
        return {answer: grads[i] for answer, i in pairs}
    return evaluate
