"""The bundled concept cards: coverage, markup, every numeric claim (engine, PyTorch, finite differences), and the loader's errors."""

import math
import re
from collections import Counter

import pytest
import torch

from engine.nn import MLP
from practice.anki.concepts import _evaluate, default_concepts_path, load_concepts, run_check
from practice.errors import UserError

CARDS = load_concepts(default_concepts_path())
CHECKED = [c for c in CARDS if "check" in c]
OPS = ("add", "sub", "mul", "div", "pow", "tanh", "exp", "relu", "log", "sigmoid")
TEXT_FIELDS = ("front", "back", "text", "extra")
ALLOWED_TAGS = {"b", "i", "code", "br", "ul", "ol", "li", "sub", "sup"}


def texts(card):
    return [card[f] for f in TEXT_FIELDS if f in card]


# --- coverage -----------------------------------------------------------------------------------


def test_enough_cards_with_unique_keys():
    assert len(CARDS) >= 36
    keys = [c["key"] for c in CARDS]
    assert len(set(keys)) == len(keys)


def test_every_objective_has_at_least_two_cards():
    per = Counter(c["objective"] for c in CARDS)
    assert {o: per[o] for o in range(1, 11) if per[o] < 2} == {}


def test_some_cards_are_cloze():
    assert sum(c["type"] == "cloze" for c in CARDS) >= 4


@pytest.mark.parametrize("op", OPS)
def test_every_op_has_a_local_derivative_card(op):
    cards = [c for c in CARDS if f"op-{op}" in c["tags"] and "local-derivatives" in c["tags"]]
    assert cards, f"no local-derivative card tagged op-{op}"
    assert all(c["objective"] == 4 for c in cards)


def test_cards_with_worked_numbers_carry_checks():
    """A rough net: 'something = number' in a card's text means a worked number, which needs a check."""
    claim = re.compile(r"=\s*(?:\\\(\s*)?[-(]?\d")
    unchecked = [c["key"] for c in CARDS if "check" not in c and any(claim.search(t) for t in texts(c))]
    assert unchecked == []


def test_parameter_count_cards_match_the_engine():
    by_key = {c["key"]: c for c in CARDS}
    assert len(MLP(3, [4, 4, 1]).parameters()) == by_key["mlp-parameter-count"]["check"]["expect"]["n"] == 41
    assert len(MLP(2, [16, 16, 1]).parameters()) == by_key["moons-parameter-count"]["check"]["expect"]["n"] == 337


# --- markup -------------------------------------------------------------------------------------


@pytest.mark.parametrize("card", CARDS, ids=lambda c: c["key"])
def test_markup_is_anki_safe(card):
    for text in texts(card):
        assert "$" not in text
        assert text.count(r"\(") == text.count(r"\)"), "unbalanced \\( \\)"
        assert text.count(r"\[") == text.count(r"\]"), "unbalanced \\[ \\]"
        for m in re.finditer(r"<", text):
            tag = re.match(r"</?([a-z]+)\s*/?>", text[m.start():])
            assert tag and tag.group(1) in ALLOWED_TAGS, f"raw '<' or unexpected tag at {text[m.start():m.start() + 20]!r}"
        if card["type"] == "basic":
            assert "{{c" not in text


@pytest.mark.parametrize("card", [c for c in CARDS if c["type"] == "cloze"], ids=lambda c: c["key"])
def test_cloze_deletions_close_where_intended(card):
    deletions = re.findall(r"\{\{c(\d+)::(.*?)\}\}", card["text"], flags=re.S)
    numbers = sorted({int(n) for n, _ in deletions})
    assert numbers == list(range(1, len(numbers) + 1))
    for _, content in deletions:
        # Anki ends a deletion at the first '}}': a brace or math left open means it ended too early
        assert content.count("{") == content.count("}"), content
        assert content.count(r"\(") == content.count(r"\)"), content
    rest = re.sub(r"\{\{c\d+::.*?\}\}", "", card["text"], flags=re.S)
    assert "{{" not in rest and "}}" not in rest


# --- every check, three ways --------------------------------------------------------------------


