"""Grading, one idea in one place: the working precision a problem states, the tolerance of each answer,
the catalogue of the lesson's classic mistakes with the value each one produces, and the simulated
learner that proves a tolerance fair.

A learner works from the given leaves, rounding every intermediate (each forward value, local
derivative, contribution and running total) as the problem says. `work` replays that on a record's
nodes, exactly or rounded, and with one catalogued mistake or none. `assess` decides, for a drawn
problem, each answer's tolerance (wide enough for every rounding learner, with room to spare) and
the mistakes it must reject (each at least MARGIN tolerances away from the key); when a mistake can't
be told apart, or a hand-work value is too small to round fairly, the draw is refused and generation
redraws. Every exporter reads the results from the record; none recomputes them.

The texts a learner reads (the rounding rule, what each mistake means) are in templates/grading/.
"""

import functools
import itertools
import math
import operator
from dataclasses import dataclass
from pathlib import Path

import yaml

from .resources import templates_dir

PLACES = 4          # the stated rule: 4 decimal places ...
FIGURES = 4         # ... or 4 significant figures, at every step
SAFETY = 2.0        # a tolerance is at least this many times the worst rounding learner's error
MARGIN = 2.0        # a mistake must land at least this many tolerances from the key
SMALLEST = 0.01     # a non-zero hand-work value below this keeps under 3 significant figures at 4 decimals
FLOOR = 0.001       # the tightest tolerance
UNCHANGED = 1e-9    # relative: a "mistake" this close to the key changes nothing


# ---------------------------------------------------------------- rounding


# A learner rounds the same few numbers over and over (a grad it has just rounded, a leaf, 1 − t²): each
# rounding is worked out once.
@functools.lru_cache(maxsize=1 << 16)
def round_places(x: float, places: int = PLACES) -> float:
    return round(x, places) + 0.0


def round_figures(x: float, figures: int = FIGURES) -> float:
    found = _FIGURED.get(x) if figures == FIGURES else None  # (a dict: cheaper than lru_cache's key per call)
    if found is not None:
        return found
    if x and x - x == 0:  # (not 0, inf or nan: x − x is nan for those two; so the dict never holds them, and
        found = float(f"{x:.{figures - 1}e}") + 0.0  # 0.0 and −0.0, one key there, stay apart)
        if figures == FIGURES and len(_FIGURED) < 1 << 16:
            _FIGURED[x] = found
        return found
    return x


_FIGURED: dict[float, float] = {}  # x -> round_figures(x), each worked out once


def exact(x: float) -> float:
    return x


# The simulated learners: each rounds every intermediate its way. `f_places` is for the function values of
# a finite difference, which the problem asks to keep to more places (h = 0.01 magnifies their rounding).
LEARNERS = {
    "4 decimal places": round_places,
    "4 significant figures": round_figures,
}
F_PLACES = 6


# ---------------------------------------------------------------- the catalogue


@dataclass(frozen=True)
class Mistake:
    name: str
    why: str      # one line in the learner's terms; {answer} is the answer's name, {param} its parameter
    applies: str  # what the mistake is about: an op ("*", "tanh", ...), "reuse", "upstream" or a kind's step


@functools.cache
def _texts() -> dict:
    """Every YAML file in templates/grading/, merged section by section (`rounding`, `definitions`, `mistakes`)."""
    merged: dict[str, dict] = {}
    for path in sorted(Path(templates_dir(), "grading").glob("*.yaml")):
        for section, entries in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            merged.setdefault(section, {}).update(entries or {})
    return merged


def texts(section: str) -> dict:
    return _texts().get(section, {})


@functools.cache
def catalogue() -> dict[str, Mistake]:
    """name -> Mistake, in the order the catalogue lists them."""
    return {name: Mistake(name, entry["why"].strip(), entry["applies"]) for name, entry in texts("mistakes").items()}


@functools.cache
def rounding_rule(kind: str) -> str:
    """The sentence that tells a learner how to round, for a kind (or the default)."""
    texts_ = texts("rounding")
    return " ".join(texts_.get(kind, texts_["default"]).split())


