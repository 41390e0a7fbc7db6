"""`expression` and `accumulate`: random expression graphs, the second with values used more than once."""

from engine import Value

from ..record import BINARY_OPS
from .common import Draft, Redraw, below, leaves, pick

LEAF_NAMES = "abcdef"
INNER_NAMES = ["g", "h", "m", "n", "p", "q", "r", "s", "t", "u", "v", "w"]
BINARY = {
    "easy": ["+", "*", "+", "*"],
    "medium": ["+", "*", "-", "/"],
    "hard": ["+", "*", "-", "*"],
}
UNARY = {"easy": ["relu"], "medium": ["**", "neg", "**"], "hard": ["tanh", "exp", "log", "sigmoid"]}
EXPONENTS = {"medium": [2, 2, 3, -1], "hard": [2, 3, -1]}


def apply(op: str, x: Value, y: Value | None, rng, difficulty: str) -> Value:
    if op in BINARY_OPS:
        return BINARY_OPS[op](x, y)
    if op == "**":
        return x ** pick(rng, EXPONENTS[difficulty])
    if op == "neg":
        return -x
    return getattr(x, op)()


def two_of(rng, n: int) -> tuple[int, int]:
    """rng.sample(range(n), 2) for 2 <= n <= 21, drawing the same numbers (sample's pool method) without its overhead."""
    i, j = below(rng, n), below(rng, n - 1)
    return i, (n - 1 if j == i else j)


def random_graph(rng, difficulty: str, n_leaves: int, p_reuse: float, p_unary: float, must_unary: bool) -> Value:
    """Combine leaves until one output is left; every leaf reaches the output."""
    made = leaves(LEAF_NAMES[:n_leaves], rng, difficulty, low=-4, high=4)
    open_ = list(made)  # values not yet used by any op
    names = iter(INNER_NAMES)
    forced_at = below(rng, n_leaves - 1) if must_unary else -1
    unary_count, step = 0, 0
    while len(open_) > 1:
        if step == forced_at or (unary_count < 2 and rng.random() < p_unary):
            i = below(rng, len(open_))
            # the forced op of a hard graph is the lesson's tanh more often than not
            op = "tanh" if step == forced_at and difficulty == "hard" and rng.random() < 0.6 else pick(rng, UNARY[difficulty])
            new = apply(op, open_[i], None, rng, difficulty)
            unary_count += 1
        else:
            i, j = two_of(rng, len(open_))
            x, y = open_[i], open_[j]
            reuse = rng.random() < p_reuse and len(made) - n_leaves < n_leaves + 1  # keeps graphs small
            if reuse:
                y = pick(rng, made)
            new = BINARY_OPS[pick(rng, BINARY[difficulty])](x, y)  # (apply's binary case, without its call)
            if not reuse:
                open_.pop(j)
                i = i if i < j else i - 1
        step += 1
        new.label = next(names)
        open_[i] = new
        made.append(new)
    out = open_[0]
    out.label = "L"
    return out


def _used_twice(order: list[Value]) -> bool:
    """Does a value of the graph (`order`: its topo order) feed more than one op, or one op twice?"""
    uses = {}
    for v in order:
        for c in v._prev:
            uses[id(c)] = uses.get(id(c), 0) + 1
    return any(n > 1 for n in uses.values())


def build_expression(rng, difficulty: str) -> Draft:
    n = 3 + below(rng, {"easy": 5, "medium": 6, "hard": 5}[difficulty] - 2)  # rng.randint(3, 5 or 6)
    out = random_graph(
        rng, difficulty, n,
        p_reuse=0.0 if difficulty == "easy" else 0.15,
        p_unary={"easy": 0.2, "medium": 0.25, "hard": 0.2}[difficulty],
        must_unary=difficulty == "hard",
    )
    asked = list(LEAF_NAMES[:n])  # every leaf reaches the output (random_graph), in name order
    return Draft(out, asked, "Run the whole backward pass by hand.")


def build_accumulate(rng, difficulty: str) -> Draft:
    n = 2 + below(rng, 2)  # rng.randint(2, 3)
    out = random_graph(rng, difficulty, n, p_reuse=0.6, p_unary=0.15, must_unary=difficulty == "hard")
    order = out.topo()
    if not _used_twice(order):
        raise Redraw()
    asked = list(LEAF_NAMES[:n])
    return Draft(out, asked, "Some values feed more than one operation: their gradients add up (+=).", lesson=_overwrite_shows,
                 built=(order, None, None))  # (the order made here, not made again)


def _overwrite_shows(answers) -> bool:
    """An accumulate problem's answers change when a learner overwrites instead of adding."""
    return any(m["name"] == "overwrite" for a in answers for m in a["mistakes"])
