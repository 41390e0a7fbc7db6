"""Turn a learner's small program into an engine graph, with Python's `ast` and a whitelist (never eval)."""

import ast
import functools
import math
import re
import sys
from contextlib import contextmanager

from engine import DomainError, Value

from .errors import UserError, short
from .record import BINARY_OPS

FUNCTIONS = ("tanh", "exp", "relu", "log", "sigmoid")
BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MAX_NODES = 2000
MAX_PROGRAM_CHARS = 100_000
# What people copy from a question or a worked step (`L = b × h`, `a = −2.1`, `e^2`), in solve syntax.
TYPOGRAPHY = str.maketrans({"\u2212": "-", "\u2013": "-", "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u00f7": "/", "^": "**", "\u00a0": " ",
                            "\u03c3": "sigmoid"})
# Powers as questions print them (x², e⁻¹): a run of superscript digits, with its sign, is one exponent.
SUPERSCRIPTS = re.compile("[\u207b\u207a]?[\u2070\u00b9\u00b2\u00b3\u2074-\u2079]+")
PLAIN = str.maketrans("\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b\u207a", "0123456789-+")


def typography(text: str) -> str:
    """Text copied from a question or a worked step, in solve syntax: x² -> x**(2), − -> -, × -> *, σ -> sigmoid."""
    text = SUPERSCRIPTS.sub(lambda m: f"**({m.group().translate(PLAIN)})", text)
    return text.translate(TYPOGRAPHY)


