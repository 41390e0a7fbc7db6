"""The checks: small programs drawn from a seed (and the generator's own problems), each with its key.

A program is a list of steps `(name, op, args)`: `("a", "leaf", [2.5])` makes a Value, `("t", "*", ["a", 2])`
multiplies (an arg is a node's name or a plain number; a number first, `2 * a`, is the reversed form), and
`("t", "tanh", ["a"])` calls a method. The last step is the output: backward() is called on it. The key is
this tool's engine (engine/, itself tested against PyTorch): every named node's data and grad.
"""

import math
import random
from dataclasses import dataclass, field

from engine import Value

BINARY = ("+", "-", "*", "/")
REVERSED = ("r+", "r-", "r*", "r/")
UNARY = ("tanh", "exp", "relu", "sigmoid", "log")
OPS = BINARY + ("**", "neg") + REVERSED + UNARY
# What the learner's class must define for each op (the op's own method; where its line is looked for).
METHODS = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__", "**": "__pow__", "neg": "__neg__",
           "r+": "__radd__", "r-": "__rsub__", "r*": "__rmul__", "r/": "__rtruediv__",
           **{f: f for f in UNARY}}
# Checks about the graph as a whole, after the ops (the "op" of such a check).
FEATURES = ("backward", "shared", "lesson", "generated", "deep", "fresh", "nn")
DEEP = 2000
SHOWN = 12  # steps of a program shown in full


@dataclass
class Check:
    name: str
    op: str                       # an op of OPS or a feature of FEATURES
    programs: list                # each a list of steps; backward is called on each program's last step, in turn
    needs: set = field(default_factory=set)   # the ops it uses
    expected: dict = field(default_factory=dict)  # name -> (data, grad), for the last program
    id: int = 0
    nn: str | None = None         # for a Neuron/Layer/MLP check: which ("neuron", "layer", "mlp")

    @property
    def program(self) -> list:
        return self.programs[-1]


def op_key(op: str, args: list) -> str:
    """The op a step uses: a binary op with a plain number first is the reversed form (2 * a is r*)."""
    if op in BINARY and not isinstance(args[0], str):
        return "r" + op
    return op


def ops_of(steps: list) -> set:
    return {op_key(op, args) for _, op, args in steps if op != "leaf"}


def evaluate(steps: list, cls=Value) -> dict:
    """Run a program on the tool's engine (or a class with the same interface): {name: (data, grad)}."""
    env = {}
    for name, op, args in steps:
        env[name] = apply(cls, env, op, args)
    env[steps[-1][0]].backward()
    return {name: (v.data, v.grad) for name, v in env.items()}


def apply(cls, env, op, args):
    if op == "leaf":
        return cls(args[0])
    xs = [env[a] if isinstance(a, str) else a for a in args]
    if op == "+":
        return xs[0] + xs[1]
    if op == "-":
        return xs[0] - xs[1]
    if op == "*":
        return xs[0] * xs[1]
    if op == "/":
        return xs[0] / xs[1]
    if op == "**":
        return xs[0] ** xs[1]
    if op == "neg":
        return -xs[0]
    return getattr(xs[0], op)()


def expression(steps: list) -> str:
    """The program as a learner would type it: t = a * 2; L = t.tanh()"""
    def arg(a):
        return a if isinstance(a, str) else (repr(a).removesuffix(".0") if float(a).is_integer() else repr(a))

    lines = []
    for name, op, args in steps:
        if op == "leaf":
            continue
        xs = [arg(a) for a in args]
        if op in BINARY or op == "**":
            rhs = f"{xs[0]} {op} {xs[1]}"
        elif op == "neg":
            rhs = f"-{xs[0]}"
        else:
            rhs = f"{xs[0]}.{op}()"
        lines.append(f"{name} = {rhs}")
    if len(lines) > SHOWN:  # a long chain: its start and its end
        lines = lines[:3] + [f"... ({len(lines) - 4} more)"] + lines[-1:]
    return "; ".join(lines)


def inputs(steps: list) -> dict:
    leaves = {name: args[0] for name, op, args in steps if op == "leaf"}
    if len(leaves) > SHOWN:
        names = list(leaves)
        leaves = {n: leaves[n] for n in names[:3] + names[-1:]}
    return leaves


# ---------------------------------------------------------------- drawing the checks


