"""The training kinds (mlp, batch, zero_grad, train, hinge, find_error) against PyTorch, finite differences and
simulated learners.

Every answer is rebuilt here from the record's given values without our engine: mlp with torch.nn.Linear,
batch and hinge with torch's loss written the same way, zero_grad and train with torch.optim.SGD (with and
without optimizer.zero_grad()). The learners who round every intermediate and the catalogued mistakes are
replayed from the records' nodes and fields (test_grading's independent learner), never from their text.
"""

import math
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from oracle import TORCH_OPS, central_difference, evaluate, torch_pass
from practice.generate import derive_seed, make_problem
from practice.kinds import DIFFICULTIES, TRAINING
from practice.numbers import has_places
from test_grading import GRAPH_BENDS, calculator, figures4, local_derivatives, places4, printed, recompute, replay

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import torch

PER_CELL = 200
CELLS = [(k, d) for k in TRAINING for d in DIFFICULTIES]
STEP_BENDS = ["no-update", "wrong-direction", "lr-forgotten"]
F64 = torch.float64


@pytest.fixture(scope="module")
def problems():
    return {(k, d): [make_problem(k, d, derive_seed("training", k, d, i)) for i in range(PER_CELL)] for k, d in CELLS}


def close(a, b, tol=1e-9):
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


def given(p):
    return {n["name"]: n["data"] for n in p["nodes"] if n["op"] is None}


def answers(p):
    return {a["name"]: a["value"] for a in p["answers"]}


def t(x):
    return torch.tensor(float(x), dtype=F64, requires_grad=True)


SVG = "{http://www.w3.org/2000/svg}"


# ---------------------------------------------------------------- every node: PyTorch and finite differences


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_nodes_match_pytorch_and_central_differences(problems, kind, difficulty):
    for p in problems[kind, difficulty]:
        oracle = torch_pass(p)
        for n in p["nodes"]:
            assert close(n["data"], oracle[n["name"]][0]) and close(n["grad"], oracle[n["name"]][1]), (p["id"], n)
            if n["op"] is None and not n.get("constant"):
                assert math.isclose(n["grad"], central_difference(p, n["name"]), rel_tol=1e-5, abs_tol=1e-5)


# ---------------------------------------------------------------- each kind's answers, rebuilt in PyTorch


def act_fn(name):
    return {"relu": torch.relu, "tanh": torch.tanh, "linear": lambda v: v}[name]


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_mlp_against_torch_linear_layers(problems, difficulty):
    act = act_fn("tanh" if difficulty == "hard" else "relu")
    for p in problems["mlp", difficulty]:
        g = given(p)
        nin = sum(name.startswith("x") for name in g)
        hidden, out = torch.nn.Linear(nin, 2, dtype=F64), torch.nn.Linear(2, 1, dtype=F64)
        with torch.no_grad():
            hidden.weight.copy_(torch.tensor([[g[f"w{j}{i}"] for i in range(1, nin + 1)] for j in (1, 2)], dtype=F64))
            hidden.bias.copy_(torch.tensor([g["b1"], g["b2"]], dtype=F64))
            out.weight.copy_(torch.tensor([[g["v1"], g["v2"]]], dtype=F64))
            out.bias.copy_(torch.tensor([g["c"]], dtype=F64))
        x = torch.tensor([g[f"x{i}"] for i in range(1, nin + 1)], dtype=F64, requires_grad=True)
        o = out(act(hidden(x)))
        o.backward()
        nodes = {n["name"]: n for n in p["nodes"]}
        assert close(o.item(), nodes["o"]["data"])
        expected = {f"w{j}{i}.grad": hidden.weight.grad[j - 1, i - 1].item() for j in (1, 2) for i in range(1, nin + 1)}
        expected |= {f"b{j}.grad": hidden.bias.grad[j - 1].item() for j in (1, 2)}
        expected |= {f"v{j}.grad": out.weight.grad[0, j - 1].item() for j in (1, 2)} | {"c.grad": out.bias.grad[0].item()}
        expected |= {f"x{i}.grad": x.grad[i - 1].item() for i in range(1, nin + 1)}
        got = answers(p)
        assert {a[0] for a in got} == {"w", "b", "v", "x"}  # weights of both layers, a bias and an input
        for name, value in got.items():
            assert close(value, expected[name]), (p["id"], name, value, expected[name])


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_batch_against_torch_summed_loss(problems, difficulty):
    for p in problems["batch", difficulty]:
        g = given(p)
        k = sum(name.startswith("x") for name in g)
        act = act_fn(next((n["op"] for n in p["nodes"] if n["op"] in ("relu", "tanh")), "linear"))
        w, b = t(g["w"]), t(g["b"])
        loss = sum((act(b + w * g[f"x{i}"]) - g[f"y{i}"]) ** 2 for i in range(1, k + 1))
        loss.backward()
        got = answers(p)
        assert close(got["w.grad"], w.grad.item()) and close(got["b.grad"], b.grad.item()), p["id"]
        # the worked steps show one contribution per example into each shared parameter
        for name in ("w", "b"):
            assert sum(line.startswith(f"{name}.grad += ") for line in p["steps"]) == k


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_hinge_against_torch_with_l2(problems, difficulty):
    seen = set()
    for p in problems["hinge", difficulty]:
        g = given(p)
        nin = sum(name.startswith("x") for name in g)
        ws, b = [t(g[f"w{i}"]) for i in range(1, nin + 1)], t(g["b"])
        s = b + sum(w * g[f"x{i}"] for i, w in enumerate(ws, start=1))
        data_loss = torch.relu(1 - g["y"] * s)
        reg = p["alpha"] * sum(q**2 for q in ws + [b])
        (data_loss + reg).backward()
        got = answers(p)
        for name, q in [(f"w{i}", w) for i, w in enumerate(ws, start=1)] + [("b", b)]:
            assert close(got[f"{name}.grad"], q.grad.item()), (p["id"], name)
        active = (1 - g["y"] * s.item()) > 0
        assert p["margin_active"] == active
        seen.add(active)
        if not active:  # the data term sends back nothing: only 2·α·p moves each parameter
            for name in [f"w{i}" for i in range(1, nin + 1)] + ["b"]:
                assert close(got[f"{name}.grad"], 2 * p["alpha"] * g[name])
    assert seen == {True, False}  # both sides of the margin occur


