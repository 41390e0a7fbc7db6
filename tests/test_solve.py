"""`solve`: the lesson's worked examples come out exactly, and the parser takes only what it should."""

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracle import central_difference, torch_pass
from practice.errors import UserError
from practice.solve import solve_program

NEURON = "x1w1 = x1*w1; x2w2 = x2*w2; x1w1x2w2 = x1w1 + x2w2; n = x1w1x2w2 + b; o = tanh(n)"
NEURON_VALUES = ["x1=2", "x2=0", "w1=-3", "w2=1", "b=6.8813735870195432"]


def by_name(record):
    return {n["name"]: n for n in record["nodes"]}


def test_lesson_expression_golden():
    r = by_name(solve_program("e = a*b; d = e + c; L = d*f", ["a=2", "b=-3", "c=10", "f=-2"]))
    assert (r["e"]["data"], r["d"]["data"], r["L"]["data"]) == (-6, 4, -8)
    grads = {k: r[k]["grad"] for k in "Lfdceab"}
    assert grads == {"L": 1, "f": 4, "d": -2, "c": -2, "e": -2, "a": 6, "b": -4}


def test_lesson_expression_as_one_line_gives_the_same_numbers():
    r = solve_program("(a*b + c)*f", ["a=2", "b=-3", "c=10", "f=-2"])
    grads = {n["name"]: n["grad"] for n in r["nodes"] if n["op"] is None}
    assert grads == {"a": 6, "b": -4, "c": -2, "f": 4}
    assert r["nodes"][-1]["data"] == -8


