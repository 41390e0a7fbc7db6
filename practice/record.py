"""The answer key: a finished graph flattened into named nodes, with the worked chain-rule steps.

This record is the one source every exporter reads (the JSON schema in the README).
"""

from engine import Value

from .numbers import MINUS, fmt, fmt_operand

PRETTY = {"+": "+", "-": MINUS, "*": "×", "/": "/"}
BINARY_OPS = {"+": Value.__add__, "-": Value.__sub__, "*": Value.__mul__, "/": Value.__truediv__}


def literal(x: float) -> str:
    """A number as written in a program: 2, 0.5, (-3)."""
    text = repr(x).removesuffix(".0")
    return f"({text})" if x < 0 else text


def listing(names: list[str]) -> str:
    """a, b and c"""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def name_nodes(order: list[Value]) -> dict[int, str]:
    """A name for every node: its label, or k1, k2, ... for constants and t1, t2, ... for unnamed intermediates."""
    taken = {v.label for v in order if v.label}
    names, counters = {}, {"k": 0, "t": 0}
    for v in order:
        if v.label:
            if v.label in names.values():
                raise ValueError(f"two nodes are both named {v.label!r}")
            names[id(v)] = v.label
            continue
        prefix = "k" if not v._prev else "t"
        while True:
            counters[prefix] += 1
            candidate = f"{prefix}{counters[prefix]}"
            if candidate not in taken:
                break
        names[id(v)] = candidate
    return names


def node_dicts(order: list[Value], names: dict[int, str], constants: set[int]) -> list[dict]:
    out = []
    for v in order:
        node = {"name": names[id(v)], "op": v._op or None, "inputs": [names[id(c)] for c in v._prev]}
        if v._op == "**":
            k = v._exponent
            node["exponent"] = int(k) if float(k).is_integer() else float(k)
        if id(v) in constants:
            node["constant"] = True
        node["data"] = v.data
        node["grad"] = v.grad
        out.append(node)
    return out


def _power(base: str, k: float) -> str:
    exponent = fmt(k)
    return f"{base}^{exponent}" if k >= 0 else f"{base}^({exponent})"


def _negated(rule: str, g: float):
    """−g as a rule, with the sign worked out only where it is not obvious: −(−2) = 2."""
    return rule, (f"{MINUS}{fmt_operand(g)}" if fmt(g).startswith(MINUS) else None), -g


def contributions(node: dict, by_name: dict[str, dict]):
    """For each input of `node`, in order: (input name, symbolic rule, numbers substituted, value added to its grad)."""
    op, o = node["op"], node["name"]
    ins = [by_name[n] for n in node["inputs"]]
    g, od = node["grad"], node["data"]
    G = fmt_operand(g)

    def data(x):  # a constant is written as its number, a named value as name.data
        return fmt_operand(x["data"]) if x.get("constant") else f"{x['name']}.data"

    if op == "+":
        return [(x["name"], f"{o}.grad", None, g) for x in ins]
    if op == "-":
        x, y = ins
        return [(x["name"], f"{o}.grad", None, g), (y["name"], *_negated(f"{MINUS}{o}.grad", g))]
    if op == "*":
        x, y = ins
        return [
            (x["name"], f"{data(y)} × {o}.grad", f"{fmt_operand(y['data'])} × {G}", y["data"] * g),
            (y["name"], f"{data(x)} × {o}.grad", f"{fmt_operand(x['data'])} × {G}", x["data"] * g),
        ]
    if op == "/":
        x, y = ins
        xd, yd = x["data"], y["data"]
        return [
            (x["name"], f"{o}.grad / {data(y)}", f"{G} / {fmt_operand(yd)}", g / yd),
            (y["name"], f"{MINUS}{data(x)} / {data(y)}² × {o}.grad",
             f"{MINUS}{fmt_operand(xd)} / {fmt_operand(yd)}² × {G}", -xd / yd**2 * g),
        ]
    (x,) = ins
    n, xd = x["name"], x["data"]
    if op == "**":
        k = node["exponent"]
        if k == 0:  # x ** 0 is the constant 1: nothing flows back (and 0.0 ** −1 is undefined)
            return [(n, f"0 × {o}.grad", f"0 × {G}", 0.0)]
        if k == 2:
            return [(n, f"2 × {n}.data × {o}.grad", f"2 × {fmt_operand(xd)} × {G}", 2 * xd * g)]
        return [(n, f"{fmt_operand(k)} × {_power(n + '.data', k - 1)} × {o}.grad",
                 f"{fmt_operand(k)} × {_power(fmt_operand(xd), k - 1)} × {G}", k * xd ** (k - 1) * g)]
    if op == "neg":
        return [(n, *_negated(f"{MINUS}{o}.grad", g))]
    if op == "tanh":
        return [(n, f"(1 {MINUS} {o}.data²) × {o}.grad", f"(1 {MINUS} {fmt_operand(od)}²) × {G}", (1 - od**2) * g)]
    if op == "exp":
        return [(n, f"{o}.data × {o}.grad", f"{fmt_operand(od)} × {G}", od * g)]
    if op == "relu":
        local = 1.0 if xd > 0 else 0.0
        return [(n, f"(1 if {n}.data > 0 else 0) × {o}.grad", f"{fmt(local)} × {G}", local * g)]
    if op == "log":
        return [(n, f"{o}.grad / {n}.data", f"{G} / {fmt_operand(xd)}", g / xd)]
    if op == "sigmoid":
        return [(n, f"{o}.data × (1 {MINUS} {o}.data) × {o}.grad",
                 f"{fmt_operand(od)} × (1 {MINUS} {fmt_operand(od)}) × {G}", od * (1 - od) * g)]
    raise ValueError(f"unknown op {op!r}")