def sgd_run(p, steps: int, zero: bool):
    """torch.optim.SGD on the record's one-example model: [(loss, grads, params after)] per step."""
    g = given(p)
    params = {n: t(g[n]) for n in g if n[0] in "wb"}
    xs = sorted(n for n in g if n[0] == "x")
    act = act_fn(next((n["op"] for n in p["nodes"] if n["op"] in ("relu", "tanh")), "linear"))
    opt = torch.optim.SGD(list(params.values()), lr=p["learning_rate"])
    seen = []
    for _ in range(steps):
        if zero or not seen:
            opt.zero_grad()
        ws = [params["w"]] if "w" in params else [params[f"w{i + 1}"] for i in range(len(xs))]
        o = act(params["b"] + sum(w * g[x] for w, x in zip(ws, xs)))
        loss = (o - g["y"]) ** 2
        loss.backward()
        grads = {n: q.grad.item() for n, q in params.items()}
        opt.step()
        seen.append((loss.item(), grads, {n: q.item() for n, q in params.items()}))
    return seen, params


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_train_against_torch_sgd(problems, difficulty):
    went_up = 0
    for p in problems["train", difficulty]:
        [(before, grads, new)], params = sgd_run(p, 1, zero=True)
        got = answers(p)
        assert close(got["loss before"], before)
        for n in params:
            assert close(got[f"{n}.grad"], grads[n]) and close(got[f"{n}.new"], new[n]), (p["id"], n)
        g = given(p)
        after = evaluate(p, new)  # the same graph at the new parameters, in plain floats
        assert close(got["loss after"], after) and got["loss after"] != got["loss before"]
        went_up += got["loss after"] > got["loss before"]
    if difficulty == "hard":
        assert 0 < went_up < PER_CELL / 2  # some hard learning rates overshoot
    else:
        assert went_up == 0


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_zero_grad_against_torch_sgd_with_and_without_zeroing(problems, difficulty):
    for p in problems["zero_grad", difficulty]:
        with_zero, params = sgd_run(p, 2, zero=True)
        without, _ = sgd_run(p, 2, zero=False)
        got = answers(p)
        for n in params:
            assert close(got[f"{n}.grad at step 2"], with_zero[1][1][n])
            assert close(got[f"{n} after step 2"], with_zero[1][2][n])
            assert close(got[f"{n}.grad at step 2, no zero_grad"], without[1][1][n])
            assert close(got[f"{n} after step 2, no zero_grad"], without[1][2][n])
            # without zeroing, the second step's grad is the sum of both passes' grads
            assert close(without[1][1][n], with_zero[0][1][n] + with_zero[1][1][n])
        second = {n["name"]: n["data"] for n in p["second_step"] if n["op"] is None}
        assert all(close(second[n], with_zero[0][2][n]) for n in params)


