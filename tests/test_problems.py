"""Every generated problem's answer key against PyTorch and finite differences, and the difficulty rules."""

import math
import re

import pytest

from oracle import central_difference, evaluate, torch_pass
from practice.generate import derive_seed, derive_seeds, make_problem, problem_set
from practice.kinds import DIFFICULTIES, KINDS, TRAINING
from practice.numbers import MINUS, has_places

PER_CELL = 120  # 7 kinds x 3 difficulties x 120 = 2,520 problems
OPS_BY_DIFFICULTY = {
    "easy": {"+", "*", "relu"},
    "medium": {"+", "*", "relu", "-", "/", "**", "neg"},
    "hard": {"+", "*", "relu", "-", "/", "**", "neg", "tanh", "exp", "log", "sigmoid"},
}
CELLS = [(k, d) for k in KINDS for d in DIFFICULTIES]
KEY_CELLS = [(k, d) for k, d in CELLS if k not in TRAINING]  # the training kinds' keys: tests/test_training_kinds.py


@pytest.fixture(scope="module")
def generated():
    return {
        (k, d): [make_problem(k, d, derive_seed("test", k, d, i)) for i in range(PER_CELL)] for k, d in CELLS
    }


def close(a, b, rel=1e-9, abs_=1e-9):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_every_data_and_grad_matches_pytorch(generated, kind, difficulty):
    for p in generated[kind, difficulty]:
        oracle = torch_pass(p)
        for n in p["nodes"]:
            data, grad = oracle[n["name"]]
            assert close(n["data"], data), (p["id"], n["name"], "data", n["data"], data)
            assert close(n["grad"], grad), (p["id"], n["name"], "grad", n["grad"], grad)


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_leaf_grads_match_central_differences(generated, kind, difficulty):
    for p in generated[kind, difficulty]:
        for n in p["nodes"]:
            if n["op"] is None and not n.get("constant"):
                estimate = central_difference(p, n["name"])
                assert math.isclose(n["grad"], estimate, rel_tol=1e-5, abs_tol=1e-5), (p["id"], n["name"], n["grad"], estimate)


@pytest.mark.parametrize("kind,difficulty", KEY_CELLS)
def test_answers_are_the_key(generated, kind, difficulty):
    for p in generated[kind, difficulty]:
        nodes = {n["name"]: n for n in p["nodes"]}
        oracle = torch_pass(p)
        assert p["answers"], p["id"]
        blocked_relu = kind == "local" and p["nodes"][-1]["op"] == "relu" and p["nodes"][0]["data"] < 0
        assert any(a["value"] != 0 for a in p["answers"]) or blocked_relu, p["id"]
        for a in p["answers"]:
            assert a["tolerance"] >= 0.00005  # never tighter than the display rounding
            assert a["value"] == 0 or abs(a["value"]) >= 0.01 * (1 - 1e-9)  # 4 decimal places keep 3 significant figures
            name, _, field = a["name"].rpartition(".")
            if field == "grad":
                assert a["value"] == nodes[name]["grad"]
                assert close(a["value"], oracle[name][1])
            elif field == "new":  # one gradient-descent step, checked with PyTorch's grad
                expected = nodes[name]["data"] - p["learning_rate"] * oracle[name][1]
                assert close(a["value"], expected), (p["id"], a)
            else:
                assert a["name"] == "estimate" and kind == "numeric"
                x = nodes["x"]["data"]
                expected = (evaluate(p, {"x": round(x + p["h"], 10)}) - evaluate(p)) / p["h"]
                assert close(a["value"], expected, rel=1e-7, abs_=1e-7)