def worked_steps(nodes: list[dict]) -> list[str]:
    """One line per contribution, in the order the backward pass makes them (constants left out)."""
    by_name = {n["name"]: n for n in nodes}
    lines = []
    for node in reversed(nodes):
        if not node["op"]:
            continue
        for target, rule, numbers, value in contributions(node, by_name):
            if by_name[target].get("constant"):
                continue
            middle = f" = {numbers}" if numbers else ""
            lines.append(f"{target}.grad += {rule}{middle} = {fmt(value)}")
    return lines


def flatten(output: Value, output_grad: float = 1.0) -> tuple[list[dict], list[str]]:
    """Run the engine's backward pass from `output` and return (nodes in topological order, worked steps)."""
    order = output.topo()
    constants = {id(v) for v in order if not v._prev and not v.label}
    names = name_nodes(order)
    output.backward(output_grad)
    nodes = node_dicts(order, names, constants)
    return nodes, worked_steps(nodes)


def expression_text(node: dict, by_name: dict[str, dict], pretty: bool) -> str:
    """The right-hand side of `node` as a statement: `a*b` for programs, `a × b` for people."""

    def ref(name):
        n = by_name[name]
        if n.get("constant"):
            if not pretty:
                return literal(n["data"])
            text = fmt(n["data"])
            return f"({text})" if n["data"] < 0 else text
        return name

    op, ins = node["op"], [ref(n) for n in node["inputs"]]
    if op in PRETTY:
        symbol = PRETTY[op] if pretty else op
        return f"{ins[0]} {symbol} {ins[1]}" if pretty or op in "+-" else f"{ins[0]}{symbol}{ins[1]}"
    if op == "**":
        k = node["exponent"]
        if pretty:
            return f"{ins[0]}^{fmt(k)}" if k >= 0 else f"{ins[0]}^({fmt(k)})"
        return f"{ins[0]}**{k}" if k >= 0 else f"{ins[0]}**({k})"
    if op == "neg":
        return f"{MINUS if pretty else '-'}{ins[0]}"
    return f"{op}({ins[0]})"


def statements(nodes: list[dict], pretty: bool = False) -> list[str]:
    """Every op node as `name = expression`, in topological order."""
    by_name = {n["name"]: n for n in nodes}
    return [f"{n['name']} = {expression_text(n, by_name, pretty)}" for n in nodes if n["op"]]


def leaves(nodes: list[dict]) -> list[dict]:
    """The named inputs a person is given (constants are written into the statements instead)."""
    return [n for n in nodes if not n["op"] and not n.get("constant")]
