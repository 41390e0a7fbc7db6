"""The key for a learner's Neuron, Layer and MLP: rebuilt from their own parameters with this tool's engine.

A learner's weights are random, so the key is made after the fact: from the parameters their model
reports (micrograd's order: each neuron's weights, then its bias; layer by layer), for each activation
a layer could have (tanh, relu or none), the one whose forward pass gives the learner's output is theirs,
and the gradients it gives are the key.
"""

import itertools

from engine import Value

X = [2.0, 3.0, -1.0]           # the lesson's input
SIZES = {"neuron": [1], "layer": [2], "mlp": [4, 4, 1]}
ACTS = ("tanh", "linear", "relu")  # linear before relu: on a positive output the two agree
TOL = 1e-6


def _act(v: Value, act: str) -> Value:
    return v.tanh() if act == "tanh" else v.relu() if act == "relu" else v


def count(what: str) -> int:
    sizes, nin, total = SIZES[what], len(X), 0
    for n in sizes:
        total += n * (nin + 1)
        nin = n
    return total


def forward(params: list, what: str, acts) -> tuple[list, list]:
    """(outputs, parameter Values) for the model with these parameter values and activations per layer."""
    values = [Value(p) for p in params]
    it = iter(values)
    x = [Value(v) for v in X]
    for n, act in zip(SIZES[what], acts):
        layer = []
        for _ in range(n):
            w = [next(it) for _ in x]
            b = next(it)
            s = b
            for wi, xi in zip(w, x):
                s = s + wi * xi
            layer.append(_act(s, act))
        x = layer
    return x, values


def _close(a, b) -> bool:
    return isinstance(a, (int, float)) and isinstance(b, (int, float)) and abs(a - b) <= TOL * max(1.0, abs(b))


def judge(what: str, got: dict) -> tuple[str, dict | None, dict | None, str | None]:
    """(status, expected, got, why) for the learner's model, from what the child reported."""
    params, outs = got["params"], got["outs"]
    wanted = count(what)
    if len(params) != wanted:
        return "fail", {"len(parameters())": wanted}, {"len(parameters())": len(params)}, \
            f"parameters() should list {wanted} values (each neuron's weights, then its bias)"
    layers = len(SIZES[what])
    for acts in itertools.product(ACTS, repeat=layers):
        outputs, values = forward(params, what, acts)
        if len(outputs) == len(outs) and all(_close(o, v.data) for o, v in zip(outs, outputs)):
            break
    else:
        outputs, _ = forward(params, what, ("tanh",) * layers)
        expected = {f"out{i + 1}.data": v.data for i, v in enumerate(outputs)}
        shown = {f"out{i + 1}.data": v for i, v in enumerate(outs)}
        return "fail", expected, shown, ("the forward pass is none of tanh(w·x + b), relu(w·x + b) or w·x + b "
                                         "for the parameters that parameters() lists")
    if "grads" not in got:
        return "pass", None, None, f"activations: {', '.join(acts)}"
    outputs[0].backward()
    for i, (v, g) in enumerate(zip(values, got["grads"])):
        if not _close(g, v.grad):
            return "fail", {f"parameters()[{i}].grad": v.grad}, {f"parameters()[{i}].grad": g}, \
                f"after backward() the grad of parameter {i} is wrong (activations: {', '.join(acts)})"
    zeroed = got.get("zeroed")
    if zeroed is not None and any(z != 0 for z in zeroed):
        i = next(i for i, z in enumerate(zeroed) if z != 0)
        return "fail", {f"parameters()[{i}].grad": 0.0}, {f"parameters()[{i}].grad": zeroed[i]}, \
            "zero_grad() leaves a parameter's grad as it was"
    return "pass", None, None, f"activations: {', '.join(acts)}" + ("" if zeroed is not None else "; no zero_grad()")
