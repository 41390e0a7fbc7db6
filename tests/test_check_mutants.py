"""Mutants of micrograd's engine (PyPI micrograd==0.1.0), one per catalogued code mistake: each is failed on
the op it breaks and only there, with the mistake named (and the learner's own line pointed at).

micrograd builds some ops from others (a - b is a + (-b), -a is a * -1, a / b is a * b**-1, 2 * a is a * 2),
so a mistake in one method breaks exactly the ops that run through it: each mutant says which those are.
Graph checks (the lesson's examples, generated problems, ...) that use a broken op may fail too, and each
such failure must either name the mistake or say which failing op it uses.
"""

import inspect

import micrograd.engine
import pytest

from practice.check.api import check_path
from practice.check.checks import OPS
from practice.check.sandbox import Limits

MICROGRAD = inspect.getsource(micrograd.engine)
# The lecture's tanh and exp, added so that their mistakes have somewhere to live.
EXTRA = '''
    def tanh(self):
        import math
        t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)
        out = Value(t, (self,), 'tanh')

        def _backward():
            self.grad += (1 - t**2) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        import math
        out = Value(math.exp(self.data), (self,), 'exp')

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out
'''
BASE = MICROGRAD.replace("    def backward(self):", EXTRA.lstrip("\n") + "\n    def backward(self):")
DIRECT_SUB = '''    def __sub__(self, other): # self - other
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data - other.data, (self, other), '-')

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
'''


def _sub(text: str, old: str, new: str, count: int = 1) -> str:
    assert text.count(old) >= count, old
    return text.replace(old, new, count)


def _in(method: str, old: str, new: str):
    """Replace `old` by `new` inside one method of the base source only."""
    def mutate(text):
        start = text.index(f"    def {method}(")
        end = text.index("\n    def ", start + 10)
        return text[:start] + _sub(text[start:end], old, new, old.count("\n") * 0 + 1) + text[end:]
    return mutate


def _all_in(method: str, old: str, new: str):
    def mutate(text):
        start = text.index(f"    def {method}(")
        end = text.index("\n    def ", start + 10)
        return text[:start] + text[start:end].replace(old, new) + text[end:]
    return mutate


# name: (mutation, mistake named, ops that fail, the learner's line must contain)
MUTANTS = {
    "overwrite in +": (_all_in("__add__", ".grad += out.grad", ".grad = out.grad"), "overwrite", {"+"}, "self.grad = out.grad"),
    # -a is a * -1 and a - b is a + (-b): a value used twice in them meets __mul__'s overwrite.
    # a / b is a * b**-1: "a / b, a used again" runs a's grad through __mul__.
    "overwrite in *": (_all_in("__mul__", ".grad += ", ".grad = "), "overwrite", {"*", "neg", "-", "/"}, "self.grad = other.data"),
    # Only self's line: a * a still comes out right (the second line adds), so only "a used again" shows it.
    "overwrite of self in *": (_in("__mul__", "self.grad += ", "self.grad = "), "overwrite", {"*", "neg", "-", "/"},
                               "self.grad = other.data"),
    # a / a is a * a**-1.
    "overwrite in **": (_in("__pow__", "self.grad += ", "self.grad = "), "overwrite", {"**", "/"}, "self.grad = (other"),
    "overwrite in relu": (_in("relu", "self.grad += ", "self.grad = "), "overwrite", {"relu"}, "self.grad = (out.data"),
    "overwrite in tanh": (_in("tanh", "self.grad += ", "self.grad = "), "overwrite", {"tanh"}, "self.grad = (1 - t**2)"),
    "overwrite in exp": (_in("exp", "self.grad += ", "self.grad = "), "overwrite", {"exp"}, "self.grad = out.data"),
    "sign slip": (lambda t: _sub(t, "    def __sub__(self, other): # self - other\n        return self + (-other)\n", DIRECT_SUB),
                  "sign-slip", {"-"}, "other.grad += out.grad"),
    "wrong operand": (_in("__mul__", "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
                          "self.grad += self.data * out.grad\n            other.grad += other.data * out.grad"),
                      "wrong-operand", {"*", "neg", "-", "/", "r*", "r-", "r/"}, "self.grad += self.data"),
    "tanh from its input": (_in("tanh", "(1 - t**2)", "(1 - self.data**2)"), "tanh-from-input", {"tanh"}, "1 - self.data**2"),
    # a / b is a * b**-1 and 2 / a is 2 * a**-1.
    "power rule": (_in("__pow__", "self.data**(other-1)", "self.data**other"), "power-rule", {"**", "/", "r/"}, "self.data**other"),
    "missing _backward": (_in("tanh", "        out._backward = _backward\n", ""), "missing-backward", {"tanh"}, "def tanh"),
    "no visited set": (_in("backward", "            if v not in visited:\n                visited.add(v)\n                for child",
                           "            if True:\n                for child"), "no-visited", set(), "for child in v._prev"),
    "swapped reversed op": (_in("__rsub__", "return other + (-self)", "return self - other"), "swapped-reversed", {"r-"},
                            "return self - other"),
    # a - 2 is a + (-2), 2 + a is a + 2 and 2 - a is 2 + (-a): each meets a plain number in __add__.
    "unlifted numbers": (_in("__add__", "        other = other if isinstance(other, Value) else Value(other)\n", ""),
                         "unlifted-numbers", {"+", "r+", "-", "r-"}, "other.data"),
    "forgotten upstream factor": (_in("relu", "(out.data > 0) * out.grad", "(out.data > 0)"), "upstream-forgotten", {"relu"},
                                  "self.grad += (out.data > 0)"),
    "unseeded output": (_in("backward", "        self.grad = 1\n", ""), "unseeded", set(OPS) - {"sigmoid", "log"}, "def backward"),
}