def test_lesson_neuron_golden():
    r = by_name(solve_program(NEURON, NEURON_VALUES))
    assert r["n"]["data"] == pytest.approx(0.8813735870195432, abs=1e-15)
    assert r["o"]["data"] == pytest.approx(0.7071067811865476, abs=1e-15)
    expected = {"o": 1, "n": 0.5, "b": 0.5, "x1w1x2w2": 0.5, "x1w1": 0.5, "x2w2": 0.5,
                "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}
    for name, grad in expected.items():
        assert r[name]["grad"] == pytest.approx(grad, abs=1e-12), name


def test_lesson_neuron_through_exp_gives_the_same_gradients():
    program = NEURON.replace("o = tanh(n)", "e = exp(2*n); o = (e - 1)/(e + 1)")
    r = by_name(solve_program(program, NEURON_VALUES))
    assert r["o"]["data"] == pytest.approx(0.7071067811865476, abs=1e-12)
    for name, grad in {"n": 0.5, "b": 0.5, "x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0}.items():
        assert r[name]["grad"] == pytest.approx(grad, abs=1e-12), name


def test_accumulation_golden():
    r = solve_program("b = a + a", ["a=3"])
    nodes = by_name(r)
    assert nodes["b"]["data"] == 6 and nodes["a"]["grad"] == 2
    assert nodes["b"]["inputs"] == ["a", "a"]
    assert r["steps"] == ["a.grad += b.grad = 1", "a.grad += b.grad = 1"]


def test_square_by_reuse_gives_two_x():
    nodes = by_name(solve_program("y = x*x", ["x=3"]))
    assert nodes["x"]["grad"] == 6 and nodes["y"]["inputs"] == ["x", "x"]


def test_worked_step_wording():
    r = solve_program("e = a*b; s = e**2", ["a=2", "b=-3"])
    assert r["steps"] == [
        "e.grad += 2 × e.data × s.grad = 2 × (−6) × 1 = −12",
        "a.grad += b.data × e.grad = (−3) × (−12) = 36",
        "b.grad += a.data × e.grad = 2 × (−12) = −24",
    ]
    assert {a["name"]: a["value"] for a in r["answers"]} == {"a.grad": 36, "b.grad": -24}


def test_every_function_and_constant_form_matches_pytorch():
    program = "u = 2 + a; v = 3 - b; w = 1 / u; z = tanh(w) + exp(v/4) + relu(a) + log(u) + sigmoid(-b) + u**-1 + (a*a)**0.5"
    r = solve_program(program, ["a=0.7", "b=1.3"])
    oracle = torch_pass(r)
    for n in r["nodes"]:
        assert math.isclose(n["grad"], oracle[n["name"]][1], rel_tol=1e-9, abs_tol=1e-12), n["name"]
    for n in r["nodes"]:
        if n["op"] is None and not n.get("constant"):
            assert math.isclose(n["grad"], central_difference(r, n["name"]), rel_tol=1e-6)


@pytest.mark.parametrize("x", ["0", "2", "-1.5"])
def test_a_zeroth_power_passes_no_grad_back(x):
    """x ** 0 is the constant 1, at x = 0 too (as in PyTorch): a worked step of 0, never a division by zero."""
    r = solve_program("y = x**0 * x + x**0", [f"x={x}"])
    oracle = torch_pass(r)
    for n in r["nodes"]:
        assert math.isclose(n["grad"], oracle[n["name"]][1], rel_tol=1e-9, abs_tol=1e-12), n["name"]
        assert math.isclose(n["data"], oracle[n["name"]][0], rel_tol=1e-9, abs_tol=1e-12), n["name"]
    assert math.isclose(by_name(r)["x"]["grad"], central_difference(r, "x"), rel_tol=1e-6)
    assert "x.grad += 0 × t1.grad = 0 × " in "\n".join(r["steps"])
    assert solve_program("0.0**0.0", [])["nodes"][-1]["data"] == 1.0


@pytest.mark.parametrize(
    "program,values,message",
    [
        ("a*b", ["a=2"], "b is not defined"),
        ("a*b", ["a=one", "b=2"], "a=one is not a number"),
        ("log(a)", ["a=-1"], "log"),
        ("a/b", ["a=1", "b=0"], "division by zero"),
        ("a**-1", ["a=0"], "0 ** -1"),
        ("__import__('os')", [], "not allowed"),
        ("a.real", ["a=1"], "attribute access"),
        ("a if a else a", ["a=1"], "not allowed"),
        ("a = 2", [], "plain number"),
        ("b = a; c = b*2", ["a=1"], "only copies"),
        ("a*b", ["a=1", "b=2", "c=3"], "c is given but not used"),
        ("x**y", ["x=2", "y=3"], "exponent after ** must be a number"),
        ("", [], "empty"),
        ("a*(b", ["a=1", "b=2"], "syntax error"),
        ("print(a)", ["a=1"], "calling print()"),
    ],
)
def test_bad_programs_get_one_clear_line(program, values, message):
    with pytest.raises(UserError) as err:
        solve_program(program, values)
    text = str(err.value)
    assert message in text and "\n" not in text


NAMES = st.sampled_from(["a", "b", "c"])
ATOMS = st.one_of(NAMES, st.integers(-5, 5).map(str), st.sampled_from(["0.5", "1.5", "-2"]))


def expressions():
    return st.recursive(
        ATOMS,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(inner, st.sampled_from(["2", "3", "-1"])).map(lambda t: f"({t[0]})**{t[1]}"),
            st.tuples(st.sampled_from(["tanh", "exp", "relu", "log", "sigmoid", "-"]), inner).map(
                lambda t: f"{t[0]}({t[1]})"
            ),
        ),
        max_leaves=8,
    )


@settings(max_examples=300, deadline=None)
@given(expressions())
def test_fuzzed_programs_match_pytorch_or_fail_cleanly(expr):
    values = ["a=0.7", "b=-1.2", "c=2.5"]
    used = [v for v in values if re.search(rf"\b{v[0]}\b", expr)]
    try:
        r = solve_program(f"out = {expr} + 0*1" if not used else expr, used)
    except UserError as exc:
        assert "\n" not in str(exc)
        return
    oracle = torch_pass(r)
    for n in r["nodes"]:
        data, grad = oracle[n["name"]]
        assert math.isclose(n["data"], data, rel_tol=1e-9, abs_tol=1e-9)
        if math.isfinite(grad):
            assert math.isclose(n["grad"], grad, rel_tol=1e-7, abs_tol=1e-9), (expr, n["name"])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_never_escapes_as_a_traceback(text):
    try:
        solve_program(text, ["a=1", "b=2"])
    except UserError as exc:
        assert "\n" not in str(exc)


def test_a_solved_program_is_graded_like_a_generated_problem():
    """solve's record carries the rounding rule, tolerances from the rounding learners and the mistakes."""
    from practice.solve import solve_program

    p = solve_program("e = a*b; d = e + c; L = d*f", ["a=2", "b=-3", "c=10", "f=-2"])
    assert p["question"] and p["rounding"].startswith("Round every number")
    answers = {a["name"]: a for a in p["answers"]}
    assert answers["a.grad"]["value"] == 6 and answers["a.grad"]["tolerance"] == 0.001
    # every product takes its own input's value: d.grad = 4, e.grad = 4, a.grad = 2 × 4 = 8
    assert [(m["name"], m["value"]) for m in answers["a.grad"]["mistakes"]] == [("wrong-operand", 8.0)]
    assert all("tolerance" in n for n in p["nodes"])


def test_a_fractional_power_prints_so_that_solve_reads_it_back():
    """Whole powers print as superscripts (a², b⁻¹); a fractional one as a^(0.5), never with a superscript point."""
    from practice.record import power_text
    from practice.solve import solve_program

    assert power_text("a", 2) == "a²" and power_text("b", -1) == "b⁻¹" and power_text("a", 0.5) == "a^(0.5)"
    p = solve_program("L = a**0.5 * a**2", ["a=4"])
    assert all("·" not in line for line in p["steps"])
    again = solve_program("L = a^(0.5) × a²", ["a=4"])
    assert again["answers"][0]["value"] == p["answers"][0]["value"]