def close(a, b, rel=1e-9, abs_=1e-12):
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


@pytest.mark.parametrize("card", CHECKED, ids=lambda c: c["key"])
def test_check_holds_on_the_engine(card):
    got = run_check(card["check"])
    for name, want in card["check"]["expect"].items():
        assert close(got[name], want), f"{name}: engine {got[name]!r}, card says {want!r}"


def _torch_run(check):
    def leaf(x):
        return torch.tensor(float(x), dtype=torch.float64, requires_grad=True)

    def lift(f):
        return lambda x: f(torch.as_tensor(x, dtype=torch.float64))

    functions = {
        "tanh": lift(torch.tanh),
        "exp": lift(torch.exp),
        "relu": lift(torch.relu),
        "log": lift(torch.log),
        "sigmoid": lift(torch.sigmoid),
    }
    env = _evaluate(check["program"], check.get("values", {}), leaf=leaf, functions=functions)
    for t in env.values():
        if not t.is_leaf:
            t.retain_grad()
    list(env.values())[-1].backward()
    out = {}
    for name, t in env.items():
        out[name] = t.item()
        out[f"{name}.grad"] = 0.0 if t.grad is None else t.grad.item()
    return out


@pytest.mark.parametrize("card", CHECKED, ids=lambda c: c["key"])
def test_check_holds_in_pytorch_float64(card):
    ours, theirs = run_check(card["check"]), _torch_run(card["check"])
    assert ours.keys() == theirs.keys()
    for name in ours:
        assert close(ours[name], theirs[name]), f"{name}: engine {ours[name]!r}, torch {theirs[name]!r}"
    for name, want in card["check"]["expect"].items():
        assert close(theirs[name], want), f"{name}: torch {theirs[name]!r}, card says {want!r}"


FLOAT_FUNCTIONS = {
    "tanh": math.tanh,
    "exp": math.exp,
    "relu": lambda x: max(x, 0.0),
    "log": math.log,
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
}


def _output(check, nudge):
    env = _evaluate(check["program"], check.get("values", {}), leaf=float, functions=FLOAT_FUNCTIONS, nudge=nudge)
    return list(env.values())[-1]


@pytest.mark.parametrize("card", CHECKED, ids=lambda c: c["key"])
def test_check_grads_match_central_differences(card):
    check, h = card["check"], 1e-6
    grads = {k[: -len(".grad")]: v for k, v in check["expect"].items() if k.endswith(".grad")}
    for name, want in grads.items():
        estimate = (_output(check, {name: h}) - _output(check, {name: -h})) / (2 * h)
        assert math.isclose(estimate, want, rel_tol=1e-5, abs_tol=1e-6), f"{name}.grad: finite difference {estimate!r}"


def test_run_check_reports_every_name_and_grad():
    assert run_check({"program": "b = a + a", "values": {"a": 3}}) == {"a": 3.0, "a.grad": 2.0, "b": 6.0, "b.grad": 1.0}
    got = run_check({"program": "c = a * b\nd = c - a / b; e = -d ** 2", "values": {"a": 2, "b": 4}})
    assert close(got["e"], -(8 - 0.5) ** 2) and close(got["a.grad"], -2 * 7.5 * (4 - 0.25))


# --- loader errors ------------------------------------------------------------------------------

GOOD = """\
cards:
  - key: local-add
    type: basic
    objective: 4
    tags: [op-add]
    front: "What does + send back?"
    back: "The incoming grad, to both inputs."
"""


def load_text(tmp_path, text):
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return load_concepts(path)


def error(tmp_path, text):
    with pytest.raises(UserError) as info:
        load_text(tmp_path, text)
    message = str(info.value)
    assert "\n" not in message and "mine.yaml" in message
    return message


def test_a_good_file_loads(tmp_path):
    assert [c["key"] for c in load_text(tmp_path, GOOD)] == ["local-add"]


def test_duplicate_card_key(tmp_path):
    message = error(tmp_path, GOOD + GOOD.split("\n", 1)[1])
    assert "'local-add'" in message and "#2" in message and "unique" in message


