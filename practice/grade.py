"""Grading, one idea in one place: the working precision a problem states, the tolerance of each answer,
the catalogue of the lesson's classic mistakes with the value each one produces, and the simulated
learner that proves a tolerance fair (its replays in practice/replay.py, whose names grade lends).

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

from .catalogue import Mistake, catalogue, definitions, rounding_rule, texts, why  # noqa: F401  (grade's names too)
from .replay import (  # noqa: F401  (the simulated learner, in replay.py; its names are grade's too)
    FORWARD, GRAPH_MISTAKES, _assessing, _backward_pass, _bends, _exact_backward_pass, _forward_pass, _forwarded,
    _graph_mistakes_about, _key_locals, _local, _locals, _plan, _plan_of, _replayed, contributions_per_node, exact,
    graph_answers, graph_evaluate, remembered, work, worked_data,
)

PLACES = 4          # the stated rule: 4 decimal places ...
FIGURES = 4         # ... or 4 significant figures, at every step
SAFETY = 2.0        # a tolerance is at least this many times the worst rounding learner's error
MARGIN = 2.0        # a mistake must land at least this many tolerances from the key
SMALLEST = 0.01     # a non-zero hand-work value below this keeps under 3 significant figures at 4 decimals
FLOOR = 0.001       # the tightest tolerance
UNCHANGED = 1e-9    # relative: a "mistake" this close to the key changes nothing


# ---------------------------------------------------------------- rounding


def round_places(x: float, places: int = PLACES) -> float:
    return round(x, places) + 0.0


def round_figures(x: float, figures: int = FIGURES) -> float:
    if x and x - x == 0:  # (not 0, inf or nan: x − x is nan for those two)
        return float(f"{x:.{figures - 1}e}") + 0.0
    return x


class _Remembered(dict):
    """x -> rounding(x) for the numbers met so far, called as its __getitem__: a learner rounds the same few
    numbers over and over (a grad it has just rounded, a leaf, 1 − t²), and a number found costs no Python call.
    0 (0.0 and −0.0 are one key) and nan are worked out every time, never kept."""

    __slots__ = ("rounding",)

    def __init__(self, rounding):
        super().__init__()
        self.rounding = rounding

    def __missing__(self, x: float) -> float:
        y = self.rounding(x)
        if x and x == x and len(self) < 1 << 16:
            self[x] = y
        return y


# The simulated learners: each rounds every intermediate its way (round_places, round_figures, each remembered).
# `F_PLACES` is for the function values of a finite difference, which the problem asks to keep to more places
# (h = 0.01 magnifies their rounding).
LEARNERS = {
    "4 decimal places": _Remembered(round_places).__getitem__,
    "4 significant figures": _Remembered(round_figures).__getitem__,
}
F_PLACES = 6


# ---------------------------------------------------------------- which mistakes a graph can show


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
    small = _HAND_SIZED  # (-small < x < small is abs(x) < small, without a call per number)
    for n in nodes:
        data, grad = n["data"], n["grad"]
        if (-small < data < small and data != 0) or (-small < grad < small and grad != 0):  # (not hand_sized)
            raise Unfair(f"{n['name']} is too small to round")
    plan, values = _plan_of(nodes), [n["data"] for n in nodes]
    # the local derivatives on the nodes' data: the key's (worked out once for its mistakes too) where the exact
    # forward pass gives the same numbers, as it does but for a σ of a negative input, now and then
    memo = _assessing(nodes)
    exact_values = _forwarded(exact)[1] if memo is not None else None
    found = _key_locals(memo, plan, exact_values) if exact_values == values else None
    if found is None:
        found = [_local(op, k, values[x], values[y], exact, None) for _, op, _, k, _, x, y in plan.steps]
    for step, locals_ in zip(reversed(plan.steps), reversed(found)):  # (in the nodes' order)
        i = step[0]
        grad = nodes[i]["grad"]
        for local in locals_:
            contribution = local * grad
            if (-small < local < small and local != 0) or (-small < contribution < small and contribution != 0):
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
        worst = [e if (e := abs(learner - key)) > w else w  # (max(w, e), without a call per node)
                 for w, learner, key in zip(worst, grads, node_keys)]
    node_tolerances = {n["name"]: _tolerance(key, w)
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
