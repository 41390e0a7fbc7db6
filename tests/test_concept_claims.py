"""Concept-card claims that a single `check` block can't state: each one run on our engine and PyTorch."""

import math
import warnings

import torch

from engine import Value
from practice.anki.concepts import default_concepts_path, load_concepts

CARDS = {c["key"]: c for c in load_concepts(default_concepts_path())}


def lecture_expression(a, b, c, f):
    e = a * b
    d = e + c
    return d * f


def test_backward_twice_gives_24_here_and_12_in_pytorch():
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    L = lecture_expression(a, b, c, f)
    L.backward()
    assert a.grad == 6
    L.backward()
    assert a.grad == 24

    leaves = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0)]
    L = lecture_expression(*leaves)
    L.backward(retain_graph=True)
    L.backward()
    assert leaves[0].grad.item() == 12
    card = CARDS["pytorch-same-job"]
    assert "12" in card["extra"] and "24" in card["extra"] and "retain_graph=True" in card["extra"]


def test_pytorch_keeps_grad_on_leaves_only_and_adds_there():
    a = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    e = a * 3
    L = e * e
    L.backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns when a non-leaf's .grad is read: that is the point
        assert not e.is_leaf and e.grad is None and a.grad.item() == 36  # d(9a²)/da = 18a
    L.backward()
    assert a.grad.item() == 72
    assert "retain_grad()" in CARDS["pytorch-grads-accumulate"]["back"]


def test_the_division_rule_card_matches_the_engine():
    a, b = Value(6.0), Value(3.0)
    q = a / b
    q.backward(2.0)
    assert q._op == "/"  # an op of its own here
    assert math.isclose(a.grad, 2 / 3) and math.isclose(b.grad, -6 / 9 * 2)


def test_tanh_through_exp_agrees_exactly_but_not_digit_for_digit_when_rounded():
    from practice.grade import round_figures, work
    from practice.generate import make_problem

    n = 0.8813735870195432
    t = math.tanh(n)
    e = math.exp(2 * n)
    assert math.isclose((e - 1) / (e + 1), t, rel_tol=1e-15)
    # Some hard tanh-through-exp neuron: the rounded routes through exp and through tanh differ a little.
    for seed in range(400):
        p = make_problem("neuron", "hard", seed)
        if any(node["op"] == "exp" for node in p["nodes"]):
            break
    worked = work(p["nodes"], 1.0, round_figures)
    nodes = {x["name"]: x for x in p["nodes"]}
    direct = round_figures(1 - round_figures(math.tanh(nodes["n"]["data"]) ** 2))
    assert worked["n"][1] != direct
    assert "rounding" in CARDS["tanh-through-exp"]["back"]
