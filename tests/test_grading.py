"""Grading like a teacher, tested by simulation over many generated problems.

Everything here works from the records' nodes and fields, never from their text, and none of it calls
practice.grade: the rounding learners and the mistakes are written again here, independently, so a
slip in the grading module can't hide behind itself.
- Careful learners who round every intermediate (forward values, local derivatives, contributions,
  running totals) to 4 decimal places or 4 significant figures land within every asked answer's tolerance.
- Every catalogued mistake that changes an answer lands outside its tolerance, and each kind tests its
  own lesson (overwrite in accumulate, no update and the wrong way in step, estimate vs exact in numeric).
- Every printed step line recomputes from the operands it prints; no problem is degenerate.
"""

import ast
import math
import operator
import re

import pytest

from oracle import evaluate
from practice.generate import derive_seed, make_problem
from practice.kinds import DIFFICULTIES
from practice.numbers import MINUS

PER_CELL = 200
GRAPH_KINDS = ("local", "expression", "neuron", "accumulate", "loss", "step", "numeric")
CELLS = [(k, d) for k in GRAPH_KINDS for d in DIFFICULTIES]


@pytest.fixture(scope="module")
def problems():
    return {(k, d): [make_problem(k, d, derive_seed("grading", k, d, i)) for i in range(PER_CELL)] for k, d in CELLS}


# ---------------------------------------------------------------- learners, written again


def places4(x):
    return round(x, 4)


def figures4(x):
    return x if x == 0 else round(x, 3 - math.floor(math.log10(abs(x))))


def calculator(x):  # keeps everything: the key itself
    return x


FLOAT = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "neg": operator.neg,
    "tanh": math.tanh, "exp": math.exp, "relu": lambda a: max(a, 0.0), "log": math.log,
    "sigmoid": lambda a: 1 / (1 + math.exp(-a)),
}


def local_derivatives(op, node, xs, out, R, bend=None):
    """d out / d input for each input, as a learner writes it down (rounded), or bent by one mistake."""
    if op == "+":
        return [1, 1]
    if op == "-":
        return [1, 1 if bend == "sign-slip" else -1]
    if op == "*":
        return [xs[0], xs[1]] if bend == "wrong-operand" else [xs[1], xs[0]]
    if op == "/":
        a, b = xs
        return [R(1 / b), R(-a / b) if bend == "division-rule" else R(-a / R(b * b))]
    x = xs[0]
    if op == "**":
        k = node["exponent"]
        return [R(k * x**k) if bend == "power-rule" else R(k * x ** (k - 1))]
    if op == "neg":
        return [-1]
    if op == "tanh":
        if bend == "tanh-forgotten":
            return [1]
        return [R(1 - R(x**2))] if bend == "tanh-from-input" else [R(1 - R(out**2))]
    if op == "exp":
        return [x] if bend == "exp-rule" else [out]
    if op == "relu":
        return [1 if x > 0 or bend == "relu-rule" else 0]
    if op == "log":
        return [x] if bend == "log-rule" else [R(1 / x)]
    if op == "sigmoid":
        return [out] if bend == "sigmoid-rule" else [R(out * R(1 - out))]
    raise AssertionError(op)


def replay(record, R, bend=None, leaves=None):
    """(data, grad) by name: a learner's forward and backward pass from the record's given leaves."""
    data = {}
    for n in record["nodes"]:
        if n["op"] is None:
            data[n["name"]] = (leaves or {}).get(n["name"], n["data"])
        elif n["op"] == "**":
            data[n["name"]] = R(data[n["inputs"][0]] ** n["exponent"])
        else:
            data[n["name"]] = R(FLOAT[n["op"]](*[data[i] for i in n["inputs"]]))
    grad = dict.fromkeys(data, 0.0)
    grad[record["output"]] = 1.0 if bend == "upstream-forgotten" else record.get("output_grad", 1.0)
    for n in reversed(record["nodes"]):
        if n["op"] is None:
            continue
        xs = [data[i] for i in n["inputs"]]
        for name, local in zip(n["inputs"], local_derivatives(n["op"], n, xs, data[n["name"]], R, bend)):
            piece = R(local * grad[n["name"]])
            grad[name] = piece if bend == "overwrite" else R(grad[name] + piece)
    return data, grad