def pass_lines(p, R=calculator, bend=None, planted=None):
    """The backward pass one contribution at a time, constants left out: (target, grad used, contribution,
    target's total after it); `planted` = (line number, mistake) bends that one line only."""
    data, _ = replay(p, R)
    grad = dict.fromkeys(data, 0.0)
    grad[p["output"]] = 1.0
    constant = {n["name"] for n in p["nodes"] if n.get("constant")}
    lines = []
    for n in reversed(p["nodes"]):
        if n["op"] is None:
            continue
        xs = [data[i] for i in n["inputs"]]
        locs = local_derivatives(n["op"], n, xs, data[n["name"]], R, bend)
        for index, name in enumerate(n["inputs"]):
            here = planted and name not in constant and len(lines) + 1 == planted[0]
            local = locs[index]
            if here and planted[1] != "overwrite":
                local = local_derivatives(n["op"], n, xs, data[n["name"]], R, planted[1])[index]
            piece = R(local * grad[n["name"]])
            over = bend == "overwrite" or (here and planted[1] == "overwrite")
            grad[name] = piece if over else R(grad[name] + piece)
            if name not in constant:
                lines.append((name, grad[n["name"]], piece, grad[name]))
    return lines


def learner(p, R, bend=None):
    """What a learner answers for each of a training problem's answers, rounding with R, making one mistake."""
    kind = p["kind"]
    graph_bend = bend if bend in GRAPH_BENDS else None
    if kind in ("mlp", "batch", "hinge"):
        leaves = None
        if bend == "l2-forgotten":
            leaves = {next(n for n in p["nodes"] if n["name"] == "R")["inputs"][0]: 0.0}
        _, grad = replay(p, R, graph_bend, leaves)
        return {a["name"]: grad[a["name"][:-5]] for a in p["answers"]}
    lr = p.get("learning_rate")

    def step(d, g):
        return {"no-update": d, "wrong-direction": R(d + R(lr * g)), "lr-forgotten": R(d - g)}.get(bend, R(d - R(lr * g)))

    params = [n["name"] for n in p["nodes"] if n["op"] is None and n["name"][0] in "wb"]
    if kind == "train":
        data, grad = replay(p, R, graph_bend)
        new = {q: step(data[q], grad[q]) for q in params}
        out = {"loss before": data["L"], "loss after": replay(p, R, None, new)[0]["L"]}
        out |= {f"{q}.grad": grad[q] for q in params} | {f"{q}.new": new[q] for q in params}
        return out
    if kind == "zero_grad":
        data, grad = replay(p, R, graph_bend)
        after1 = {q: step(data[q], grad[q]) for q in params}
        grad2 = replay(p, R, graph_bend, after1)[1]
        out = {}
        for q in params:
            zeroed = (grad2[q], step(after1[q], grad2[q]))
            summed = R(grad[q] + grad2[q])
            kept = (summed, step(after1[q], summed))
            if bend == "zero-grad-forgotten":
                zeroed = kept
            if bend == "grads-reset-anyway":
                kept = zeroed
            out |= {f"{q}.grad at step 2": zeroed[0], f"{q} after step 2": zeroed[1],
                    f"{q}.grad at step 2, no zero_grad": kept[0], f"{q} after step 2, no zero_grad": kept[1]}
        return out
    # find_error
    k, how = p["planted"]["line"], p["planted"]["mistake"]
    if bend == "later-line":
        right, wrong = pass_lines(p), pass_lines(p, planted=(k, how))
        later = next((i + 1 for i in range(k, len(right)) if not all(map(close, right[i][1:], wrong[i][1:]))), None)
        return {"first wrong line": float(later)} if later else {}
    if bend == "error-copied":
        return {"corrected grad": pass_lines(p, R, planted=(k, how))[k - 1][3]}
    out = {"corrected grad": pass_lines(p, R, graph_bend)[k - 1][3]}
    if bend is None:
        out["first wrong line"] = float(k)
    return out


OWN_BENDS = {
    "mlp": [], "batch": [], "hinge": ["l2-forgotten"], "train": STEP_BENDS,
    "zero_grad": STEP_BENDS + ["zero-grad-forgotten", "grads-reset-anyway"], "find_error": ["error-copied", "later-line"],
}


# ---------------------------------------------------------------- grading: learners pass, mistakes fail


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_the_key_is_what_an_exact_learner_gets(problems, kind, difficulty):
    for p in problems[kind, difficulty]:
        got = learner(p, calculator)
        assert {a["name"] for a in p["answers"]} == set(got)
        assert all(close(got[a["name"]], a["value"]) for a in p["answers"]), p["id"]
        assert p["question"].endswith(p["rounding"])