@functools.cache
def definitions() -> dict[str, str]:
    """op -> the sentence a question adds when the op appears (log's base, σ's formula)."""
    return {op: " ".join(text.split()) for op, text in texts("definitions").items()}


@functools.lru_cache(maxsize=1 << 12)  # the same few (mistake, answer) pairs in every problem
def why(name: str, answer: str) -> str:
    param = answer.rsplit(".", 1)[0]
    return catalogue()[name].why.format(answer=answer, param=param)


# ---------------------------------------------------------------- the simulated learner


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
    whether a value gets more than one contribution (`reused`)."""

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
        self.steps.reverse()  # (the backward pass's order)
        self.ops = frozenset(step[1] for step in steps)
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
    values = [0.0] * len(plan.names)
    for i, name, given in plan.leaves:
        values[i] = float(data.get(name, given) if data else given)
    rounded = r is not exact
    for i, f, x, y, arity in plan.forward:
        if arity == 2:
            v = f(values[x], values[y])
        elif arity == 1:
            v = f(values[x])
        else:  # (a power: y is its exponent)
            v = f(values[x], y)
        values[i] = r(v) if rounded else v
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
        elif len(ins) == 2:  # (a binary op: its two inputs in turn, as zip would give them; a + a adds twice)
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
        elif len(ins) == 2:  # (in turn, as zip would give them: a + a adds twice)
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


# While one draw is assessed: (its nodes, {(output_grad, r, mistake): replay, r: forward pass}); see `remembered`.
_draw: tuple[list[dict], dict] | None = None


class remembered:
    """While assessing one draw, `work` on these very nodes (and no other `data`) works each replay out once:
    the rounding learners' answers and node grads are the same replay, a kind's own mistakes (a step's,
    a swap's) replay the key's pass, and every mistake of one rounding shares its forward pass. The nodes
    are only read meanwhile, and so is a replay `work` hands back (every caller only reads it). An outer scope
    on the same nodes lends its replays (they depend on the nodes alone). (A class, not contextlib's decorator:
    every draw enters it twice, and a generator-based manager costs more than the rest of the scope's work.)"""

    __slots__ = ("nodes", "outer")

    def __init__(self, nodes: list[dict]):
        self.nodes = nodes

    def __enter__(self):
        global _draw
        self.outer = outer = _draw
        _draw = outer if outer is not None and outer[0] is self.nodes else (self.nodes, {})

    def __exit__(self, *exc):
        global _draw
        _draw = self.outer


def contributions_per_node(nodes: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for n in nodes:
        for i in n["inputs"]:
            counts[i] = counts.get(i, 0) + 1
    return counts


def applicable(nodes: list[dict], output_grad: float) -> list[str]:
    """The graph mistakes that can change something in this graph: an op's slip where the op appears (the
    catalogue's `applies`), overwriting where a value gets more than one contribution, the upstream
    gradient left out where it is not 1."""
    plan = _plan_of(nodes)
    return list(_applicable(plan.ops, plan.reused, output_grad != 1))


@functools.lru_cache(maxsize=1 << 10)  # (a few hundred sets of ops at most)
def _applicable(ops: frozenset, reused: bool, upstream: bool) -> tuple[str, ...]:
    about = {"reuse": reused, "upstream": upstream}
    return tuple(name for name, applies in _graph_mistakes_about() if about.get(applies, applies in ops))


@functools.cache
def _graph_mistakes_about() -> tuple[tuple[str, str], ...]:
    """(name, what it applies to) of each graph mistake, in GRAPH_MISTAKES' order."""
    return tuple((name, catalogue()[name].applies) for name in GRAPH_MISTAKES)


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


# ---------------------------------------------------------------- assessing a draw


class Unfair(Exception):
    """This draw can't be graded fairly: redraw."""


_HAND_SIZED = SMALLEST * (1 - 1e-9)


def hand_sized(x: float) -> bool:
    """0, or big enough that 4 decimal places keep 3 significant figures."""
    return x == 0 or abs(x) >= _HAND_SIZED


def _round_up(x: float) -> float:
    """x rounded up to 2 significant figures (a tolerance a person can read)."""
    if x <= 0:
        return x
    return _round_up_positive(x)


@functools.lru_cache(maxsize=1 << 12)  # most tolerances are the floor: one rounding, remembered
def _round_up_positive(x: float) -> float:
    e = math.floor(math.log10(x)) - 1
    step = 10.0**e
    return round(math.ceil(x / step - 1e-9) * step, 12)


def tolerance_from(key: float, errors: list[float]) -> float:
    return _tolerance(key, max(errors, default=0.0))


def _tolerance(key: float, worst: float) -> float:
    """max(FLOOR, SAFETY × worst, 0.0001 × |key|) rounded up (FLOOR's rounding worked out once)."""
    spread, relative = SAFETY * worst, 0.0001 * abs(key)
    if spread <= FLOOR and relative <= FLOOR:
        return _FLOOR_ROUNDED
    return _round_up_positive(spread if spread >= relative else relative)


_FLOOR_ROUNDED = _round_up_positive(FLOOR)


def check_hand_work(nodes: list[dict]) -> None:
    """Every value a learner writes (data, grad, local derivative, contribution) is 0 or hand-sized."""
    small = _HAND_SIZED
    for n in nodes:
        data, grad = n["data"], n["grad"]
        if (abs(data) < small and data != 0) or (abs(grad) < small and grad != 0):  # (not hand_sized)
            raise Unfair(f"{n['name']} is too small to round")
    plan, values = _plan_of(nodes), [n["data"] for n in nodes]
    # the local derivatives on the nodes' data: the key's (worked out once for its mistakes too) where the exact
    # forward pass gives the same numbers, as it does but for a σ of a negative input, now and then
    exact_values = _forwarded(exact)[1] if _draw is not None and _draw[0] is nodes else None
    found = _key_locals(_draw[1], plan, exact_values) if exact_values == values else None
    if found is None:
        found = [_local(op, k, values[x], values[y], exact, None) for _, op, _, k, _, x, y in plan.steps]
    for step, locals_ in zip(reversed(plan.steps), reversed(found)):  # (in the nodes' order)
        i = step[0]
        grad = nodes[i]["grad"]
        for local in locals_:
            contribution = local * grad
            if (abs(local) < small and local != 0) or (abs(contribution) < small and contribution != 0):
                raise Unfair(f"a contribution of {nodes[i]['name']} is too small to round")


def _replays(replay, strict: bool, numbers=None) -> list:
    """What each rounding learner gets. A learner whose rounding makes a number 0 and then divides by it
    can't work the problem: a generated problem is redrawn; a learner's own program (not strict) is graded
    from the learners who can, or from the key alone. `numbers(result)`: the numbers of a result (_numbers')."""
    numbers = numbers or _numbers
    out = []
    for r in LEARNERS.values():
        try:
            result = replay(r)
        except (ArithmeticError, ValueError):
            if strict:
                raise Unfair("rounding as stated makes the problem unworkable") from None
            continue
        if math.isfinite(sum(numbers(result))) or all(map(math.isfinite, numbers(result))):  # (a finite sum: all are)
            out.append(result)
        elif strict:
            raise Unfair("rounding as stated makes a number overflow")
    return out


def _numbers(result: dict):
    """The numbers of a replay: {name: value} (an evaluate's answers) or {name: (data, grad)} (work's)."""
    values = result.values()
    return itertools.chain.from_iterable(values) if values and isinstance(next(iter(values)), tuple) else values


def _both(values_grads: tuple[list[float], list[float]]):
    """The numbers of a replay's (values, grads)."""
    return itertools.chain(*values_grads)


def assess(nodes: list[dict], answers: list[tuple[str, float]], output_grad: float, evaluate, mistakes: list[str],
           strict: bool = True) -> tuple[list[dict], dict[str, float]]:
    """The record's answers (with tolerance and mistakes) and each non-constant node's grad tolerance.

    `evaluate(r, mistake)` -> {answer name: value} (or None where the mistake does not apply) is how a learner
    who rounds with r and makes `mistake` answers. With `strict`, a mistake that lands within MARGIN
    tolerances of the key raises Unfair (generation redraws); without it (a learner's own program in
    `solve`), such a mistake is just left out of the answer's list.
    """
    keys = dict(answers)
    if strict and not all(map(hand_sized, keys.values())):
        raise Unfair("an answer is too small to round")
    with remembered(nodes):
        return _assess(nodes, keys, answers, output_grad, evaluate, mistakes, strict)


def _assess(nodes, keys, answers, output_grad, evaluate, mistakes, strict):
    """assess, with each replay of the draw worked out once."""
    learned = _replays(lambda r: evaluate(r, None), strict)
    tolerances = {name: tolerance_from(key, [abs(w[name] - key) for w in learned]) for name, key in keys.items()}
    worked = _replays(lambda r: _replayed(output_grad, r, None)[1:], strict, _both)  # (values, grads) of each
    node_keys = [n["grad"] for n in nodes]
    worst = [0.0] * len(nodes)  # each node's largest error over the learners (as tolerance_from's max)
    for _, grads in worked:
        worst = [max(w, abs(learner - key)) for w, learner, key in zip(worst, grads, node_keys)]
    node_tolerances = {n["name"]: _FLOOR_ROUNDED if SAFETY * w <= FLOOR and 0.0001 * abs(key) <= FLOOR
                       else _tolerance(key, w)  # (_tolerance's floor case inline: most nodes' tolerance)
                       for n, key, w in zip(nodes, node_keys, worst) if not n.get("constant")}
    found: dict[str, list[dict]] = {name: [] for name in keys}
    # each answer's (name, key, the largest change that is no change, the closest a caught mistake may land)
    bounds = [(name, key, UNCHANGED * max(1.0, abs(key)), MARGIN * tolerances[name]) for name, key in keys.items()]
    isfinite = math.isfinite
    for mistake in mistakes:
        try:
            values = evaluate(exact, mistake)
        except (ArithmeticError, ValueError):  # the mistaken rule divides by 0 or overflows here: no number to catch
            continue
        if values is None:
            continue
        for name, key, unchanged, closest in bounds:
            v = values.get(name)
            if v is None or not isfinite(v):
                continue
            gap = abs(v - key)
            if gap <= unchanged:
                continue
            if gap <= closest:
                if strict:
                    raise Unfair(f"{mistake} gives {name} = {v}, too close to {key}")
                continue
            earlier = found[name]
            if earlier and _among(v, earlier, tolerances[name]):
                continue  # the same wrong number as an earlier mistake: one explanation is enough
            earlier.append({"name": mistake, "value": v, "why": why(mistake, name)})
    records = [{"name": name, "value": key, "tolerance": tolerances[name], "mistakes": found[name]} for name, key in answers]
    return records, node_tolerances


def never_caught(value: float, key: float) -> bool:
    """Is a mistake's `value` one that assess (strict) can't list as a caught mistake of the answer `key`, whatever
    the tolerance? Unchanged (left out), or within MARGIN of the tightest tolerance (Unfair: the draw is refused).
    A kind whose lesson needs that mistake caught may refuse such a draw before it is graded."""
    gap = abs(value - key)
    return gap <= MARGIN * FLOOR or gap <= UNCHANGED * max(1.0, abs(key))  # (every tolerance is at least FLOOR)


def _among(v: float, found: list[dict], tolerance: float) -> bool:
    """Is v within tolerance of a mistake already found?"""
    for m in found:
        if abs(m["value"] - v) <= tolerance:
            return True
    return False


def accepts(answer: dict, value: float) -> bool:
    """Would the key mark `value` right for this answer?"""
    return abs(value - answer["value"]) <= answer["tolerance"]