def learner_answers(record, R, bend=None):
    """What a learner answers for each asked name, under rounding R and one mistake (or none)."""
    data, grad = replay(record, R, None if bend in STEP_BENDS + NUMERIC_BENDS else bend)
    out = {}
    for a in record["answers"]:
        name, _, field = a["name"].rpartition(".")
        if field == "grad":
            out[a["name"]] = grad[name]
        elif field == "new":
            lr, p, g = record["learning_rate"], data[name], grad[name]
            out[a["name"]] = {
                "no-update": p, "wrong-direction": R(p + R(lr * g)), "lr-forgotten": R(p - g),
            }.get(bend, R(p - R(lr * g)))
        else:  # the forward difference, f values kept to 6 places as the numeric kind states
            h, x = record["h"], next(n["data"] for n in record["nodes"] if n["name"] == "x")
            f0, f1 = evaluate(record), evaluate(record, {"x": round(x + h, 10)})
            if R is not calculator:
                f0, f1 = round(f0, 6), round(f1, 6)
            out[a["name"]] = R((f1 - f0) / h)
    if bend == "exact-as-estimate":
        out = {"estimate": grad["x"]}
    if bend == "estimate-as-exact":
        out = {"x.grad": out["estimate"]}
    return out


STEP_BENDS = ["no-update", "wrong-direction", "lr-forgotten"]
NUMERIC_BENDS = ["exact-as-estimate", "estimate-as-exact"]
GRAPH_BENDS = ["overwrite", "sign-slip", "wrong-operand", "tanh-forgotten", "tanh-from-input", "power-rule",
               "division-rule", "exp-rule", "relu-rule", "log-rule", "sigmoid-rule", "upstream-forgotten"]


def bends_for(record):
    return GRAPH_BENDS + (STEP_BENDS if record["kind"] == "step" else []) + (NUMERIC_BENDS if record["kind"] == "numeric" else [])


# ---------------------------------------------------------------- careful learners pass


@pytest.mark.parametrize("kind,difficulty", CELLS)
@pytest.mark.parametrize("rounding", [places4, figures4], ids=["4 decimal places", "4 significant figures"])
def test_a_careful_rounding_learner_is_marked_right(problems, kind, difficulty, rounding):
    wrong = []
    for p in problems[kind, difficulty]:
        got = learner_answers(p, rounding)
        for a in p["answers"]:
            if abs(got[a["name"]] - a["value"]) > a["tolerance"]:
                wrong.append((p["id"], a["name"], got[a["name"]], a["value"], a["tolerance"]))
    assert not wrong, f"{len(wrong)} right answers marked wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_the_key_grades_itself_right_and_states_the_rounding(problems, kind, difficulty):
    for p in problems[kind, difficulty]:
        got = learner_answers(p, calculator)
        assert p["question"].endswith(p["rounding"]) and "4 decimal places" in p["rounding"]
        for a in p["answers"]:
            assert math.isclose(got[a["name"]], a["value"], rel_tol=1e-9, abs_tol=1e-9), (p["id"], a["name"])


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_whole_pass_boxes_are_fair_too(problems, kind, difficulty):
    """Each non-constant node's grad tolerance takes both rounding learners and never accepts 0 for a non-zero grad."""
    for p in problems[kind, difficulty]:
        learned = [replay(p, R)[1] for R in (places4, figures4)]
        for n in p["nodes"]:
            if n.get("constant"):
                assert "tolerance" not in n
                continue
            assert all(abs(g[n["name"]] - n["grad"]) <= n["tolerance"] for g in learned), (p["id"], n["name"])
            assert n["grad"] == 0 or abs(n["grad"]) > 2 * n["tolerance"], (p["id"], n["name"])


# ---------------------------------------------------------------- mistakes fail