@pytest.mark.parametrize("kind,difficulty", CELLS)
@pytest.mark.parametrize("rounding", [places4, figures4], ids=["4 decimal places", "4 significant figures"])
def test_a_careful_rounding_learner_is_marked_right(problems, kind, difficulty, rounding):
    wrong = []
    for p in problems[kind, difficulty]:
        got = learner(p, rounding)
        wrong += [(p["id"], a["name"], got[a["name"]], a["value"]) for a in p["answers"]
                  if abs(got[a["name"]] - a["value"]) > a["tolerance"]]
    assert not wrong, f"{len(wrong)} right answers marked wrong, e.g. {wrong[:3]}"


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_every_catalogued_mistake_is_marked_wrong(problems, kind, difficulty):
    passed, caught = [], 0
    for p in problems[kind, difficulty]:
        for bend in GRAPH_BENDS + OWN_BENDS[kind]:
            try:
                got = learner(p, calculator, bend)
            except (ZeroDivisionError, ValueError, OverflowError):
                continue
            for a in p["answers"]:
                v = got.get(a["name"])
                if v is None or not math.isfinite(v) or close(v, a["value"]):
                    continue
                caught += 1
                if abs(v - a["value"]) <= a["tolerance"]:
                    passed.append((p["id"], a["name"], bend, v, a["value"], a["tolerance"]))
        for a in p["answers"]:  # the record lists each mistake with the value it gives
            for m in a["mistakes"]:
                assert close(m["value"], learner(p, calculator, m["name"])[a["name"]]), (p["id"], a["name"], m)
                assert abs(m["value"] - a["value"]) > 2 * a["tolerance"] and m["why"].strip()
    assert caught >= PER_CELL
    assert not passed, f"{len(passed)} mistakes marked right, e.g. {passed[:3]}"


def mistakes_of(a):
    return {m["name"] for m in a["mistakes"]}


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_each_training_kind_tests_its_own_lesson(problems, difficulty):
    for p in problems["batch", difficulty]:  # keeping only one example's contribution is caught
        assert all("overwrite" in mistakes_of(a) for a in p["answers"]), p["id"]
    for p in problems["mlp", difficulty]:  # the input collects from both hidden neurons
        assert any("overwrite" in mistakes_of(a) for a in p["answers"] if a["name"][0] == "x"), p["id"]
    for p in problems["zero_grad", difficulty]:  # with and without zero_grad differ by more than the margin
        for a in p["answers"]:
            if "no zero_grad" not in a["name"]:
                assert "zero-grad-forgotten" in mistakes_of(a), (p["id"], a["name"])
    for p in problems["train", difficulty]:  # the loss after differs from before, every parameter moves
        for a in p["answers"]:
            if a["name"] == "loss after" or a["name"].endswith(".new"):
                assert "no-update" in mistakes_of(a), (p["id"], a["name"])
    for p in problems["hinge", difficulty]:  # L2 always matters; an inactive margin's blocked relu is caught
        assert all("l2-forgotten" in mistakes_of(a) for a in p["answers"]), p["id"]
        if not p["margin_active"]:
            assert any("relu-rule" in mistakes_of(a) for a in p["answers"]), p["id"]
    for p in problems["find_error", difficulty]:  # copying the wrong line's value is caught
        assert any("error-copied" in mistakes_of(a) for a in p["answers"]), p["id"]


# ---------------------------------------------------------------- find_error's planted line


def strip_total(line: str) -> str:
    return re.sub(r" \(now [^)]*\)$", "", line)


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_the_planted_line_is_the_first_wrong_one_and_the_key_corrects_it(problems, difficulty):
    planted = set()
    for p in problems["find_error", difficulty]:
        k = p["planted"]["line"]
        shown, steps = p["learner_pass"], p["steps"]
        right = pass_lines(p)
        assert len(shown) == len(right) == len(steps) - 2
        assert [strip_total(s) for s in shown[: k - 1]] == steps[: k - 1]  # every earlier line is the engine's own
        assert strip_total(shown[k - 1]) != steps[k - 1]
        wrong = pass_lines(p, planted=(k, p["planted"]["mistake"]))
        assert all(right[i] == wrong[i] for i in range(k - 1)) and right[k - 1] != wrong[k - 1]
        got = answers(p)
        assert got["first wrong line"] == k and f"  {k}. {shown[k - 1]}" in p["question"]
        # the corrected value: the target's grad after line k, from PyTorch's grads of the graph
        target = right[k - 1][0]
        oracle = torch_pass(p)
        consumers = [(n, i) for n in reversed(p["nodes"]) if n["op"] for i, name in enumerate(n["inputs"]) if name == target]
        done = [name for name, *_ in right[:k]].count(target)
        total = sum(torch_contribution(p, n, i, oracle) for n, i in consumers[:done])
        assert close(got["corrected grad"], total), (p["id"], got["corrected grad"], total)
        planted.add(p["planted"]["mistake"])
    assert len(planted) >= 3


