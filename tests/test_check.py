"""`check ENGINE`: correct engines pass with no false alarm (this tool's own, PyPI micrograd 0.1.0's, a
lecture-style Value the tests write, in a file, a package, a notebook and a live class), the checks' key
agrees with PyTorch float64, and the JSON, Gradescope and CSV outputs hold what they promise."""

import csv
import inspect
import json
import math
import os
import subprocess
import sys
import types
from pathlib import Path

import micrograd
import micrograd.engine
import pytest
import torch

from practice import grade
from practice.check import check_engine
from practice.check.api import check_path
from practice.check.checks import DEEP, OPS, draw
from practice.check.diagnose import replay
from practice.check.sandbox import Limits

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "practice", "check"]
# A Value as the lecture builds it: labels, tanh written with exp, exp, no reversed - or /, and its own
# Neuron, Layer and MLP (tanh everywhere, no zero_grad), written here in this project's own words.
LECTURE = '''
import math
import random


class Value:
    def __init__(self, data, _children=(), _op="", label=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __repr__(self):
        return f"Value(data={self.data})"

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")
        def _backward():
            self.grad += 1.0 * out.grad
            other.grad += 1.0 * out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        assert isinstance(k, (int, float))
        out = Value(self.data**k, (self,), f"**{k}")
        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self * other

    def __radd__(self, other):
        return self + other

    def __truediv__(self, other):
        return self * other**-1

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def tanh(self):
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "tanh")
        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")
        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, visited = [], set()
        def build_topo(v):
            if v not in visited:
                visited.add(v)
                for child in v._prev:
                    build_topo(child)
                topo.append(v)
        build_topo(self)
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()


class Neuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class Layer:
    def __init__(self, nin, nout):
        self.neurons = [Neuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class MLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [Layer(sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]
'''
LIMITS = Limits(timeout=20)
LECTURE_OFFERED = {"+", "-", "*", "/", "**", "neg", "r+", "r*", "tanh", "exp"}