# Where a mistake must show when it is not in an op: the graph check that catches it.
GRAPH = {"no-visited": "shared", "unseeded": "backward"}


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mutants")
    out = {}
    for i, (name, (mutate, *_)) in enumerate(MUTANTS.items()):
        path = folder / f"mutant{i}.py"
        source = mutate(BASE)
        assert source != BASE, name
        path.write_text(source)
        out[name] = check_path(path, limits=Limits(timeout=20))
    base = folder / "base.py"
    base.write_text(BASE)
    out["base"] = check_path(base, limits=Limits(timeout=20))
    return out


def test_the_unmutated_base_passes(reports):
    assert reports["base"].verdict == "pass", reports["base"].headline()


@pytest.mark.parametrize("name", list(MUTANTS))
def test_each_mutant_fails_on_the_ops_it_breaks_and_only_there_with_the_mistake_named(reports, name):
    _, mistake, ops, line = MUTANTS[name]
    report = reports[name]
    assert report.verdict == "fail"
    groups = {g["op"]: g for g in report.groups()}
    failed = {op for op, g in groups.items() if g["status"] == "failed" and op in OPS}
    assert failed == ops, report.headline()
    where = [groups[op] for op in ops] or [groups[GRAPH[mistake]]]
    for g in where:
        first = g["first"]
        assert first.mistake == mistake, (g["op"], first.name, first.why)
        assert line in (first.line or ""), (g["op"], first.line)
        assert first.why and first.fix
    for r in report.results:  # every other failure is the same mistake, or says which failing op it goes through
        if r.status in ("fail", "error"):
            assert r.mistake == mistake or r.blocked_by or "which fail" in (r.why or ""), (r.name, r.why)


def test_a_failure_shows_its_smallest_example_with_expected_and_got(reports):
    first = {g["op"]: g["first"] for g in reports["sign slip"].groups()}["-"]
    assert first.name == "a - b" and first.example["program"] == "t = a - b"
    assert first.expected == {"b.grad": -1.0} and first.got == {"b.grad": 1.0}
    first = {g["op"]: g["first"] for g in reports["swapped reversed op"].groups()}["r-"]
    k = float(first.example["program"].split(" - ")[0].split("= ")[1])
    a = first.example["inputs"]["a"]
    assert first.expected["t.data"] == pytest.approx(k - a) and first.got["t.data"] == pytest.approx(a - k)


def test_an_op_that_cannot_run_is_failed_with_the_error_and_the_learners_line(tmp_path):
    """micrograd's a - b is a + (-b): without __neg__, - cannot run; unary minus itself is not offered."""
    path = tmp_path / "noneg.py"
    path.write_text(_sub(BASE, "    def __neg__(self): # -self\n        return self * -1\n", ""))
    report = check_path(path, limits=Limits(timeout=20))
    groups = {g["op"]: g for g in report.groups()}
    assert groups["neg"]["status"] == "not offered"
    assert groups["-"]["status"] == "failed"
    first = groups["-"]["first"]
    assert first.status == "error" and first.why.startswith("TypeError: bad operand type for unary -: 'Value' (noneg.py line ")
    assert first.why.endswith(": return self + (-other))")