def test_unknown_field(tmp_path):
    message = error(tmp_path, GOOD + "    hint: nope\n")
    assert "'hint'" in message and "allowed fields" in message and "front" in message


def test_cloze_without_c1(tmp_path):
    message = error(tmp_path, "cards:\n  - {key: upd, type: cloze, objective: 2, text: 'p.data -= {{c2::lr * p.grad}}'}\n")
    assert "'upd'" in message and "'text'" in message and "{{c1::" in message


def test_dollar_math(tmp_path):
    message = error(tmp_path, GOOD.replace("The incoming grad", "$1$ times the incoming grad"))
    assert "'back'" in message and "\\(" in message and "$" in message


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    message = error(tmp_path, GOOD.replace("    objective: 4", "    objective: [4"))
    assert re.search(r"line \d+, column \d+", message)
    message = error(tmp_path, "cards:\n  - key: a\n   type: basic\n")
    assert "line 3" in message


def test_field_given_twice_is_a_yaml_error(tmp_path):
    message = error(tmp_path, GOOD + "    front: again\n")
    assert "line 8" in message and "'front'" in message


@pytest.mark.parametrize(
    "change, words",
    [
        (("objective: 4", "objective: 11"), ["'objective'", "1-10"]),
        (("objective: 4", "objective: four"), ["'objective'", "1-10"]),
        (("key: local-add", "key: Local_Add"), ["card #1", "'key'", "lowercase"]),
        (("type: basic", "type: basci"), ["'type'", "'basic' or 'cloze'"]),
        (("tags: [op-add]", "tags: [Op Add]"), ["'tags'", "lowercase"]),
        (('    back: "The incoming grad, to both inputs."\n', ""), ["'back'", "required"]),
    ],
)
def test_bad_fields(tmp_path, change, words):
    message = error(tmp_path, GOOD.replace(*change))
    for word in words:
        assert word in message


def test_basic_card_with_cloze_text(tmp_path):
    message = error(tmp_path, GOOD + "    text: '{{c1::x}}'\n")
    assert "'text'" in message and "front and back" in message


@pytest.mark.parametrize(
    "top",
    ["", "- a\n- b\n", "cards: nope\n", "cards: []\n", "cards: [1]\n", "cards: []\nextra: 1\n"],
)
def test_bad_top_level(tmp_path, top):
    error(tmp_path, top)


@pytest.mark.parametrize(
    "check, words",
    [
        ("{program: 'b = a + a', values: {a: 3}, expect: {b.grad: 1.0e-4, c: 1}}", ["'c'", "neither"]),
        ("{program: 'b = __import__(\"os\")', values: {}, expect: {b: 1}}", ["check.program", "unsupported"]),
        ("{program: 'b = a.data', values: {a: 1}, expect: {b: 1}}", ["check.program", "unsupported"]),
        ("{program: 'b = 2 ** a', values: {a: 1}, expect: {b: 2}}", ["check.program", "constant"]),
        ("{program: 'b = c + 1', values: {a: 1}, expect: {b: 2}}", ["check.program", "'c'"]),
        ("{program: 'b = a; b = a + 1', values: {a: 1}, expect: {b: 2}}", ["check.program", "'b'"]),
        ("{program: 'b = a +', values: {a: 1}, expect: {b: 2}}", ["check.program", "not valid"]),
        ("{program: 'a + 1', values: {a: 1}, expect: {a: 1}}", ["check.program", "assignments"]),
        ("{program: 'b = a', values: {a: one}, expect: {b: 1}}", ["check.values", "numbers"]),
        ("{program: 'b = a', values: {a: 1}, expect: {b: 1e-4}}", ["check.expect", "1.0e-4"]),
        ("{program: 'b = a', values: {a: 1}, expect: {b: 1}, run: yes}", ["check.run"]),
    ],
)
def test_bad_checks(tmp_path, check, words):
    message = error(tmp_path, GOOD + f"    check: {check}\n")
    assert "'local-add'" in message
    for word in words:
        assert word in message


def test_missing_file(tmp_path):
    with pytest.raises(UserError, match="no such concepts file"):
        load_concepts(tmp_path / "absent.yaml")
