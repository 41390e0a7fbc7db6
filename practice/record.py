"""The answer key: a finished graph flattened into named nodes, with the worked chain-rule steps.

This record is the one source every exporter reads (the JSON schema in the README).
"""

import functools
import operator
import re

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


def node_dicts(order: list[Value]) -> list[dict]:
    """A graph's record nodes, in `order` (topological): each with its name (its label, or k1, k2, ... for constants
    and t1, t2, ... for unnamed intermediates), op, inputs, data and grad; an unnamed leaf is a constant.
    (Named and flattened in one pass: every draw that passes its forward check is flattened.)"""
    out, names, labels = [], {}, set()
    taken = None  # (every label: made at the first node without one, as most graphs name every node)
    counters = {"k": 0, "t": 0}
    for v in order:
        label, op = v.label, v._op
        if label:
            if label in labels:
                raise ValueError(f"two nodes are both named {label!r}")
            labels.add(label)
            name = label
        else:
            if taken is None:
                taken = {u.label for u in order if u.label}
            prefix = "k" if not v._prev else "t"
            while True:
                counters[prefix] += 1
                name = f"{prefix}{counters[prefix]}"
                if name not in taken:
                    break
        names[id(v)] = name
        # (each node's keys in the record's order: name, op, inputs, constant or exponent, data, grad)
        if op == "**":
            k = v._exponent
            out.append({"name": name, "op": op, "inputs": [names[id(v._prev[0])]],
                        "exponent": int(k) if float(k).is_integer() else float(k), "data": v.data, "grad": v.grad})
        elif op:
            out.append({"name": name, "op": op, "inputs": [*map(names.__getitem__, map(id, v._prev))],
                        "data": v.data, "grad": v.grad})
        elif not label and not v._prev:
            out.append({"name": name, "op": None, "inputs": [], "constant": True, "data": v.data, "grad": v.grad})
        else:
            out.append({"name": name, "op": None, "inputs": [], "data": v.data, "grad": v.grad})
    return out