def torch_contribution(p, node, index, oracle):
    """What input `index` of `node` receives from it: its local derivative (PyTorch) × the node's grad."""
    by_name = {n["name"]: n for n in p["nodes"]}
    xs = [t(by_name[i]["data"]) for i in node["inputs"]]
    if node["op"] == "**":
        y = xs[0] ** node["exponent"]
    else:
        y = TORCH_OPS[node["op"]](*xs)
    local = torch.autograd.grad(y, xs[index], allow_unused=True)[0]  # one tensor per input slot: x × x has two
    return (local.item() if local is not None else 0.0) * oracle[node["name"]][1]


# ---------------------------------------------------------------- hand-solvable, worked steps that add up


WRITTEN_PLACES = {"easy": 1, "medium": 2}


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_written_numbers_stay_short(problems, kind, difficulty):
    """Easy: small integers, and rates chosen so every number written has at most one decimal; medium: two."""
    if difficulty == "hard":
        for p in problems[kind, difficulty]:
            assert all(abs(n["data"]) <= 0.99 for n in p["nodes"] if n["op"] == "tanh")
        return
    places = WRITTEN_PLACES[difficulty]
    for p in problems[kind, difficulty]:
        numbers = [v for n in p["nodes"] for v in (n["data"], n["grad"])] + [a["value"] for a in p["answers"]]
        numbers += [n["data"] for field in ("second_step", "after_step") for n in p.get(field, [])]
        if kind == "find_error":  # every contribution and running total of both passes
            numbers += [v for planted in (None, (p["planted"]["line"], p["planted"]["mistake"]))
                        for line in pass_lines(p, planted=planted) for v in line[1:]]
        assert all(has_places(v, places) for v in numbers), p["id"]
        if difficulty == "easy":
            assert all(has_places(n["data"], 0) for n in p["nodes"] if n["op"] is None and not n.get("constant")), p["id"]


@pytest.mark.parametrize("kind,difficulty", CELLS)
def test_every_printed_step_adds_up_as_printed(problems, kind, difficulty):
    bad, lines = [], 0
    for p in problems[kind, difficulty]:
        for line in p["steps"] + p.get("learner_pass", []):
            parts = strip_total(line).split(" = ")
            if len(parts) < 3 or not re.fullmatch(r"[−\d.() ×/²³⁻¹+⁰⁴-⁹]+", parts[-2]):
                continue
            lines += 1
            value, decimals = printed(parts[-1])
            if abs(recompute(parts[-2]) - value) > 0.5 * 10**-decimals * (1 + 1e-9):
                bad.append((p["id"], line))
    assert lines >= PER_CELL // 2
    assert not bad, f"{len(bad)} step lines don't add up as printed, e.g. {bad[:3]}"


# ---------------------------------------------------------------- the pictures show the layers, and fit a page and a phone


def test_mlp_pictures_draw_a_table_per_neuron_a_row_per_layer(problems):
    """The inputs above, the two hidden neurons side by side, the output neuron below: each neuron one table."""
    from practice import draw

    for p in problems["mlp", "easy"][:5] + problems["mlp", "hard"][:5]:
        groups = p["groups"]
        assert [g["name"] for g in groups] == ["hidden neuron h1", "hidden neuron h2", "output neuron o"]
        names = [n for g in groups for n in g["nodes"]]
        inputs = {n["name"] for n in p["nodes"] if n["name"].startswith("x")}
        assert len(names) == len(set(names)) and set(names) | inputs == {n["name"] for n in p["nodes"]}
        svg = draw.render([draw.dot_source(p, True)])[0]
        boxes = {}
        for g in ET.fromstring(svg).iter(SVG + "g"):
            if g.get("class") == "node":
                ys = [float(v.split(",")[1]) for poly in g.iter(SVG + "polygon") for v in poly.get("points").split()]
                xs = [float(v.split(",")[0]) for poly in g.iter(SVG + "polygon") for v in poly.get("points").split()]
                boxes[g.find(SVG + "title").text] = (min(xs), min(ys), max(xs), max(ys))
        h1, h2, out = boxes["table_0"], boxes["table_1"], boxes["table_2"]
        x_boxes = [boxes[f"n_{x}"] for x in sorted(inputs)]
        assert all(b[3] < min(h1[1], h2[1]) for b in x_boxes)  # inputs above the hidden layer
        assert [b[0] for b in x_boxes] == sorted(b[0] for b in x_boxes)  # x1, x2, x3 from left to right
        assert h1[2] < h2[0] and abs((h1[1] + h1[3]) - (h2[1] + h2[3])) < 1  # side by side, one row
        assert out[1] > max(h1[3], h2[3])  # the output layer below


