"""Neurons, layers and multi-layer perceptrons built from Values, with micrograd's interface.

As in micrograd: `Neuron(nin, nonlin=True)`, `Layer(nin, nout, **kwargs)`, `MLP(nin, nouts)` whose last
layer is linear, and `Module.parameters()` / `Module.zero_grad()`. Unlike micrograd: a Layer always
returns a list (micrograd unwraps a one-neuron layer's output, which breaks `MLP(2, [16, 1, 1])`), the
non-linearity is chosen with `act` (tanh, as the lecture builds it, by default; relu as micrograd's
repository does), and weights come from a seeded `rng` so the same seed gives the same network.
"""

import random

from .value import Value

ACTIVATIONS = ("tanh", "relu", "linear")


class Module:
    def parameters(self):
        return []

    def zero_grad(self):
        """Set every parameter's grad back to 0: the first line of every training step."""
        for p in self.parameters():
            p.grad = 0.0


class Neuron(Module):
    """act(w1*x1 + ... + wn*xn + b). `nonlin=False` makes it linear whatever `act` says (micrograd's flag)."""

    def __init__(self, nin, nonlin=True, act="tanh", rng=None):
        if act not in ACTIVATIONS:
            raise ValueError(f"act must be one of {', '.join(ACTIVATIONS)}, got {act!r}")
        rng = rng or random.Random(0)
        self.w = [Value(rng.uniform(-1, 1), label=f"w{i + 1}") for i in range(nin)]
        self.b = Value(0.0, label="b")
        self.act = act if nonlin else "linear"
        self.nonlin = self.act != "linear"

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
        return f"{ {'tanh': 'Tanh', 'relu': 'ReLU', 'linear': 'Linear'}[self.act]}Neuron({len(self.w)})"


class Layer(Module):
    def __init__(self, nin, nout, **kwargs):
        rng = kwargs.pop("rng", None) or random.Random(0)
        self.neurons = [Neuron(nin, rng=rng, **kwargs) for _ in range(nout)]

    def __call__(self, x):
        return [n(x) for n in self.neurons]  # always a list, even of one

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self):
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Hidden layers use `act`; the last layer is linear so outputs are not squashed (as in micrograd)."""

    def __init__(self, nin, nouts, act="tanh", rng=None):
        rng = rng or random.Random(0)
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], nonlin=i != len(nouts) - 1, act=act, rng=rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x  # one output: the Value itself, as micrograd's MLP returns

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self):
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"