def changed_answers(record):
    """(answer, mistake, the value that mistake gives) for every catalogued mistake that changes an answer."""
    for bend in bends_for(record):
        try:
            got = learner_answers(record, calculator, bend)
        except (ZeroDivisionError, ValueError, OverflowError):
            continue
        for a in record["answers"]:
            v = got.get(a["name"])
            if v is None or not math.isfinite(v) or math.isclose(v, a["value"], rel_tol=1e-9, abs_tol=1e-9):
                continue  # this mistake doesn't change this answer
            yield a, bend, v


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_every_catalogued_mistake_is_marked_wrong(problems, kind, difficulty):
    passed, caught = [], 0
    for p in problems[kind, difficulty]:
        for a, bend, v in changed_answers(p):
            caught += 1
            if abs(v - a["value"]) <= a["tolerance"]:
                passed.append((p["id"], a["name"], bend, v, a["value"], a["tolerance"]))
    assert caught > PER_CELL / 2
    assert not passed, f"{len(passed)} mistakes marked right, e.g. {passed[:3]}"


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_the_record_lists_the_mistakes_with_their_values(problems, kind, difficulty):
    """Each listed mistake is what that mistake gives (recomputed here), outside the tolerance, distinct."""
    for p in problems[kind, difficulty]:
        for a in p["answers"]:
            values = []
            for m in a["mistakes"]:
                assert set(m) == {"name", "value", "why"} and m["why"].strip()
                expected = learner_answers(p, calculator, m["name"])[a["name"]]
                assert math.isclose(m["value"], expected, rel_tol=1e-9, abs_tol=1e-9), (p["id"], a["name"], m)
                assert abs(m["value"] - a["value"]) > 2 * a["tolerance"]
                assert all(abs(m["value"] - v) > a["tolerance"] for v in values)
                values.append(m["value"])


def _names(p):
    return {m["name"] for a in p["answers"] for m in a["mistakes"]}


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_each_kind_tests_its_own_lesson(problems, difficulty):
    for p in problems["accumulate", difficulty]:  # overwriting instead of += changes an asked answer
        got = learner_answers(p, calculator, "overwrite")
        assert any(abs(got[a["name"]] - a["value"]) > a["tolerance"] for a in p["answers"]), p["id"]
    for p in problems["step", difficulty]:  # every parameter moves; standing still and the wrong way fail
        grads = {n["name"]: n["grad"] for n in p["nodes"]}
        for a in p["answers"]:
            assert grads[a["name"][:-4]] != 0
            for bend in ("no-update", "wrong-direction"):
                assert abs(learner_answers(p, calculator, bend)[a["name"]] - a["value"]) > a["tolerance"]
    for p in problems["numeric", difficulty]:  # the estimate and the exact derivative are told apart
        answers = {a["name"]: a for a in p["answers"]}
        gap = abs(answers["estimate"]["value"] - answers["x.grad"]["value"])
        assert gap > 2 * max(answers["estimate"]["tolerance"], answers["x.grad"]["tolerance"]), p["id"]
    for p in problems["local", difficulty]:  # each answer is open to a classic slip of its op
        assert all(a["mistakes"] for a in p["answers"]), p["id"]


# ---------------------------------------------------------------- steps that add up as printed

SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")