# ---------------------------------------------------------------- solve reproduces each record's graph


@pytest.mark.parametrize("kind", TRAINING)
def test_solve_reproduces_the_program(problems, kind):
    from practice.solve import solve_program

    for d in DIFFICULTIES:
        for p in problems[kind, d][:10]:
            pairs = [f"{n['name']}={n['data']!r}" for n in p["nodes"] if n["op"] is None and not n.get("constant")]
            r = solve_program(p["program"], pairs)
            assert [(n["name"], n["op"], n["inputs"]) for n in r["nodes"]] == [(n["name"], n["op"], n["inputs"]) for n in p["nodes"]]
            assert all(close(a["data"], b["data"]) and close(a["grad"], b["grad"]) for a, b in zip(r["nodes"], p["nodes"]))
            assert r["steps"] == p["steps"][: len(r["steps"])]


# ---------------------------------------------------------------- the training spec through every exporter


@pytest.fixture(scope="module")
def training_set():
    from practice.generate import problem_set
    from practice.spec import choose

    spec = choose("training")
    return spec, problem_set(spec.entries, spec.seed)


def test_the_training_spec_mixes_every_training_kind(training_set):
    spec, records = training_set
    assert 35 <= len(records) <= 45
    assert {(r["kind"], r["difficulty"]) for r in records} == set(CELLS)
    from practice.spec import choose

    micrograd = choose("micrograd")
    assert any(e["kind"] == "find_error" for e in micrograd.entries)


def test_training_deck_imports_into_anki_and_every_card_shows_its_answer(training_set, tmp_path):
    from practice.anki import deck
    from practice.numbers import fmt
    from test_deck import T0, check_renders, import_package, mistake_lines, open_collection, problem_notes, shown_values

    spec, records = training_set
    out = tmp_path / "training.apkg"
    summary = deck.build_deck(spec, out, timestamp=T0, variants=1)
    col = open_collection(tmp_path / "col")
    try:
        import_package(col, out)
        assert col.card_count() == summary.cards and check_renders(col) > 0
        notes = problem_notes(col)
        assert set(notes) == {r["id"] for r in records}
        for r in records:
            cards = {c.ord: c for c in notes[r["id"]].cards()}
            for i, a in enumerate(r["answers"]):
                if i not in cards:
                    continue
                back = cards[i].answer()
                assert shown_values(back) == [fmt(a["value"])], (r["id"], a["name"])
                assert mistake_lines(back) == [f"If you got {fmt(m['value'])}: {m['why']}" for m in a["mistakes"]]
            assert any(i in cards for i in range(len(r["answers"])))
            if r["kind"] == "find_error":  # the learner's pass is on the front, line by line
                front = cards[0].question()
                assert all(line.split(" = ")[0].split("+=")[0].strip() in front for line in r["learner_pass"])
    finally:
        col.close()


def test_training_cards_show_their_pictures_readably_on_a_phone(training_set, tmp_path):
    """Every problem card of the training deck in Chromium at 390 px: the picture fits the screen and its 10 pt
    text shows at 6.5 CSS px or more (an MLP drawn as a graph of value boxes, 900 pt wide, showed it at 4)."""
    from playwright.sync_api import sync_playwright

    from browser import launch
    from practice import draw
    from practice.anki import deck
    from test_deck import CARD_PAGE, T0, import_package, open_collection, problem_notes

    spec, records = training_set
    out = tmp_path / "training.apkg"
    deck.build_deck(spec, out, timestamp=T0, variants=1)
    col = open_collection(tmp_path / "col")
    smallest = {}
    try:
        import_package(col, out)
        media = Path(col.media.dir())
        with sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 390, "height": 900})
            for r in records:
                card = problem_notes(col)[r["id"]].cards()[0]
                path = tmp_path / "card.html"
                path.write_text(CARD_PAGE.format(base=media.as_uri(), ord=card.ord + 1, night="", html=card.question()),
                                encoding="utf-8")
                page.goto(path.as_uri())
                shown = page.evaluate("() => { const i = document.querySelector('.picture img');"
                                      " return [i.getAttribute('src'), i.getBoundingClientRect().width,"
                                      " document.documentElement.scrollWidth]; }")
                src, width, scroll = shown
                assert scroll <= 390, r["id"]
                width_pt = draw.size_pt((media / src).read_bytes(), "svg")[0]
                text_px = 10 * width / width_pt  # the pictures' text is 10 pt at their natural size
                smallest[r["kind"]] = min(smallest.get(r["kind"], 99), text_px)
            browser.close()
    finally:
        col.close()
    assert set(smallest) == set(TRAINING)
    assert min(smallest.values()) >= 6.5, smallest


