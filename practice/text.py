"""Problems as text for a terminal, from templates/problems.txt.j2."""

import jinja2

from .numbers import MINUS, fmt
from .record import power_text
from .resources import templates_dir

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


def render_problems(problems: list[dict], show_header: bool = True) -> str:
    width = max([4] + [len(n["name"]) for p in problems for n in p["nodes"]])
    template = _env.get_template("problems.txt.j2")
    rows = [dict(p, output_grad=p.get("output_grad", 1.0), nodes=[dict(n, constant=n.get("constant", False)) for n in p["nodes"]]) for p in problems]
    return template.render(problems=rows, show_header=show_header, width=width, fmt=fmt, op_label=op_label)
