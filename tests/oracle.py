"""Independent checks of an answer-key record: PyTorch (float64) and plain-float finite differences.

Only the graph's structure and the given leaf values are taken from the record; every data and grad
is recomputed here without our engine.
"""

import math

import torch

TORCH_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "neg": lambda a: -a,
    "tanh": torch.tanh,
    "exp": torch.exp,
    "relu": torch.relu,
    "log": torch.log,
    "sigmoid": torch.sigmoid,
}
FLOAT_OPS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "neg": lambda a: -a,
    "tanh": math.tanh,
    "exp": math.exp,
    "relu": lambda a: max(a, 0.0),
    "log": math.log,
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
}


def torch_pass(record: dict) -> dict[str, tuple[float, float]]:
    """{name: (data, grad)} from PyTorch, starting the backward pass from output_grad."""
    values = {}
    for n in record["nodes"]:
        if n["op"] is None:
            t = torch.tensor(n["data"], dtype=torch.float64, requires_grad=True)
        else:
            args = [values[i] for i in n["inputs"]]
            if n["op"] == "**":
                t = args[0] ** n["exponent"]
            else:
                t = TORCH_OPS[n["op"]](*args)
            t.retain_grad()
        values[n["name"]] = t
    out = values[record["output"]]
    out.backward(torch.tensor(record.get("output_grad", 1.0), dtype=torch.float64))
    return {
        name: (t.item(), t.grad.item() if t.grad is not None else 0.0) for name, t in values.items()
    }


def evaluate(record: dict, overrides: dict[str, float] | None = None) -> float:
    """The output's value in plain floats, with some leaves changed."""
    overrides = overrides or {}
    values = {}
    for n in record["nodes"]:
        if n["op"] is None:
            values[n["name"]] = overrides.get(n["name"], n["data"])
        elif n["op"] == "**":
            values[n["name"]] = values[n["inputs"][0]] ** n["exponent"]
        else:
            values[n["name"]] = FLOAT_OPS[n["op"]](*(values[i] for i in n["inputs"]))
    return values[record["output"]]


def central_difference(record: dict, leaf: str, h: float = 1e-6) -> float:
    """d(output)/d(leaf) times the starting gradient, estimated from both sides."""
    x = next(n["data"] for n in record["nodes"] if n["name"] == leaf)
    up = evaluate(record, {leaf: x + h})
    down = evaluate(record, {leaf: x - h})
    return (up - down) / (2 * h) * record.get("output_grad", 1.0)
