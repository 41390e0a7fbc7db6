"""A scalar that remembers how it was made, so gradients can flow back through it."""

import math
from math import isfinite


class DomainError(ValueError):
    """An op was asked for a value outside its domain (log of 0, division by 0, ...)."""


def _leaf_backward():
    """A leaf's backward: nothing to pass on."""


class Value:
    __slots__ = ("data", "grad", "label", "_backward", "_prev", "_op", "_exponent")

    def __init__(self, data, label="", _children=(), _op=""):  # (ops pass these by position: it is quicker)
        self.data = data = float(data)
        if not isfinite(data):  # never a silent inf or nan
            where = f"{_op}: the result" if _op else "a Value"
            raise DomainError(f"{where} is not a finite number ({data})")
        self.grad = 0.0
        self.label = label
        self._backward = _leaf_backward
        self._prev = _children if type(_children) is tuple else tuple(_children)  # in order, repeats kept: a + a has (a, a)
        self._op = _op
        self._exponent = None  # only for **

    def __repr__(self):
        name = f"{self.label}: " if self.label else ""
        return f"Value({name}data={self.data:g}, grad={self.grad:g})"

    @staticmethod
    def _lift(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, "", (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __sub__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data - other.data, "", (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad += -out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, "", (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __truediv__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        if other.data == 0:
            raise DomainError(f"/: division by zero ({self.data:g} / 0)")
        out = Value(self.data / other.data, "", (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += -self.data / other.data / other.data * out.grad  # other.data**2 can underflow to 0
        out._backward = _backward
        return out

    def __pow__(self, k):
        if isinstance(k, bool) or not isinstance(k, (int, float)):
            raise TypeError("** takes an int or float exponent")
        x = self.data
        if x == 0 and k < 0:
            raise DomainError(f"**: 0 ** {k:g} divides by zero")
        if x < 0 and k != int(k):
            raise DomainError(f"**: {x:g} ** {k:g} is not a real number")
        if x == 0 and k < 1 and k != 0:
            raise DomainError(f"**: the derivative of x ** {k:g} at 0 is infinite")
        try:
            y = x**k
        except OverflowError:
            raise DomainError(f"**: {x:g} ** {k:g} is too large for a float") from None
        out = Value(y, "", (self,), "**")
        out._exponent = k

        def _backward():
            if k != 0:  # x ** 0 is constant; 0.0 ** -1 would raise
                self.grad += k * x ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def __neg__(self):
        out = Value(-self.data, "", (self,), "neg")

        def _backward():
            self.grad += -out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, "", (self,), "tanh")

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise DomainError(f"exp: exp({self.data:g}) is too large for a float") from None
        out = Value(e, "", (self,), "exp")

        def _backward():
            self.grad += e * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), "", (self,), "relu")

        def _backward():
            self.grad += (1.0 if self.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def log(self):
        if self.data <= 0:
            raise DomainError(f"log: input must be positive, got {self.data:g}")
        out = Value(math.log(self.data), "", (self,), "log")

        def _backward():
            self.grad += out.grad / self.data
        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        out = Value(s, "", (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):  # 2 + a
        return Value._lift(other) + self

    def __rsub__(self, other):  # 3 - a
        return Value._lift(other) - self

    def __rmul__(self, other):  # 2 * a
        return Value._lift(other) * self

    def __rtruediv__(self, other):  # 1 / a
        return Value._lift(other) / self

    def topo(self):
        """Every node of the graph ending here, each after all of its inputs (iterative, so deep graphs are fine)."""
        order, seen = [], {self}
        stack = [self]
        push, pop, add, emit = stack.append, stack.pop, seen.add, order.append
        while stack:
            for child in stack[-1]._prev:  # the first input not yet placed: place it (a leaf at once) or go into it
                if child not in seen:
                    add(child)
                    if child._prev:
                        push(child)
                        break
                    emit(child)
            else:  # every input placed: the node itself
                emit(pop())
        return order

    def backward(self, grad=1.0):
        """Seed this node's grad and pass gradients back in reverse topological order, adding with +=."""
        order = self.topo()
        self.grad = float(grad)
        for node in reversed(order):
            node._backward()
