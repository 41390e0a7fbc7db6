"""Neurons, layers and multi-layer perceptrons built from Values."""

import random

from .value import Value

ACTIVATIONS = ("tanh", "relu", "linear")


class Module:
    def parameters(self):
        return []

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    def __init__(self, nin, act="tanh", rng=None):
        if act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {', '.join(ACTIVATIONS)}, got {act!r}")
        rng = rng or random.Random(0)
        self.w = [Value(rng.uniform(-1, 1), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.act = act

    def __call__(self, x):
        n = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)  # a wrong-length x is an error
        if self.act == "tanh":
            return n.tanh()
        if self.act == "relu":
            return n.relu()
        return n

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"{self.act.capitalize()}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin, nout, act="tanh", rng=None):
        rng = rng or random.Random(0)
        self.neurons = [Neuron(nin, act=act, rng=rng) for _ in range(nout)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]  # always a list, even of one

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Hidden layers use `act`; the last layer is linear so outputs are not squashed."""

    def __init__(self, nin, nouts, act="tanh", rng=None):
        rng = rng or random.Random(0)
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], act=act if i < len(nouts) - 1 else "linear", rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