SUPERSCRIPT = str.maketrans("0123456789\u2212", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


_POWER = re.compile(r"\*\*\(?(-?[0-9.]+)\)?")


def pretty_program(text: str) -> str:
    """A program's expression in the notation people read: x**3 - (-2)*x -> x³ − (−2) × x, sigmoid -> σ."""
    text = _POWER.sub(lambda m: power_text("", float(m.group(1))), text)
    return text.replace("*", " × ").replace("-", MINUS).replace("sigmoid", "σ")


def power_text(base: str, k: float) -> str:
    """base², base³, base⁻¹: whole exponents as superscripts, one notation for people everywhere; a
    fractional one as base^(0.5) (a superscript point would read as a product, · being ×)."""
    return f"{base}{fmt(k).translate(SUPERSCRIPT)}" if float(k).is_integer() else f"{base}^({fmt(k)})"


class Shown:
    """A worked step's numbers: a template with {} for each operand, the operands, and how they combine.

    `text()` prints the operands with as many decimals as it takes (4 at least) for the printed operands
    to give the printed result at the printed precision, and never prints a non-zero operand as 0.
    """

    def __init__(self, template: str, operands: tuple, combine, value: float, places: int = 4):
        self.template, self.operands, self.combine, self.value, self.places = template, operands, combine, value, places

    def text(self) -> str:
        value = self.value
        for places in range(self.places, 11):
            shown, read, vanished = [], [], False
            for x in self.operands:
                text, number = _operand(x, places)
                shown.append(text)
                read.append(number)
                vanished = vanished or (number == 0 and x != 0)
            if vanished:
                continue
            try:
                result = self.combine(*read)
                if result == value or _prints_alike(result, value):
                    break  # (equal numbers print alike: most steps need no rounding to tell)
            except (ZeroDivisionError, OverflowError, ValueError):
                continue
        return self.template.format(*shown)


def _prints_alike(x: float, value: float) -> bool:
    """fmt(x) == fmt(value), without the texts below a billion (there the two print alike exactly when they
    round alike to 4 places)."""
    rounded = round(value, 4)
    if abs(rounded) < 1e9:
        return round(x, 4) == rounded
    return fmt(x) == fmt(value)


@functools.lru_cache(maxsize=1 << 16)
def _operand(x: float, places: int) -> tuple[str, float]:
    """An operand as a worked step prints it, and the number a reader reads back from that."""
    text = fmt_operand(x, places)
    return text, float(text.strip("()").replace(MINUS, "-"))


def _negated(rule: str, g: float):
    """−g as a rule, with the sign worked out only where it is not obvious: −(−2) = 2."""
    return rule, (Shown(f"{MINUS}{{}}", (g,), lambda a: -a, -g) if fmt(g).startswith(MINUS) else None), -g


def contributions(node: dict, by_name: dict[str, dict]):
    """For each input of `node`, in order: (input name, symbolic rule, numbers substituted (a Shown or None),
    value added to its grad)."""
    op, o, inputs = node["op"], node["name"], node["inputs"]
    g, od = node["grad"], node["data"]
    if op == "+":
        rule = f"{o}.grad"
        return [(name, rule, None, g) for name in inputs]
    if op == "-":
        return [(inputs[0], f"{o}.grad", None, g), (inputs[1], *_negated(f"{MINUS}{o}.grad", g))]
    if len(inputs) == 2:
        x, y = by_name[inputs[0]], by_name[inputs[1]]
    else:
        x = by_name[inputs[0]]
    data = _data_ref
    if op == "*":
        xg, yg = x["data"] * g, y["data"] * g
        return [
            (x["name"], f"{data(y)} × {o}.grad", Shown("{} × {}", (y["data"], g), operator.mul, yg), yg),
            (y["name"], f"{data(x)} × {o}.grad", Shown("{} × {}", (x["data"], g), operator.mul, xg), xg),
        ]
    if op == "/":
        xd, yd = x["data"], y["data"]
        return [
            (x["name"], f"{o}.grad / {data(y)}", Shown("{} / {}", (g, yd), operator.truediv, g / yd), g / yd),
            (y["name"], f"{MINUS}{data(x)} / {data(y)}² × {o}.grad",
             Shown(f"{MINUS}{{}} / {{}}² × {{}}", (xd, yd, g), lambda a, b, c: -a / b / b * c, -xd / yd / yd * g),
             -xd / yd / yd * g),  # as the engine computes it: yd**2 alone can overflow or underflow
        ]
    n, xd = x["name"], x["data"]
    if op == "**":
        k = node["exponent"]
        if k == 0:  # x ** 0 is the constant 1: nothing flows back (and 0.0 ** −1 is undefined)
            return [(n, f"0 × {o}.grad", Shown("0 × {}", (g,), lambda a: 0.0, 0.0), 0.0)]
        if k == 2:
            return [(n, f"2 × {n}.data × {o}.grad", Shown("2 × {} × {}", (xd, g), lambda a, b: 2 * a * b, 2 * xd * g), 2 * xd * g)]
        value = k * xd ** (k - 1) * g
        return [(n, f"{fmt_operand(k)} × {power_text(n + '.data', k - 1)} × {o}.grad",
                 Shown(f"{fmt_operand(k)} × {power_text('{}', k - 1)} × {{}}", (xd, g), lambda a, b: k * a ** (k - 1) * b, value), value)]
    if op == "neg":
        return [(n, *_negated(f"{MINUS}{o}.grad", g))]
    if op == "tanh":
        return [(n, f"(1 {MINUS} {o}.data²) × {o}.grad",
                 Shown(f"(1 {MINUS} {{}}²) × {{}}", (od, g), lambda a, b: (1 - a**2) * b, (1 - od**2) * g), (1 - od**2) * g)]
    if op == "exp":
        return [(n, f"{o}.data × {o}.grad", Shown("{} × {}", (od, g), operator.mul, od * g), od * g)]
    if op == "relu":
        local = 1.0 if xd > 0 else 0.0
        return [(n, f"(1 if {n}.data > 0 else 0) × {o}.grad", Shown(f"{fmt(local)} × {{}}", (g,), lambda b: local * b, local * g), local * g)]
    if op == "log":
        return [(n, f"{o}.grad / {n}.data", Shown("{} / {}", (g, xd), operator.truediv, g / xd), g / xd)]
    if op == "sigmoid":
        value = od * (1 - od) * g
        return [(n, f"{o}.data × (1 {MINUS} {o}.data) × {o}.grad",
                 Shown(f"{{}} × (1 {MINUS} {{}}) × {{}}", (od, od, g), lambda a, b, c: a * (1 - b) * c, value), value)]
    raise ValueError(f"unknown op {op!r}")


def _data_ref(x: dict) -> str:
    """An input's data in a rule: a constant is written as its number, a named value as name.data."""
    return fmt_operand(x["data"]) if x.get("constant") else f"{x['name']}.data"


def step_line(target: str, rule: str, numbers, value: float) -> str:
    """`target += rule = numbers = value`, the numbers printed so that they give the printed value."""
    middle = f" = {numbers.text()}" if numbers else ""
    return f"{target} += {rule}{middle} = {fmt(value)}"


def worked_steps(nodes: list[dict], by_name: dict[str, dict] | None = None) -> list[str]:
    """One line per contribution, in the order the backward pass makes them (constants left out). `by_name`:
    the nodes by name, if already made."""
    by_name = by_name or {n["name"]: n for n in nodes}
    lines = []
    for node in reversed(nodes):
        if not node["op"]:
            continue
        for target, rule, numbers, value in contributions(node, by_name):
            if by_name[target].get("constant"):
                continue
            lines.append(step_line(f"{target}.grad", rule, numbers, value))
    return lines


def flatten(output: Value, output_grad: float = 1.0) -> tuple[list[dict], list[str]]:
    """Run the engine's backward pass from `output` and return (nodes in topological order, worked steps)."""
    nodes = backward_nodes(output, output_grad)
    return nodes, worked_steps(nodes)


def backward_nodes(output: Value, output_grad: float = 1.0, order: list[Value] | None = None) -> list[dict]:
    """flatten without the worked steps: for a draw that may yet be refused (the steps are written once it is
    kept; they read only the nodes' names, ops, data and grads). `order`: output.topo(), if already made."""
    order = order or output.topo()
    output.grad = float(output_grad)  # output.backward(output_grad), on the order already made
    for v in reversed(order):
        if v._prev:  # (a leaf's backward does nothing)
            v._backward()
    return node_dicts(order)


def _refs(n: dict) -> tuple[str, str]:
    """An input as a statement writes it, (in a program, for people): its name, or a constant's number."""
    if not n.get("constant"):
        return n["name"], n["name"]
    text = fmt(n["data"])
    return literal(n["data"]), f"({text})" if n["data"] < 0 else text


def expression_texts(node: dict, by_name: dict[str, dict]) -> tuple[str, str]:
    """The right-hand side of `node` as a statement, (`a*b` for programs, `a × b` for people): both at once, as
    every problem writes both."""
    op, inputs = node["op"], node["inputs"]
    a, pa = _refs(by_name[inputs[0]])
    if op in PRETTY:
        b, pb = _refs(by_name[inputs[1]])
        return f"{a} {op} {b}" if op in "+-" else f"{a}{op}{b}", f"{pa} {PRETTY[op]} {pb}"
    if op == "**":
        k = node["exponent"]
        return f"{a}**{k}" if k >= 0 else f"{a}**({k})", power_text(pa, k)
    if op == "neg":
        return f"-{a}", f"{MINUS}{pa}"
    return f"{op}({a})", f"σ({pa})" if op == "sigmoid" else f"{op}({pa})"


def expression_text(node: dict, by_name: dict[str, dict], pretty: bool) -> str:
    """The right-hand side of `node` as a statement: `a*b` for programs, `a × b` for people."""
    return expression_texts(node, by_name)[pretty]


def statements(nodes: list[dict], pretty: bool = False, by_name: dict[str, dict] | None = None) -> list[str]:
    """Every op node as `name = expression`, in topological order. `by_name`: the nodes by name, if already made."""
    return both_statements(nodes, by_name or {n["name"]: n for n in nodes})[pretty]


def both_statements(nodes: list[dict], by_name: dict[str, dict]) -> tuple[list[str], list[str]]:
    """(statements(nodes), statements(nodes, pretty=True)), written in one pass."""
    program, people = [], []
    for n in nodes:
        if n["op"]:
            text, pretty = expression_texts(n, by_name)
            program.append(f"{n['name']} = {text}")
            people.append(f"{n['name']} = {pretty}")
    return program, people


def leaves(nodes: list[dict]) -> list[dict]:
    """The named inputs a person is given (constants are written into the statements instead)."""
    return [n for n in nodes if not n["op"] and not n.get("constant")]