def recompute(text: str) -> float:
    """A worked step's middle part, e.g. `(1 − 0.9051²) × (−2)`, as a number (a tiny arithmetic reader)."""
    text = re.sub("([⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)", lambda m: "**(" + m.group(1).translate(SUPERSCRIPT) + ")", text)
    text = text.replace("×", "*").replace(MINUS, "-")
    tree = ast.parse(text, mode="eval")
    ops = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
           ast.Pow: operator.pow, ast.USub: operator.neg}

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.BinOp):
            return ops[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            return ops[type(node.op)](ev(node.operand))
        raise AssertionError(ast.dump(node))

    return ev(tree)


def printed(text: str) -> tuple[float, int]:
    text = text.replace(MINUS, "-")
    return float(text), len(text.partition(".")[2])


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_every_printed_step_adds_up_as_printed(problems, kind, difficulty):
    bad, lines = [], 0
    for p in problems[kind, difficulty]:
        for line in p["steps"]:
            parts = line.split(" = ")
            if len(parts) < 3 or not re.fullmatch(r"[−\d.() ×/²³⁻¹+⁰⁴-⁹]+", parts[-2]):
                continue  # a rule with nothing substituted (a.grad += L.grad = 1), or prose
            lines += 1
            value, decimals = printed(parts[-1])
            got = recompute(parts[-2])
            if abs(got - value) > 0.5 * 10**-decimals * (1 + 1e-9):
                bad.append((p["id"], line, got))
            # (a non-zero value printed as a factor of 0 can't pass: the product would recompute to 0)
    assert lines >= PER_CELL // 2
    assert not bad, f"{len(bad)} step lines don't add up as printed, e.g. {bad[:3]}"


# ---------------------------------------------------------------- lesson-true content


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_no_degenerate_problem(problems, kind, difficulty):
    for p in problems[kind, difficulty]:
        nodes = {n["name"]: n for n in p["nodes"]}
        for n in p["nodes"]:
            if not n["op"]:
                continue
            ins = [nodes[i] for i in n["inputs"]]
            consts = [i["data"] for i in ins if i.get("constant")]
            assert not all(i.get("constant") for i in ins), (p["id"], n["name"], "constants only")
            if n["op"] in ("-", "/"):
                assert n["inputs"][0] != n["inputs"][1], (p["id"], n["name"], "x op x")
            if n["op"] == "*":
                assert not set(consts) & {1.0, -1.0, 0.0}, (p["id"], n["name"], consts)
            if n["op"] == "/":
                assert not (ins[1].get("constant") and abs(ins[1]["data"]) == 1), (p["id"], n["name"])
            if n["op"] in ("+", "-"):
                assert 0.0 not in consts, (p["id"], n["name"])
            if n["op"] == "**":
                assert n["exponent"] not in (0, 1)


def test_tanh_leads_hard_problems_and_stays_unsaturated(problems):
    for kind in ("local", "expression", "accumulate"):
        with_tanh = sum(any(n["op"] == "tanh" for n in p["nodes"]) for p in problems[kind, "hard"])
        assert with_tanh >= 0.4 * PER_CELL, (kind, with_tanh)
    for kind in ("neuron", "loss", "step"):
        for p in problems[kind, "hard"]:
            o = next(n for n in p["nodes"] if n["name"] == "o")
            assert abs(o["data"]) <= 0.99, p["id"]  # tanh, written through exp or not
            assert all(n["data"] <= 200 for n in p["nodes"] if n["op"] == "exp")


def test_local_problems_show_relu_blocked_and_open(problems):
    sides = {p["nodes"][0]["data"] > 0 for p in problems["local", "easy"] if p["nodes"][-1]["op"] == "relu"}
    assert sides == {True, False}


PROSE_ASCII = re.compile(r"\*|(?<![A-Za-z])-|-(?![A-Za-z])")


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_one_notation_for_people_and_ops_defined(problems, kind, difficulty):
    for p in problems[kind, difficulty]:
        assert not PROSE_ASCII.search(p["question"]), (p["id"], p["question"])
        for line in p["steps"]:
            assert not PROSE_ASCII.search(line), (p["id"], line)
        ops = {n["op"] for n in p["nodes"]}
        if "log" in ops:
            assert "natural logarithm" in p["question"]
        if "sigmoid" in ops:
            assert "σ(x) = 1/(1 + e⁻ˣ)" in p["question"]


# ---------------------------------------------------------------- a mistake's replay on the key's local derivatives


def _bits(xs):
    return [x.hex() for x in xs]  # (equal numbers, to the bit and the sign of zero)


@pytest.mark.parametrize("kind", ["local", "expression", "neuron", "accumulate", "loss", "step", "numeric", "find_error"])
def test_a_mistakes_exact_replay_on_the_keys_locals_is_the_full_replay(kind):
    """grade works out a mistake's exact replay from the key's local derivatives (once per draw), again only where
    the mistake's op is: for every catalogued mistake (and none, and a kind's own) it is the very list of grads
    that _backward_pass gives working every local derivative out, over many generated problems."""
    from practice import grade

    names = [None, *grade.GRAPH_MISTAKES, "no-update"]
    for difficulty in DIFFICULTIES:
        for i in range(40):
            p = make_problem(kind, difficulty, derive_seed("exact-replay", kind, difficulty, i))
            plan = grade._plan(p["nodes"])
            values = grade._forward_pass(plan, grade.exact, None)
            locals_ = grade._key_locals({}, plan, values)
            assert locals_ is not None
            for output_grad in {p.get("output_grad", 1.0), 1.0}:
                for m in names:
                    full = grade._backward_pass(plan, values, output_grad, grade.exact, m)
                    once = grade._exact_backward_pass(plan, values, locals_, output_grad, m)
                    assert _bits(once) == _bits(full), (p["id"], m)


def test_each_graph_mistake_bends_only_the_op_it_is_about():
    """_bends (from the catalogue's `applies`) names the only op whose local derivative each mistake changes."""
    import random

    from practice import grade

    rng = random.Random(5)
    ops = [*grade.FORWARD, "**"]
    for _ in range(300):
        x, y = rng.uniform(0.2, 3), rng.uniform(0.2, 3)
        for op in ops:
            k = rng.choice([2, 3, -1, 0.5]) if op == "**" else None
            key = grade._local(op, k, x, y, grade.exact, None)
            for m in grade.GRAPH_MISTAKES:
                if grade._bends().get(m) != op:
                    assert grade._local(op, k, x, y, grade.exact, m) == key, (op, m)