def notebook(cells: list[str]) -> dict:
    return {"cells": [{"cell_type": "code", "metadata": {}, "source": c.splitlines(True), "outputs": [],
                       "execution_count": None} for c in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("engines")
    (folder / "lecture.py").write_text(LECTURE)
    # The lecture notebook's way: magics, a shell line, the class in one cell, a cell that fails, use after.
    cells = ["%matplotlib inline\n!pip install nothing\nimport math", LECTURE, "raise RuntimeError('a scratch cell')",
             "%%timeit\nx = 1", "a = Value(2.0, label='a')\nb = a * 3\nb.backward()"]
    (folder / "lecture.ipynb").write_text(json.dumps(notebook(cells)))
    return folder


@pytest.fixture(scope="module")
def reports(files):
    """Each correct engine, checked once for the module."""
    micrograd_dir = Path(micrograd.__file__).parent
    return {
        "own package": check_path(ROOT / "engine", limits=LIMITS),
        "own file": check_path(ROOT / "engine" / "value.py", limits=LIMITS),
        "micrograd file": check_path(micrograd.engine.__file__, limits=LIMITS),
        "micrograd package": check_path(micrograd_dir, limits=LIMITS),
        "lecture file": check_path(files / "lecture.py", limits=LIMITS),
        "lecture notebook": check_path(files / "lecture.ipynb", limits=LIMITS),
    }


@pytest.mark.parametrize("name", ["own package", "own file", "micrograd file", "micrograd package", "lecture file",
                                  "lecture notebook"])
def test_a_correct_engine_passes_with_no_false_alarm(reports, name):
    report = reports[name]
    assert report.load_error is None, report.load_error
    bad = [(r.name, r.why) for r in report.results if r.status in ("fail", "error")]
    assert bad == []
    assert report.verdict == "pass" and report.exit_code == 0
    assert report.engine["class"] == "Value"
    assert (report.engine["data"], report.engine["grad"], report.engine["backward"]) == ("data", "grad", "backward")
    deep = next(r for r in report.results if r.op == "deep")
    assert deep.status == "pass"  # micrograd's recursive sort on a 2,000-deep chain is no false alarm


def test_what_each_engine_offers_is_learned_and_the_rest_is_not_offered(reports):
    assert set(reports["own package"].engine["offered"]) == set(OPS)
    assert set(reports["micrograd file"].engine["offered"]) == set(OPS) - {"tanh", "exp", "sigmoid", "log"}
    assert set(reports["lecture file"].engine["offered"]) == LECTURE_OFFERED
    for r in reports["lecture file"].results:
        if r.needs and not set(r.needs) <= LECTURE_OFFERED:
            assert r.status == "not offered", r.name
    groups = {g["op"]: g["status"] for g in reports["lecture file"].groups()}
    assert groups["r-"] == groups["r/"] == groups["log"] == "not offered"
    assert groups["tanh"] == groups["exp"] == groups["lesson"] == "passed"


def test_neuron_layer_and_mlp_are_checked_where_the_code_has_them(reports):
    def nn(report):
        return {r.name.split("(")[0]: (r.status, r.why) for r in report.results if r.op == "nn"}

    assert nn(reports["micrograd file"]) == {k: ("not offered", f"no {k} class") for k in ("Neuron", "Layer", "MLP")}
    for name in ("own package", "micrograd package", "lecture notebook"):
        got = nn(reports[name])
        assert {k: s for k, (s, _) in got.items()} == {"Neuron": "pass", "Layer": "pass", "MLP": "pass"}, (name, got)
    assert "relu, relu, linear" in nn(reports["micrograd package"])["MLP"][1]  # micrograd's own choice, found
    assert "tanh, tanh, tanh; no zero_grad()" in nn(reports["lecture notebook"])["MLP"][1]


def test_the_notebook_runs_code_cells_without_magics_and_notes_a_failing_cell(reports):
    report = reports["lecture notebook"]
    assert report.notes == ["cell 3 stopped: RuntimeError: a scratch cell (lecture.ipynb cell 3 line 1: "
                            "raise RuntimeError('a scratch cell'))"]


def test_a_class_in_the_session_is_checked_with_an_html_table_and_text(files):
    session = types.ModuleType("notebook_session")  # as a notebook's __main__: the class and its Neuron, Layer, MLP
    sys.modules[session.__name__] = session
    try:
        exec(compile(LECTURE, str(files / "lecture.py"), "exec"), vars(session))
        report = check_engine(session.Value, timeout=20)
    finally:
        del sys.modules[session.__name__]
    assert report.verdict == "pass"
    assert [r.status for r in report.results if r.op == "nn"] == ["pass", "pass", "pass"]
    html = report._repr_html_()
    assert "<table>" in html and "passed" in html and "not offered" in html
    assert str(report) == repr(report) == report.text()
    assert "Checked class Value" in str(report) and "passed" in str(report)
    with pytest.raises(TypeError):
        check_engine(3)


def _torch_values(steps):
    env = {}
    for name, op, args in steps:
        if op == "leaf":
            env[name] = torch.tensor(float(args[0]), dtype=torch.float64, requires_grad=True)
            continue
        xs = [env[a] if isinstance(a, str) else torch.tensor(float(a), dtype=torch.float64) for a in args]
        if op in ("+", "-", "*", "/"):
            x, y = xs
            t = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
        elif op == "**":
            t = xs[0] ** float(args[1])
        elif op == "neg":
            t = -xs[0]
        else:
            t = getattr(torch, op)(xs[0])
        t.retain_grad()
        env[name] = t
    env[steps[-1][0]].backward()
    return {name: (v.item(), v.grad.item() if v.grad is not None else 0.0) for name, v in env.items()}


@pytest.mark.parametrize("seed", [0, 7])
def test_every_checks_key_agrees_with_pytorch_and_with_the_mistake_free_replay(seed):
    checks = [c for c in draw(seed) if c.programs]
    assert len([c for c in checks if c.op in OPS]) >= 3 * len(OPS)
    for check in checks:
        ours = torch_ = _torch_values(check.program)
        replayed = replay(check.program)
        for name, (data, g) in check.expected.items():
            for other in (ours, replayed):
                assert math.isclose(other[name][0], data, rel_tol=1e-9, abs_tol=1e-12), (check.name, name)
                assert math.isclose(other[name][1], g, rel_tol=1e-9, abs_tol=1e-12), (check.name, name)
        assert torch_ is ours
    deep = next(c for c in checks if c.op == "deep")
    assert len(deep.program) == 2 * DEEP + 1


def test_a_fresh_seed_gives_fresh_checks_and_the_same_seed_the_same():
    a, b, c = draw(0), draw(0), draw(1)
    assert [x.expected for x in a] == [x.expected for x in b]
    assert [x.program for x in a if x.op in OPS] != [x.program for x in c if x.op in OPS]


def test_the_hand_work_catalogue_is_untouched_by_the_code_mistakes():
    import yaml

    from practice.resources import templates_dir

    hand = {}
    for path in sorted((templates_dir() / "grading").glob("*.yaml")):
        if path.name != "code.yaml":
            hand.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("mistakes") or {})
    assert {name: m.why for name, m in grade.catalogue().items()} == {n: e["why"].strip() for n, e in hand.items()}
    assert "missing-backward" not in grade.catalogue() and "no-visited" not in grade.catalogue()
    assert set(grade.texts("code_mistakes")) >= {"overwrite", "sign-slip", "missing-backward", "no-visited",
                                                 "swapped-reversed", "unlifted-numbers", "unseeded"}
    assert len(grade.catalogue()) == 22


def test_other_names_are_found_or_given_and_never_guessed_silently(tmp_path):
    renamed = LECTURE.replace("Value", "Tensor").replace("data", "number").replace("grad", "slope").replace(
        "backward", "propagate")
    path = tmp_path / "tensor.py"
    path.write_text(renamed)
    unnamed = check_path(path, limits=LIMITS)
    assert unnamed.verdict == "error"
    assert unnamed.load_error.startswith("no value class found (a class whose objects hold data and grad and have a "
                                         "backward method) among Tensor, Neuron, Layer, MLP; name it with --class")
    half = check_path(path, {"class": "Tensor"}, limits=LIMITS)
    assert half.load_error == ("class Tensor does not look like a value class: after Tensor(2.5), no attribute "
                               "(data, val, value, v, x) holds the number; its attributes are _op, _prev, _propagate, "
                               "label, number, slope: say which with --data")
    names = {"class": "Tensor", "data": "number", "grad": "slope", "backward": "propagate"}
    named = check_path(path, names, limits=LIMITS)
    assert named.verdict == "pass", named.headline()
    assert "as named with --class, --data, --grad, --backward" in named.text()
    path.write_text(LECTURE.replace("self.data", "self.val").replace("other.data", "other.val").replace(
        "out.data", "out.val").replace("def backward", "def backprop"))
    found = check_path(path, limits=LIMITS)
    assert (found.engine["data"], found.engine["backward"], found.verdict) == ("val", "backprop", "pass")
    assert "data in .val, grad in .grad, backward with .backprop() (found by looking" in found.text()


# ---------------------------------------------------------------- the command and its formats


def _run(*args, cwd=None):
    return subprocess.run(CLI + [str(a) for a in args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def mutant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mutant")
    source = inspect.getsource(micrograd.engine).replace(
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad")
    path = folder / "engine.py"
    path.write_text(source)
    return path


def test_json_is_the_documented_document_and_the_exit_status_says_pass_or_fail(mutant, tmp_path):
    good = _run(micrograd.engine.__file__, "--json")
    assert good.returncode == 0, good.stderr
    doc = json.loads(good.stdout)
    assert list(doc) == ["format", "verdict", "engine", "checks"]
    assert doc["format"] == "backprop-practice.check/1" and doc["verdict"] == "pass"
    assert list(doc["engine"]) == ["file", "class", "data", "grad", "backward", "offered"]
    for c in doc["checks"]:
        assert list(c) == ["name", "op", "status", "example", "expected", "got", "mistake", "why"]
        assert c["status"] in ("pass", "not offered")
    bad = _run(mutant, "--json", "--gradescope", tmp_path / "results.json")
    assert bad.returncode == 1, bad.stderr
    doc = json.loads(bad.stdout)
    assert doc["verdict"] == "fail"
    failure = next(c for c in doc["checks"] if c["op"] == "*" and c["status"] == "fail")
    assert failure == {
        "name": "a * a (one value used twice)", "op": "*", "status": "fail", "example": failure["example"],
        "expected": failure["expected"], "got": failure["got"], "mistake": "overwrite", "why": failure["why"]}
    a = failure["example"]["inputs"]["a"]
    assert failure["example"]["program"] == "t = a * a"
    assert failure["expected"] == {"a.grad": 2 * a} and failure["got"] == {"a.grad": a}
    assert "+=" in failure["why"]
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] == sum(t["score"] for t in results["tests"])
    for t in results["tests"]:
        assert {"name", "score", "max_score", "output"} <= set(t)
    mul = next(t for t in results["tests"] if t["name"] == "a * b")
    assert (mul["score"], mul["max_score"]) == (0, 1) and "use +=" in mul["output"].lower() or "+=" in mul["output"]
    add = next(t for t in results["tests"] if t["name"] == "a + b")
    assert (add["score"], add["max_score"]) == (1, 1)
    tanh = next(t for t in results["tests"] if t["name"] == "a.tanh()")
    assert (tanh["score"], tanh["max_score"], tanh["output"]) == (0, 0, "not offered (needs a.tanh())")


def test_the_same_seed_gives_the_same_report_whatever_the_hash_seed(mutant):
    """A correct engine's report is byte-identical. micrograd keeps a node's inputs in a set, so an engine
    that overwrites grads can visit them in another order from run to run and give other wrong numbers:
    its verdict, each check's status and each named mistake stay the same."""
    def run(path, hash_seed, seed="5"):
        out = subprocess.run(CLI + [str(path), "--json", "--seed", seed], capture_output=True, text=True,
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, timeout=300).stdout
        return out, [(c["name"], c["status"], c["mistake"]) for c in json.loads(out)["checks"]]

    good = [run(micrograd.engine.__file__, h)[0] for h in ("1", "2")]
    assert good[0] == good[1] and json.loads(good[0])["verdict"] == "pass"
    bad = [run(mutant, h)[1] for h in ("1", "2")]
    assert bad[0] == bad[1] and any(m == "overwrite" for _, _, m in bad[0])
    assert run(mutant, "1", "6")[0] != run(mutant, "1")[0]  # another seed, other checks


def test_a_folder_of_submissions_gives_one_csv_row_each(mutant, files, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.py").write_text(LECTURE)
    (folder / "bob.py").write_text(mutant.read_text())
    (folder / "cy.py").write_text("class Value:\n    def __init__(self, data:\n")
    (folder / "notes.txt").write_text("not a submission")
    run = _run(folder, "--csv", tmp_path / "summary.csv")
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert [r["submission"] for r in rows] == ["ada.py", "bob.py", "cy.py"]
    assert [r["verdict"] for r in rows] == ["pass", "fail", "error"]
    failed = rows[1]["failed ops"].split()
    assert failed[:5] == ["-", "*", "/", "neg", "shared"] and set(failed[5:]) <= {"generated"}  # set order: see above
    assert rows[1]["mistakes"] == "overwrite"
    assert rows[2]["message"].startswith("loading the code failed: SyntaxError")
    assert len(run.stdout.splitlines()) == 3


@pytest.mark.parametrize("args, message", [
    (["no/such/file.py"], "no such file or folder"),
    (["README.md"], "is not a .py file, a package folder or an .ipynb notebook"),
    (["tests"], "folder without __init__.py"),
    (["{empty}", "--csv", "{empty}/x.csv"], "holds no .py file, notebook or package folder"),
    (["engine/value.py", "--csv", "{empty}/x.csv"], "is not a folder; --csv checks every submission"),
    (["engine/value.py", "--timeout", "0"], "Invalid value for '--timeout'"),
])
def test_bad_usage_is_one_line_and_exit_2(args, message, tmp_path):
    run = _run(*[a.format(empty=tmp_path) for a in args], cwd=ROOT)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and message in run.stderr, run.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_terminal_report_reads_as_a_learner_needs(mutant):
    run = _run(mutant)
    assert run.returncode == 1
    text = run.stdout
    print(text)  # looked at: pytest -s shows it
    assert "Checked class Value in" in text and "found by looking" in text
    assert "a * b fails: a * a (one value used twice)" in text
    assert "Mistake (overwrite):" in text and "Fix: Write `self.grad += ...`" in text
    assert "Your line: engine.py line 29: self.grad = other.data * out.grad" in text
    assert "not offered  a.tanh()" in text