def test_training_quiz_grades_like_moodle_and_gift(training_set, tmp_path):
    import xml.etree.ElementTree as ET

    from practice import quiz
    from moodle_rules import PART, moodle_answers, moodle_grade, near_misses, read_gift

    def name(q):
        return q.find("name/text").text

    def by_problem(root, kind, records):
        """{problem index: [questions of that type]}, matched by the problem id in each question's name."""
        out = {}
        for q in root.findall("question"):
            if q.get("type") == kind:
                (i,) = [i for i, r in enumerate(records) if r["id"] in name(q)]
                out.setdefault(i, []).append(q)
        return out

    spec, records = training_set
    out = tmp_path / "training.xml"
    quiz.build_quiz(spec, out, "moodle", "svg")
    root = ET.parse(out).getroot()
    numerical, cloze = by_problem(root, "numerical", records), by_problem(root, "cloze", records)
    assert sorted(cloze) == list(range(len(records)))
    for i, r in enumerate(records):
        got = {name(q).split(" · ")[-1]: q for q in numerical[i]}
        assert set(got) == {a["name"] for a in r["answers"]}
        for a in r["answers"]:
            answers = moodle_answers(got[a["name"]])
            assert all(moodle_grade(answers, v)[0] == 1.0 for v in near_misses(a["value"], a["tolerance"]))
            assert all(moodle_grade(answers, m["value"])[0] == 0.0 for m in a["mistakes"])
        parts = PART.findall(cloze[i][0].find("questiontext/text").text)
        assert len(parts) >= len(r["answers"])
    gift = tmp_path / "training.gift"
    quiz.build_quiz(spec, gift, "gift")
    found = read_gift(gift.read_text(encoding="utf-8"))
    assert len(found["questions"]) == sum(len(r["answers"]) for r in records)
    for q, a in zip(found["questions"], [a for r in records for a in r["answers"]]):
        assert moodle_grade(q["answers"], a["value"])[0] == 1.0
        assert all(moodle_grade(q["answers"], m["value"])[0] == 0.0 for m in a["mistakes"])