@pytest.mark.parametrize("kind,difficulty", KEY_CELLS)
def test_difficulty_rules_and_hand_solvability(generated, kind, difficulty):
    for p in generated[kind, difficulty]:
        nodes = {n["name"]: n for n in p["nodes"]}
        assert p["kind"] == kind and p["difficulty"] == difficulty
        for n in p["nodes"]:
            assert math.isfinite(n["data"]) and math.isfinite(n["grad"])
            assert abs(n["data"]) <= 1000 and abs(n["grad"]) <= 1000
            if n["op"] is None:
                assert has_places(n["data"], 4), (p["id"], n)  # given values never need more than 4 decimals
            if difficulty == "easy":
                assert has_places(n["data"], 0) and has_places(n["grad"], 0), (p["id"], n)
                assert abs(n["data"]) <= 100 and abs(n["grad"]) <= 100
            if difficulty == "medium":
                assert has_places(n["data"], 2) and has_places(n["grad"], 2), (p["id"], n)
            if n["op"] == "tanh":
                assert abs(n["data"]) <= 0.99
            if n["op"] == "relu":
                assert nodes[n["inputs"][0]]["data"] != 0
        ops = {n["op"] for n in p["nodes"] if n["op"]}
        allowed = OPS_BY_DIFFICULTY[difficulty] | ({"-", "**"} if kind in ("loss", "step") else set())
        assert ops <= allowed, (p["id"], ops - allowed)
        if kind in ("local", "expression") and difficulty == "hard":
            assert ops & {"tanh", "exp", "log", "sigmoid"}, p["id"]


def test_every_op_appears_in_local_problems(generated):
    ops = {n["op"] for d in DIFFICULTIES for p in generated["local", d] for n in p["nodes"] if n["op"]}
    assert ops == {"+", "-", "*", "/", "**", "neg", "tanh", "exp", "relu", "log", "sigmoid"}


def test_accumulate_problems_reuse_a_value(generated):
    for d in DIFFICULTIES:
        for p in generated["accumulate", d]:
            inputs = [i for n in p["nodes"] for i in n["inputs"]]
            assert len(inputs) > len(set(inputs)), p["id"]


def test_local_problems_start_from_an_upstream_gradient(generated):
    for d in DIFFICULTIES:
        for p in generated["local", d]:
            out = p["nodes"][-1]
            assert len([n for n in p["nodes"] if n["op"]]) == 1
            assert out["grad"] == p.get("output_grad", 1.0)
            assert "output_grad" in p and p["output_grad"] != 1


STEP = re.compile(r"^(\w+)\.grad \+= .* = (\S+)$")


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_worked_steps_add_up_to_each_grad(generated, kind, difficulty):
    """One line per contribution; a node's contributions sum (up to display rounding) to its grad."""
    for p in generated[kind, difficulty][:40]:
        nodes = {n["name"]: n for n in p["nodes"]}
        sums, counts = {}, {}
        for line in p["steps"]:
            m = STEP.match(line)
            if not m:
                continue
            name, shown = m.group(1), float(m.group(2).replace(MINUS, "-"))
            sums[name] = sums.get(name, 0.0) + shown
            counts[name] = counts.get(name, 0) + 1
        expected_lines = sum(
            1 for n in p["nodes"] for i in n["inputs"] if not nodes[i].get("constant")
        )
        assert sum(counts.values()) == expected_lines, p["id"]
        for name, total in sums.items():
            assert math.isclose(total, nodes[name]["grad"], abs_tol=0.0001 * counts[name] + 1e-9), (p["id"], name)


def test_nodes_are_in_topological_order_with_unique_names(generated):
    for cell in CELLS:
        for p in generated[cell][:30]:
            seen = set()
            for n in p["nodes"]:
                assert n["name"] not in seen
                assert all(i in seen for i in n["inputs"])
                seen.add(n["name"])
            assert p["nodes"][-1]["name"] == p["output"]