def _number(rng: random.Random, low=0.5, high=3.0, positive=False) -> float:
    x = round(rng.uniform(low, high), 2)
    return x if positive or rng.random() < 0.5 else -x


def _leaf(name, x):
    return (name, "leaf", [x])


def _op_checks(op: str, rng: random.Random) -> list[Check]:
    """One op alone (with Values, with a number), with an upstream gradient not 1, and used twice."""
    a, b, c = _number(rng), _number(rng), _number(rng)
    k = rng.choice([2, 3, -2, 0.5, 4])
    out = []

    def add(name, steps):
        out.append(Check(name, op, [steps]))

    if op in BINARY:
        if op == "/":
            b = _number(rng, 1.0, 3.0)
        add(f"a {op} b", [_leaf("a", a), _leaf("b", b), ("t", op, ["a", "b"])])
        add(f"a {op} a number", [_leaf("a", a), ("t", op, ["a", k])])
        add(f"a {op} b, gradient from above", [_leaf("a", a), _leaf("b", b), _leaf("c", c), ("t", op, ["a", "b"]),
                                               ("L", "*", ["t", "c"])])
        add(f"a {op} a (one value used twice)", [_leaf("a", a), ("t", op, ["a", "a"])])
        add(f"a {op} b, a used again", [_leaf("a", a), _leaf("b", b), ("t", op, ["a", "b"]), ("L", "+", ["t", "a"])])
        add(f"a {op} b, b used again", [_leaf("a", a), _leaf("b", b), ("t", op, ["a", "b"]), ("L", "+", ["t", "b"])])
    elif op in REVERSED:
        plain = op[1:]
        if plain == "/":
            a = _number(rng, 1.0, 3.0)
        add(f"a number {plain} a", [_leaf("a", a), ("t", plain, [k, "a"])])
        add(f"a number {plain} a, gradient from above", [_leaf("a", a), _leaf("c", c), ("t", plain, [k, "a"]),
                                                         ("L", "*", ["t", "c"])])
    elif op == "**":
        p = abs(a)
        add("a ** 2", [_leaf("a", a), ("t", "**", ["a", 2])])
        add("a ** 3", [_leaf("a", a), ("t", "**", ["a", 3])])
        add("a ** -1", [_leaf("a", a), ("t", "**", ["a", -1])])
        add("a ** 0.5", [_leaf("a", p), ("t", "**", ["a", 0.5])])
        add("a ** 3, gradient from above", [_leaf("a", a), _leaf("c", c), ("t", "**", ["a", 3]), ("L", "*", ["t", "c"])])
        add("a ** 2, a used again", [_leaf("a", a), ("t", "**", ["a", 2]), ("L", "+", ["t", "a"])])
    else:  # neg and the functions
        if op == "log":
            a, b = abs(a), abs(b) + 0.25
        if op == "exp" or op == "tanh" or op == "sigmoid":
            a, b = a / 2, b / 2
        call = "-a" if op == "neg" else f"a.{op}()"
        add(call, [_leaf("a", a), ("t", op, ["a"])])
        if op == "relu":  # both sides of the kink
            add(f"{call} with a {'below' if a > 0 else 'above'} 0", [_leaf("a", -a), ("t", op, ["a"])])
        add(f"{call}, gradient from above", [_leaf("a", b), _leaf("c", c), ("t", op, ["a"]), ("L", "*", ["t", "c"])])
        add(f"{call}, a used again", [_leaf("a", a), ("t", op, ["a"]), ("L", "+", ["t", "a"])])
    return out


LESSON = [_leaf("a", 2.0), _leaf("b", -3.0), _leaf("c", 10.0), _leaf("f", -2.0), ("e", "*", ["a", "b"]),
          ("d", "+", ["e", "c"]), ("L", "*", ["d", "f"])]
NEURON = [_leaf("x1", 2.0), _leaf("x2", 0.0), _leaf("w1", -3.0), _leaf("w2", 1.0), _leaf("b", 6.8813735870195432),
          ("x1w1", "*", ["x1", "w1"]), ("x2w2", "*", ["x2", "w2"]), ("x1w1x2w2", "+", ["x1w1", "x2w2"]),
          ("n", "+", ["x1w1x2w2", "b"])]
