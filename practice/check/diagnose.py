"""Why a check failed: replay the catalogued mistakes on its example and name the one that gives exactly
the learner's numbers.

The replay is an engine with one mistake in one op. Its local derivatives, and the slips in them (sign
slip, wrong operand, tanh from its input, the power rule, ...), are practice.grade's, the very replay
that grades hand work; the mistakes only code makes (a missing _backward, a topological sort without a
visited set, a reversed op with its operands swapped, an unseeded output) are added here. Where the order
in which a learner's backward() visits nodes could change the numbers (overwriting, a sort without a
visited set), every order an engine could take is tried.
"""

import functools
import math
import re

from .. import grade
from .checks import BINARY, METHODS, OPS, REVERSED, op_key

LOCAL_RULES = tuple(m for m in grade.GRAPH_MISTAKES if m not in ("overwrite", "upstream-forgotten"))
SAME = 1e-9  # relative: the replay gives exactly the learner's numbers
MAX_UNVISITED = 40  # steps: a sort without a visited set grows exponentially on bigger graphs


@functools.cache
def mistakes() -> dict:
    return grade.texts("code_mistakes")


def applies(name: str, op: str) -> bool:
    where = mistakes()[name]["applies"]
    if where == "op":
        return op in OPS
    if where == "graph":
        return False
    return op in where


class _Stop(Exception):
    pass


def _build(steps: list, mistake, target):
    nodes, order = {}, []
    constants = 0
    for name, op, args in steps:
        if op == "leaf":
            nodes[name] = {"name": name, "op": None, "inputs": [], "data": float(args[0]), "key": None}
            order.append(name)
            continue
        key = op_key(op, args)
        names = []
        for a in (args[:1] if op == "**" else args):
            if isinstance(a, str):
                names.append(a)
            else:
                constants += 1
                const = f"#{constants}"
                nodes[const] = {"name": const, "op": None, "inputs": [], "data": float(a), "key": None}
                names.append(const)
        if mistake == "swapped-reversed" and key == target:
            names = names[::-1]
        node = {"name": name, "op": op, "inputs": names, "key": key}
        xs = [nodes[n]["data"] for n in names]
        if op == "**":
            node["exponent"] = args[1]
            data = xs[0] ** args[1]
        else:
            data = grade.FORWARD[op](*xs)
        if isinstance(data, complex) or not math.isfinite(data):
            raise _Stop
        node["data"] = float(data)
        nodes[name] = node
        order.append(name)
    return nodes, order[-1]


def _topo(nodes, out, visited, dedup, reverse):
    """The order a recursive topological sort gives (each node after its inputs), without recursing."""
    order, seen = [], set()
    stack = [(out, False)]
    while stack:
        name, done = stack.pop()
        if done:
            order.append(name)
            continue
        if visited:
            if name in seen:
                continue
            seen.add(name)
        children = nodes[name]["inputs"]
        if dedup:
            children = list(dict.fromkeys(children))
        children = list(reversed(children)) if reverse else list(children)
        stack.append((name, True))
        stack.extend((child, False) for child in reversed(children))
    return order


def replay(steps: list, mistake=None, target=None, visited=True, dedup=False, reverse=False) -> dict | None:
    """{name: (data, grad)} of the named nodes, as an engine with `mistake` in op `target` computes them."""
    try:
        nodes, out = _build(steps, mistake, target)
        grads = {name: 0.0 for name in nodes}
        grads[out] = 0.0 if mistake == "unseeded" else 1.0
        for name in reversed(_topo(nodes, out, visited, dedup, reverse)):
            node = nodes[name]
            if not node["op"] or (mistake == "missing-backward" and node["key"] == target):
                continue
            mine = node["key"] == target
            rule = mistake if mine and mistake in LOCAL_RULES else None
            xs = [nodes[i]["data"] for i in node["inputs"]]
            g = grads[name]
            for child, local in zip(node["inputs"], grade._locals(node, xs, node["data"], grade.exact, rule)):
                contribution = local if (mine and mistake == "upstream-forgotten") else local * g
                if mine and mistake == "overwrite":
                    grads[child] = contribution
                else:
                    grads[child] += contribution
    except (_Stop, ArithmeticError, ValueError, RecursionError):
        return None
    return {name: (nodes[name]["data"], grads[name]) for name, _, _ in steps}