def test_training_worksheet_class_set_builds_with_keys(tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out, key = tmp_path / "ws.pdf", tmp_path / "ws-key.pdf"
    r = subprocess.run([sys.executable, "-m", "practice", "worksheet", "training", "--versions", "2", "-o", str(out),
                        "--key", str(key)], capture_output=True, text=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
    assert r.returncode == 0, r.stderr
    manifest = json.loads(out.with_suffix(".json").read_text())
    assert len(manifest["versions"]) == 2
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    keys = subprocess.run(["pdftotext", str(key), "-"], capture_output=True, text=True).stdout
    for words in ("micrograd's MLP", "zero_grad", "max-margin", "went wrong"):
        assert words in text, words
    assert "first wrong line" in keys and "no zero_grad" in keys


def test_generation_is_deterministic_across_hash_seeds():
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    outs = []
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONPATH": str(root), "PYTHONHASHSEED": hash_seed}
        r = subprocess.run([sys.executable, "-m", "practice", "problems", "training", "--seed", "7", "--json"],
                           capture_output=True, cwd=root, env=env)
        assert r.returncode == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1] and len(outs[0]) > 10_000


# ---------------------------------------------------------------- the training concept cards' other claims


def test_card_zero_grad_forgotten_numbers_in_the_engine_and_pytorch():
    from engine import Value

    w = Value(2.0, label="w")
    for _ in range(2):
        (w * 3).backward()
    assert w.grad == 6  # two passes without zeroing
    w.grad = 0.0
    (w * 3).backward()
    assert w.grad == 3
    tw = t(2.0)
    opt = torch.optim.SGD([tw], lr=0.1)
    for _ in range(2):
        (tw * 3).backward()
    assert tw.grad.item() == 6
    opt.zero_grad()
    (tw * 3).backward()
    assert tw.grad.item() == 3


def test_card_layer_always_a_list_against_micrograd():
    import micrograd.nn as mg

    from engine import Value
    from engine.nn import MLP, Layer

    assert isinstance(mg.Layer(3, 1)([1.0, 2.0, 3.0]), mg.Value)  # micrograd's quirk
    with pytest.raises(TypeError):
        mg.MLP(2, [16, 1, 1])([0.5, -1.0])
    assert isinstance(Layer(3, 1)([1.0, 2.0, 3.0]), list)
    out = MLP(2, [16, 1, 1])([0.5, -1.0])
    assert isinstance(out, Value)
    out.backward()


def test_card_training_iteration_by_hand_in_the_engine_and_pytorch():
    from practice.kinds.training import model_loss

    loss, unit = model_loss({"w": 1.0, "b": 0.0}, {"x": 2.0}, 0.0, "linear")
    unit.zero_grad()
    loss.backward()
    for p in unit.parameters():
        p.data -= 0.05 * p.grad
    assert [p.data for p in unit.parameters()] == pytest.approx([0.6, -0.2])
    after, _ = model_loss({"w": 0.6, "b": -0.2}, {"x": 2.0}, 0.0, "linear")
    assert (loss.data, after.data) == (4.0, pytest.approx(1.0))
    w, b = t(1.0), t(0.0)
    opt = torch.optim.SGD([w, b], lr=0.05)
    opt.zero_grad()
    ((w * 2 + b) ** 2).backward()
    opt.step()
    assert (w.item(), b.item()) == pytest.approx((0.6, -0.2)) and ((w * 2 + b) ** 2).item() == pytest.approx(1.0)


# ---------------------------------------------------------------- short numbers at easy and medium


SHORT_CELLS = [(k, d) for k in ("train", "zero_grad") for d in ("easy", "medium")]
DECIMAL = re.compile(r"\d+\.(\d+)")  # 0.05, 1.5; names like w1.grad have no digit after the point


def updates(p) -> list[tuple[float, float, float]]:
    """Every gradient-descent update the problem works, as (old, grad, new), from the record's fields alone."""
    nodes, got = {n["name"]: n for n in p["nodes"]}, answers(p)
    if p["kind"] == "train":
        params = [a[: -len(".new")] for a in got if a.endswith(".new")]
        return [(nodes[q]["data"], nodes[q]["grad"], got[f"{q}.new"]) for q in params]
    after1 = {n["name"]: n["data"] for n in p["second_step"] if n["op"] is None}
    params = ("w", "b")
    return ([(nodes[q]["data"], nodes[q]["grad"], after1[q]) for q in params]
            + [(after1[q], got[f"{q}.grad at step 2"], got[f"{q} after step 2"]) for q in params]
            + [(after1[q], got[f"{q}.grad at step 2, no zero_grad"], got[f"{q} after step 2, no zero_grad"])
               for q in params])


@pytest.mark.parametrize("kind,difficulty", SHORT_CELLS)
def test_the_learning_rate_and_every_update_stay_short(problems, kind, difficulty):
    """The issue's rule: easy numbers have at most one decimal, medium two. That includes the learning rate
    itself, each lr × grad a learner multiplies out, the values it gives, and (zero_grad) the second step's pass
    and the grads summed without zeroing; easy rates never overshoot the target with zero_grad()."""
    places = WRITTEN_PLACES[difficulty]
    rates = set()
    for p in problems[kind, difficulty]:
        lr = p["learning_rate"]
        rates.add(lr)
        assert 0 < lr < 1 and has_places(lr, places), (p["id"], lr)
        numbers = [v for n in p["nodes"] for v in (n["data"], n["grad"])] + [a["value"] for a in p["answers"]]
        numbers += [n["data"] for field in ("second_step", "after_step") for n in p.get(field, [])]
        for old, grad, new in updates(p):
            assert close(old - lr * grad, new), p["id"]
            numbers += [old, grad, lr * grad, new]
        bad = [v for v in numbers if not has_places(v, places)]
        assert not bad, (p["id"], lr, bad[:5])
        if difficulty == "easy":  # the step with zero_grad() lowers the loss: no bouncing past the target
            loss = {n["name"]: n["data"] for n in p["nodes"]}["L"]
            after = answers(p)["loss after"] if kind == "train" else {n["name"]: n["data"] for n in p["second_step"]}["L"]
            assert after < loss, (p["id"], lr, loss, after)
    assert len(rates) > 1  # the rates vary


@pytest.mark.parametrize("kind,difficulty", SHORT_CELLS)
def test_every_printed_number_stays_short(problems, kind, difficulty):
    """The text a person reads and copies (the question with its learning rate, every worked step) has no
    number with more decimals than the difficulty allows."""
    places = WRITTEN_PLACES[difficulty]
    seen = 0
    for p in problems[kind, difficulty]:
        for line in [p["question"]] + p["steps"]:
            long = [m.group(0) for m in DECIMAL.finditer(line) if len(m.group(1)) > places]
            assert not long, (p["id"], line)
            seen += bool(DECIMAL.search(line))
    assert seen >= PER_CELL  # the texts do print decimals (a learning rate at least)