@contextmanager
def _deep_enough():
    """Room on the Python stack for MAX_NODES nested operations (the builder recurses once per operation)."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 3 * MAX_NODES + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def _what(node: ast.AST) -> str:
    if isinstance(node, ast.BinOp):
        return f"the operator {type(node.op).__name__}"
    if isinstance(node, ast.Call):
        func = node.func.id if isinstance(node.func, ast.Name) else "this"
        return f"calling {func}()"
    return {
        ast.Attribute: "attribute access (.)", ast.Subscript: "indexing ([])", ast.Compare: "comparisons",
        ast.BoolOp: "and/or", ast.Lambda: "lambda", ast.IfExp: "if/else", ast.Starred: "*",
    }.get(type(node), f"{type(node).__name__} expressions")


class Builder:
    """Walks the syntax tree and builds Values; leaves come from `values`."""

    def __init__(self, values: dict[str, float]):
        self.values = dict(values)
        self.nodes: dict[str, Value] = {}
        self.count = 0

    def number(self, node) -> float | None:
        """A numeric literal, allowing a leading minus: 3, 2.5, -1."""
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            try:
                return float(node.value)
            except OverflowError:
                raise UserError(f"the number {short(node.value, 20)} is too large for a float") from None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.number(node.operand)
            if inner is not None:
                return -inner if isinstance(node.op, ast.USub) else inner
        return None

    def expr(self, node) -> Value:
        self.count += 1
        if self.count > MAX_NODES:
            raise UserError(f"the program is too long: at most {MAX_NODES} operations and numbers")
        literal = self.number(node)
        if literal is not None:
            if not math.isfinite(literal):
                raise UserError("numbers must be finite")
            return Value(literal)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
            left = self.expr(node.left)
            if isinstance(node.op, ast.Pow):
                k = self.number(node.right)
                if k is None:
                    raise UserError("the exponent after ** must be a number, such as x**2 or x**-1")
                return self.apply(lambda: left**k)
            right = self.expr(node.right)
            op = BINARY[type(node.op)]
            return self.apply(lambda: BINARY_OPS[op](left, right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            inner = self.expr(node.operand)
            return self.apply(lambda: -inner)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            return self.expr(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS:
            if len(node.args) != 1 or node.keywords:
                raise UserError(f"{node.func.id}() takes exactly one argument")
            inner = self.expr(node.args[0])
            return self.apply(lambda: getattr(inner, node.func.id)())
        allowed = "names, numbers, + - * / **, unary minus and " + ", ".join(f"{f}()" for f in FUNCTIONS)
        raise UserError(f"{_what(node)} is not allowed; a program may use only {allowed}")

    def name(self, name: str) -> Value:
        if name in self.nodes:
            return self.nodes[name]
        if name in FUNCTIONS:
            raise UserError(f"{name} is a function: write {name}(x)")
        if name not in self.values:
            raise UserError(f"{name} is not defined: give it a value, e.g. {name}=2, or assign it in an earlier statement")
        leaf = Value(self.values[name], label=name)
        self.nodes[name] = leaf
        return leaf

    @staticmethod
    def apply(make) -> Value:
        try:
            out = make()
        except DomainError as exc:
            raise UserError(f"math error: {exc}") from None
        if not math.isfinite(out.data):
            raise UserError("math error: a value became too large for a float")
        return out


def parse_values(pairs) -> dict[str, float]:
    """NAME=VALUE arguments into a mapping, with clear errors."""
    values = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        name, text = name.strip(), typography(text.strip())
        if not eq or not NAME.match(name):
            raise UserError(f"{short(pair)} is not NAME=VALUE with a plain name (letters, digits, _), e.g. a=2")
        shown = text if text.isprintable() and len(text) <= 40 else short(text, 40)
        try:
            value = float(text)
        except ValueError:
            raise UserError(f"{name}={shown} is not a number; write e.g. {name}=2 or {name}=-0.5") from None
        if not math.isfinite(value):
            raise UserError(f"{name}={shown}: values must be finite numbers")
        if name in values:
            raise UserError(f"{name} is given twice")
        values[name] = value
    return values


def build(program: str, values: dict[str, float]) -> Value:
    """Build the graph of `program` (statements separated by ';' or new lines; the last is the output)."""
    tree = parse(program)
    with _deep_enough():
        try:
            return _build_tree(tree, values)
        except RecursionError:
            raise UserError("the program is nested too deeply; split it into statements such as e = a*b; L = e + c") from None


@functools.lru_cache(maxsize=1 << 10)  # a kind builds the same few programs over and over; the tree is only read
def parse(program: str) -> ast.Module:
    """The syntax tree of `program`, or a UserError saying what is wrong with its text."""
    if len(program) > MAX_PROGRAM_CHARS:
        raise UserError(f"the program is too long: at most {MAX_PROGRAM_CHARS:,} characters")
    text = "\n".join(line.strip() for line in typography(program).replace(";", "\n").splitlines()).strip()
    if not text:
        raise UserError("the program is empty; write an expression such as (a*b + c)*f")
    odd = next((c for c in text if not c.isascii() or not (c.isprintable() or c.isspace())), None)
    if odd is not None:
        raise UserError(
            f"the program has the character {odd!r} (U+{ord(odd):04X}); use names, numbers, + - * / ** and ( )"
        )
    try:
        return ast.parse(text, mode="exec")
    except SyntaxError as exc:
        if "digits" in str(exc.msg):  # Python's limit on the length of an integer literal
            raise UserError(f"a number in the program has too many digits (statement {exc.lineno})") from None
        raise UserError(f"syntax error in the program: {exc.msg} (statement {exc.lineno})") from None
    except (ValueError, OverflowError) as exc:
        raise UserError(f"the program cannot be read: {short(str(exc), 100)}") from None
    except (RecursionError, MemoryError):
        raise UserError("the program is nested too deeply; split it into statements such as e = a*b; L = e + c") from None


def _build_tree(tree: ast.Module, values: dict[str, float]) -> Value:
    if not tree.body:
        raise UserError("the program is empty; write an expression such as (a*b + c)*f")
    builder = Builder(values)
    out = None
    for i, stmt in enumerate(tree.body):
        last = i == len(tree.body) - 1
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
            target = stmt.targets[0].id
            if target in builder.nodes or target in builder.values:
                raise UserError(f"{target} is given or assigned already; use a new name for each statement")
            if target in FUNCTIONS:
                raise UserError(f"{target} is a function name; choose another name")
            out = builder.expr(stmt.value)
            if out.label:
                raise UserError(f"{target} = {out.label} only copies a value; write the operation instead")
            if not out._prev:
                raise UserError(f"{target} is a plain number; give it as a value instead ({target}=...)")
            out.label = target
            builder.nodes[target] = out
        elif isinstance(stmt, ast.Expr) and last:
            out = builder.expr(stmt.value)
        else:
            what = "an expression that is not the last statement" if isinstance(stmt, ast.Expr) else type(stmt).__name__
            raise UserError(f"{what} is not allowed; write `name = expression` statements and end with the output")
    if not out._prev:
        raise UserError("the output is a single value; write at least one operation, such as a*b")
    if not out.label and "out" not in builder.nodes:
        out.label = "out"
    unused = sorted(set(values) - set(builder.nodes))
    if unused:
        raise UserError(f"{', '.join(unused)} {'is' if len(unused) == 1 else 'are'} given but not used in the program")
    return out