NEURON_TANH = NEURON + [("o", "tanh", ["n"])]
NEURON_EXP = NEURON + [("n2", "*", [2, "n"]), ("e", "exp", ["n2"]), ("em", "-", ["e", 1]), ("ep", "+", ["e", 1]),
                       ("o", "/", ["em", "ep"])]


def _from_record(record: dict) -> list:
    """A generated problem's graph as a program: its constants become plain numbers in the steps."""
    by_name = {n["name"]: n for n in record["nodes"]}
    steps = []
    for n in record["nodes"]:
        if not n["op"]:
            if not n.get("constant"):
                steps.append(_leaf(n["name"], n["data"]))
            continue
        args = [by_name[i]["data"] if by_name[i].get("constant") else i for i in n["inputs"]]
        args = [int(a) if isinstance(a, float) and a.is_integer() else a for a in args]
        if n["op"] == "**":
            args = [args[0], n["exponent"]]
        steps.append((n["name"], n["op"], args))
    return steps


def _graph_checks(rng: random.Random, seed: int) -> list[Check]:
    a, b, c, d = (_number(rng) for _ in range(4))
    out = [
        Check("backward() seeds the output's grad with 1", "backward",
              [[_leaf("a", a), _leaf("b", b), ("L", "*", ["a", "b"])]]),
        Check("a value reaching the output by two paths", "shared",
              [[_leaf("a", a), _leaf("b", b), _leaf("c", c), ("u", "*", ["a", "b"]), ("v", "*", ["a", "c"]),
                ("L", "+", ["u", "v"])]]),
        Check("an interior node used twice", "shared",
              [[_leaf("a", a), _leaf("b", b), _leaf("c", c), ("t", "*", ["a", "b"]), ("u", "*", ["t", "c"]),
                ("v", "*", ["t", "c"]), ("L", "+", ["u", "v"])]]),
        Check("an interior node used by two different nodes", "shared",
              [[_leaf("a", a), _leaf("b", b), _leaf("c", c), _leaf("d", d), ("t", "*", ["a", "b"]),
                ("u", "*", ["t", "c"]), ("v", "*", ["t", "d"]), ("L", "+", ["u", "v"])]]),
        Check("the lesson's L = (a*b + c)*f", "lesson", [LESSON]),
        Check("the lesson's tanh neuron", "lesson", [NEURON_TANH]),
        Check("the lesson's neuron with tanh written through exp", "lesson", [NEURON_EXP]),
    ]
    from practice.generate import derive_seed, make_problem  # the generator's own problems, from the same seed

    for i, (kind, difficulty) in enumerate((("expression", "medium"), ("accumulate", "medium"), ("neuron", "hard"),
                                            ("expression", "hard"))):
        record = make_problem(kind, difficulty, derive_seed("check", seed, i, kind))
        out.append(Check(f"a generated {kind} problem", "generated", [_from_record(record)]))
    # A chain DEEP operations long: a topological sort that recurses must still finish (and is no mistake).
    chain = [_leaf("x0", round(rng.uniform(-1, 1), 2))]
    for i in range(1, DEEP + 1):
        chain += [_leaf(f"c{i}", round(rng.uniform(-0.01, 0.01), 4)), (f"x{i}", "+", [f"x{i - 1}", f"c{i}"])]
    out.append(Check(f"a chain {DEEP} operations deep", "deep", [chain]))
    first = [_leaf("a", a), _leaf("b", b), _leaf("c", c), ("t", "*", ["a", "b"]), ("L", "+", ["t", "c"])]
    second = [_leaf("a", b), _leaf("b", c), _leaf("c", d), ("t", "*", ["a", "b"]), ("L", "+", ["t", "c"])]
    out.append(Check("backward() on a second, fresh graph", "fresh", [first, second]))
    return out


def draw(seed: int, offered=None) -> list[Check]:
    """Every check from `seed`, each with its key. `offered` (a set of ops) marks nothing here: the caller
    reports a check whose `needs` are not all offered as not offered."""
    rng = random.Random(f"backprop-practice.check:{seed}")
    checks = []
    for op in OPS:
        checks += _op_checks(op, rng)
    checks += _graph_checks(rng, seed)
    for i, check in enumerate(checks):
        check.id = i
        check.needs = set().union(*(ops_of(p) for p in check.programs))
        for program in check.programs[:-1]:
            evaluate(program)
        check.expected = evaluate(check.program)
        assert all(math.isfinite(v) for pair in check.expected.values() for v in pair)
    return checks