def _orders(mistake) -> list:
    if mistake == "no-visited":
        return [(False, dedup, reverse) for dedup in (False, True) for reverse in (False, True)]
    return [(True, False, False), (True, False, True)]


def _same(a, b) -> bool:
    try:
        return abs(float(a) - float(b)) <= SAME * max(1.0, abs(float(b)))
    except (TypeError, ValueError):
        return False


def candidates(check_op: str, needs: set) -> list[tuple[str, str | None]]:
    """(mistake, op it sits in) worth replaying on a check of `check_op` that uses `needs`."""
    ops = [check_op] if check_op in OPS else sorted(needs, key=OPS.index)
    out = [(name, op) for op in ops for name in mistakes() if applies(name, op) and name != "unlifted-numbers"]
    return out + [(name, None) for name, entry in mistakes().items() if entry["applies"] == "graph"]


def explain(check, got: dict, pairs: list | None = None) -> tuple[str, str] | None:
    """(mistake, op it sits in) whose replay on the check's example (its last graph) gives exactly `got`, or
    None. `pairs` narrows the (mistake, op) pairs tried."""
    if check.op == "nn":
        return None
    for name, op in (candidates(check.op, check.needs) if pairs is None else pairs):
        if name == "no-visited" and len(check.program) > MAX_UNVISITED:
            continue
        for visited, dedup, reverse in _orders(name):
            replayed = replay(check.program, name, op, visited, dedup, reverse)
            if replayed and all(n in got and _same(got[n][0], d) and _same(got[n][1], g) for n, (d, g) in replayed.items()):
                return name, op
    return None


NUMBER_ERROR = re.compile(r"'(int|float)' object has no attribute|unsupported operand type\(s\) for .*: '(\w+)' and '(int|float)'"
                          r"|can only concatenate|must be real number, not \w+")


def explain_error(check, error: str, error_type: str) -> tuple[str, str] | None:
    """An error a catalogued mistake explains: a plain number the class never wrapped."""
    if not check.programs:
        return None
    uses_number = any(not isinstance(a, str) for _, op, args in check.program if op in BINARY for a in args)
    if uses_number and error_type in ("AttributeError", "TypeError") and NUMBER_ERROR.search(error):
        ops = [check.op] if check.op in OPS else sorted(check.needs, key=OPS.index)
        return "unlifted-numbers", ops[0]
    return None


# ---------------------------------------------------------------- the learner's words and lines


def shown_op(op: str | None) -> str:
    if op is None:
        return "backward()"
    if op in BINARY:
        return f"a {op} b"
    if op in REVERSED:
        return f"2 {op[1:]} a"
    return {"**": "a ** k", "neg": "-a"}.get(op, f"a.{op}()")


def texts(name: str, op: str | None, api: dict) -> dict:
    entry = mistakes()[name]
    fill = {"method": f"`{METHODS.get(op, api.get('backward', 'backward'))}`" if op else f"`{api.get('backward', 'backward')}`",
            "op": shown_op(op), "grad": api.get("grad", "grad"), "backward": api.get("backward", "backward")}
    return {"why": " ".join(entry["why"].format(**fill).split()), "fix": " ".join(entry["fix"].format(**fill).split())}


def line(name: str, op: str | None, api: dict) -> str | None:
    """"engine.py line 23: self.grad = other.data * out.grad": the learner's line the mistake sits in."""
    source = (api.get("sources") or {}).get(op if op else "backward")
    if not source:
        return None
    filename, lines = source[0], source[1:]
    grad = re.escape(api.get("grad", "grad"))
    pattern = mistakes()[name].get("line")
    tries = [pattern.replace("{grad}", grad)] if pattern else []
    if op is not None and name != "missing-backward":
        tries.append(rf"\.{grad}\s*\+?=")
    for regex in tries:
        for number, text in lines[1:]:
            if re.search(regex, text) and not text.strip().startswith("#"):
                return f"{filename} line {number}: {text.strip()}"
    number, text = lines[0]
    return f"{filename} line {number}: {text.strip()}"
