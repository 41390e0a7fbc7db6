"""Concept flashcards: load and validate decks/concepts.yaml, and run the small numeric checks cards carry."""

import ast
import math
import operator
import re
from pathlib import Path

import yaml

from engine import Value

from ..errors import UserError
from ..resources import decks_dir

KEY_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CARD_FIELDS = {"basic": ("front", "back"), "cloze": ("text",)}
COMMON_REQUIRED = {"key", "type", "objective"}
OPTIONAL = {"extra", "tags", "check"}
ALLOWED = COMMON_REQUIRED | OPTIONAL | set(CARD_FIELDS["basic"]) | set(CARD_FIELDS["cloze"])
TEXT_FIELDS = ("front", "back", "text", "extra")
CHECK_FIELDS = {"program", "values", "expect"}
FUNCTIONS = ("tanh", "exp", "relu", "log", "sigmoid")


def default_concepts_path() -> Path:
    return decks_dir() / "concepts.yaml"


class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (plain PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, (str, int, float)):
                continue  # odd keys are left to PyYAML's own checks
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"field {key!r} is given twice in one mapping", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def load_concepts(path) -> list[dict]:
    """The cards of a concepts file, validated; any problem is a one-line UserError naming file, card and field."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such concepts file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read concepts file ({e})") from None
    try:
        doc = yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "somewhere"
        problem = " ".join(str(e.problem or e.context or "invalid YAML").split())
        raise UserError(f"{path}: YAML error at {where}: {problem}") from None
    except yaml.YAMLError as e:
        raise UserError(f"{path}: YAML error: {' '.join(str(e).split())}") from None

    if not isinstance(doc, dict) or not isinstance(doc.get("cards"), list):
        raise UserError(f"{path}: expected a mapping with a 'cards' list at the top")
    extra_top = sorted(set(doc) - {"cards"}, key=str)
    if extra_top:
        raise UserError(f"{path}: unknown top-level field {extra_top[0]!r}; only 'cards' is allowed")

    cards, keys = [], set()
    for index, card in enumerate(doc["cards"]):
        _validate_card(path, index, card, keys)
        cards.append(card)
    if not cards:
        raise UserError(f"{path}: 'cards' is empty; add at least one card")
    return cards


def _validate_card(path, index, card, keys):
    who = f"card #{index + 1}"

    def fail(field, problem):
        raise UserError(f"{path}: {who}: field {field!r} {problem}")

    if not isinstance(card, dict):
        raise UserError(f"{path}: {who}: expected a mapping with key, type, objective, ...; got {_short(card)}")
    key = card.get("key")
    if not isinstance(key, str) or not KEY_RE.match(key):
        fail("key", f"must be lowercase words joined by '-', like 'local-add'; got {_short(key)}")
    who = f"card '{key}' (#{index + 1})"
    if key in keys:
        fail("key", "is used by an earlier card; every key must be unique")
    keys.add(key)

    unknown = sorted(set(card) - ALLOWED, key=str)
    if unknown:
        fail(unknown[0], f"is not allowed; allowed fields: {', '.join(sorted(ALLOWED))}")
    kind = card.get("type")
    if not isinstance(kind, str) or kind not in CARD_FIELDS:
        fail("type", f"must be 'basic' or 'cloze'; got {_short(kind)}")
    for field in sorted(COMMON_REQUIRED) + list(CARD_FIELDS[kind]):
        if field not in card:
            fail(field, f"is required for a {kind} card")
    other = CARD_FIELDS["cloze" if kind == "basic" else "basic"]
    for field in other:
        if field in card:
            fail(field, f"belongs to the other card type; a {kind} card uses {' and '.join(CARD_FIELDS[kind])}")

    for field in TEXT_FIELDS:
        if field in card:
            value = card[field]
            if not isinstance(value, str) or not value.strip():
                fail(field, f"must be non-empty text; got {_short(value)}")
            if "$" in value:
                fail(field, "contains '$'; Anki math is \\( ... \\) inline or \\[ ... \\] display, never $")
    if kind == "cloze" and "{{c1::" not in card["text"]:
        fail("text", "needs at least one cloze deletion starting with {{c1::...}}")

    objective = card["objective"]
    if isinstance(objective, bool) or not isinstance(objective, int) or not 1 <= objective <= 10:
        fail("objective", f"must be a whole number 1-10 (a LESSON.md objective); got {_short(objective)}")

    tags = card.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and KEY_RE.match(t) for t in tags):
        fail("tags", f"must be a list of lowercase words (a-z, 0-9, '-'), like [chain-rule]; got {_short(tags)}")

    if "check" in card:
        _validate_check(card["check"], fail)
    card.setdefault("tags", [])


def _validate_check(check, fail):
    if not isinstance(check, dict):
        fail("check", f"must be a mapping with program, values, expect; got {_short(check)}")
    unknown = sorted(set(check) - CHECK_FIELDS, key=str)
    if unknown:
        fail(f"check.{unknown[0]}", "is not allowed; a check has program, values, expect")
    program = check.get("program")
    if not isinstance(program, str) or not program.strip():
        fail("check.program", "must be text like 'b = a + a'")
    values = check.get("values", {})
    if not isinstance(values, dict) or not all(isinstance(k, str) and _is_number(v) for k, v in values.items()):
        fail("check.values", f"must map names to numbers, like {{a: 3}}; got {_short(values)}")
    try:
        steps, problem = _parse(program, values), None
    except ValueError as e:
        steps, problem = [], str(e)
    if problem:
        fail("check.program", problem)
    names = set(values) | {name for name, _ in steps}
    expect = check.get("expect")
    if not isinstance(expect, dict) or not expect:
        fail("check.expect", "must map node names or NAME.grad to numbers, like {a.grad: 2}")
    for name, number in expect.items():
        base = name[:-5] if isinstance(name, str) and name.endswith(".grad") else name
        if base not in names:
            fail("check.expect", f"names {_short(name)}, which the program neither assigns nor gets in values")
        if not _is_number(number):
            fail("check.expect", f"{name}: expected a number; got {_short(number)} (write 1e-4 as 1.0e-4)")


# --- the tiny expression language of card checks -------------------------------------------------

_BINOPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def _parse(program: str, values) -> list[tuple[str, ast.expr]]:
    """Statements `name = expr`, each name assigned once, every name defined before use; ValueError otherwise."""
    try:
        tree = ast.parse(program, mode="exec")
    except SyntaxError as e:
        raise ValueError(f"is not valid: {e.msg} at column {e.offset}") from None
    defined = set(values)
    for name in defined:
        if not name.isidentifier() or name in FUNCTIONS:
            raise ValueError(f"cannot use {name!r} as a value name")
    steps = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)):
            raise ValueError("must be assignments 'name = expression' separated by ';'")
        name = stmt.targets[0].id
        if name in defined or name in FUNCTIONS:
            raise ValueError(f"assigns {name!r}, which is already a value, function or earlier name")
        _check_expr(stmt.value, defined)
        defined.add(name)
        steps.append((name, stmt.value))
    if not steps:
        raise ValueError("has no statements")
    return steps


def _check_expr(node, defined):
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return
    if isinstance(node, ast.Name):
        if node.id not in defined:
            raise ValueError(f"uses {node.id!r} before it is given a value")
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _check_expr(node.operand, defined)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        _check_expr(node.left, defined)
        return _check_expr(node.right, defined)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
        if _constant(node.right) is None:
            raise ValueError("may only raise to a constant number, like x ** 2 or b ** -1")
        return _check_expr(node.left, defined)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
        if len(node.args) != 1 or node.keywords:
            raise ValueError(f"{node.func.id}() takes exactly one argument")
        return _check_expr(node.args[0], defined)
    raise ValueError(
        f"has unsupported {ast.unparse(node)!r}; use names, numbers, + - * / **, and {', '.join(FUNCTIONS)}"
    )


def _constant(node):
    if isinstance(node, ast.Constant) and _is_number(node.value):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _constant(node.operand)
        return None if inner is None else -inner
    return None


def _lift(x):
    return x if isinstance(x, Value) else Value(x)


ENGINE_FUNCTIONS = {
    "tanh": lambda x: _lift(x).tanh(),
    "exp": lambda x: _lift(x).exp(),
    "relu": lambda x: _lift(x).relu(),
    "log": lambda x: _lift(x).log(),
    "sigmoid": lambda x: _lift(x).sigmoid(),
}


def _evaluate(program, values, leaf=Value, functions=None, nudge=None):
    """Build the program's graph; returns {name: node} in order of definition.

    `leaf` makes a node from a number and `functions` maps tanh/exp/... to callables, so the same walk builds
    engine Values, torch tensors or plain floats. `nudge` {name: h} adds h to that node as it is made
    (for finite differences on plain floats).
    """
    functions = functions or ENGINE_FUNCTIONS
    nudge = nudge or {}
    env = {}

    def walk(node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            x = walk(node.operand)
            return -x if isinstance(node.op, ast.USub) else x
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return walk(node.left) ** _constant(node.right)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        return functions[node.func.id](walk(node.args[0]))

    for name, number in values.items():
        env[name] = leaf(number + nudge.get(name, 0.0))
    for name, expr in _parse(program, values):
        result = walk(expr)
        if isinstance(result, (int, float)):  # a constant expression still becomes a node
            result = leaf(result)
        env[name] = result + nudge[name] if name in nudge else result
    return env


def run_check(check) -> dict[str, float]:
    """Run a card's check on the engine: each name's data and NAME.grad after backward from the last statement."""
    values = check.get("values", {})
    env = _evaluate(check["program"], values)
    list(env.values())[-1].backward()
    out = {}
    for name, node in env.items():
        out[name] = node.data
        out[f"{name}.grad"] = node.grad
    return out