def test_problem_i_depends_only_on_seed_entry_and_i():
    few = problem_set([{"kind": "expression", "difficulty": "medium", "count": 3, "index": 0}], 7)
    more = problem_set([{"kind": "expression", "difficulty": "medium", "count": 8, "index": 0}], 7)
    assert more[:3] == few
    other = problem_set([{"kind": "expression", "difficulty": "medium", "count": 3, "index": 0}], 8)
    assert other != few
    ids = [p["id"] for p in more]
    assert len(set(ids)) == len(ids)


def test_a_set_derives_each_problem_seed_as_derive_seed_does():
    """problem_set hashes an entry's common text once (derive_seeds): the seeds are derive_seed's."""
    for parts in [(2024, 3, "neuron", "hard"), ("a:b", 0, "local", "easy")]:
        assert list(derive_seeds(*parts, count=30)) == [derive_seed(*parts, i) for i in range(30)]


def test_ids_are_stable_text():
    p = make_problem("neuron", "hard", 12345)
    assert p["id"] == "neuron-hard-0000000000003039"
    assert make_problem("neuron", "hard", 12345) == p


@pytest.mark.parametrize("kind", ["step", "numeric"])
def test_a_draw_refused_as_hopeless_is_one_grading_or_the_lesson_refuses(kind):
    """Draft.hopeless refuses draws before they are graded; it must refuse only draws that grading (Unfair) or
    the kind's lesson would refuse, or the problem sets would change."""
    import random

    from engine import DomainError
    from practice import grade
    from practice.errors import UserError
    from practice.generate import _acceptable, _forward_acceptable, backward_nodes, grade_draft
    from practice.kinds import Redraw

    hopeless = 0
    for difficulty in DIFFICULTIES:
        rng = random.Random(f"hopeless-{kind}-{difficulty}")
        for _ in range(400):
            try:
                draft = KINDS[kind](rng, difficulty)
                order = draft.output.topo()
                if not _forward_acceptable(order, difficulty, draft.places):
                    continue
                nodes = backward_nodes(draft.output, draft.output_grad, order)
            except (Redraw, DomainError, UserError):  # refused before grading, as make_problem does
                continue
            by_name = {n["name"]: n for n in nodes}
            answers = draft.finish(by_name)[0]
            if not _acceptable(nodes, answers, difficulty, draft.zero_ok, draft.places):
                continue
            if not draft.hopeless(by_name, answers):
                continue
            hopeless += 1
            try:
                graded = grade_draft(draft, nodes, answers)
            except grade.Unfair:
                continue
            assert not draft.lesson(graded), (difficulty, by_name)
    assert hopeless >= 50  # the test saw the shortcut at work


def test_below_a_billion_two_numbers_print_alike_exactly_when_they_round_alike():
    """Shown.text decides `fmt(x) == fmt(value)` by `round(x, 4) == round(value, 4)` below 1e9 (no text made)."""
    import random

    from practice.numbers import fmt

    rng = random.Random(4)
    for _ in range(20000):
        a = rng.choice([rng.uniform(-5, 5), rng.uniform(-1e8, 1e8), round(rng.uniform(-50, 50), 4)])
        b = a + rng.choice([0.0, 1e-9, -1e-9, 4e-5, -4e-5, 6e-5, 1e-4, rng.uniform(-1e-3, 1e-3)])
        assert (fmt(a) == fmt(b)) == (round(a, 4) == round(b, 4)), (a, b)


def test_the_kinds_draws_are_the_random_modules_own():
    """common.below and common.pick draw what rng.randrange(n) and rng.choice(seq) draw, number for number and
    leaving the generator in the same state (the kinds use them for speed; every problem set hangs on them)."""
    import random

    from practice.kinds.common import below, pick

    ours, theirs = random.Random(11), random.Random(11)
    for n in [1, 2, 3, 5, 7, 8, 9, 16, 17, 100, 1000, 2**20 + 1] * 50:
        assert below(ours, n) == theirs.randrange(n)
        seq = list(range(n % 37 + 1))
        assert pick(ours, seq) == theirs.choice(seq)
    assert ours.getstate() == theirs.getstate()
