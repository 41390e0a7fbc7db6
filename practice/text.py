"""Problems as text for a terminal, from templates/problems.txt.j2, with prose wrapped to the terminal's width."""

import shutil
import sys

import jinja2

from .numbers import MINUS, fmt
from .record import power_text
from .resources import templates_dir

PIPED_WIDTH = 80  # columns when stdout is not a terminal
MIN_WIDTH = 30

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(templates_dir())),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
    autoescape=False,
)


def op_label(node: dict) -> str:
    if node.get("constant"):
        return "const"
    op = node["op"]
    if op is None:
        return "—"
    if op == "**":
        return power_text("x", node["exponent"])
    return {"-": MINUS, "*": "×"}.get(op, op)


def terminal_width() -> int:
    """The terminal's width when stdout is one, else PIPED_WIDTH."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    return max(MIN_WIDTH, shutil.get_terminal_size((PIPED_WIDTH, 24)).columns) if tty else PIPED_WIDTH


def wrap_pieces(pieces: list[str], width: int, indent: str = "", hang: str = "") -> str:
    """The pieces joined by spaces into lines at most `width` wide: the first line starts with `indent`, the
    rest with `hang`. A line breaks only between pieces, or, for a piece too long for a line of its own,
    between its words: never inside a word, so never inside a number. (A single word wider than a line
    stays whole on a line of its own.)"""
    lines, line, empty = [], indent, True
    for piece in pieces:
        for word in [piece] if len(hang) + len(piece) <= width else piece.split(" "):
            if not empty and len(line) + 1 + len(word) > width:
                lines.append(line)
                line, empty = hang + word, False
            else:
                line, empty = line + ("" if empty else " ") + word, False
    lines.append(line)
    return "\n".join(x.rstrip() for x in lines)


def _filters(width: int) -> dict:
    def prose(text: str, indent: str = "", hang: str = "") -> str:
        """A paragraph broken between words, never around an " = " (x1 = −0.6 stays on one line)."""
        words = text.replace(" = ", "\0=\0").split(" ")
        return wrap_pieces([w.replace("\0", " ") for w in words], width, indent, hang)

    def step(text: str, indent: str = "  ", hang: str = "      ") -> str:
        """A worked step broken before its " = " signs first."""
        parts = text.split(" = ")
        return wrap_pieces(parts[:1] + ["= " + p for p in parts[1:]], width, indent, hang)

    def items(texts: list[str], indent: str = "", hang: str = "  ") -> str:
        """A list "a, b, c" broken between its items first."""
        pieces = [t + ("," if i < len(texts) - 1 else "") for i, t in enumerate(texts)]
        return wrap_pieces(pieces, width, indent, hang)

    return {"prose": prose, "step": step, "items": items}


def render_problems(problems: list[dict], show_header: bool = True, width: int | None = None) -> str:
    """The problems as text; prose, steps and answers wrapped to `width` columns (default: terminal_width())."""
    columns = terminal_width() if width is None else max(MIN_WIDTH, width)
    names = max([4] + [len(n["name"]) for p in problems for n in p["nodes"]])
    template = _env.get_template("problems.txt.j2")
    rows = [dict(p, output_grad=p.get("output_grad", 1.0), nodes=[dict(n, constant=n.get("constant", False)) for n in p["nodes"]]) for p in problems]
    exercises = _number_exercises(rows)
    return template.render(problems=rows, show_header=show_header, width=names, columns=columns, fmt=fmt,
                           op_label=op_label, exercises=exercises, **_filters(columns))


def _number_exercises(rows: list[dict]) -> int:
    """Variants (records with "exercise" and "variant") gain their exercise's number and its count of
    variants, for the header "Problem 3 of 42 · numbers set 2 of 8"; returns the number of exercises."""
    numbers, sizes = {}, {}
    for row in rows:
        if "variant" in row:
            numbers.setdefault(row["exercise"], len(numbers) + 1)
            sizes[row["exercise"]] = sizes.get(row["exercise"], 0) + 1
    for row in rows:
        if "variant" in row:
            row["number"], row["variants"] = numbers[row["exercise"]], sizes[row["exercise"]]
    return len(numbers)
