"""A group of values drawn as one table: an MLP's neuron, one example of a batch, a loss's term.

A network drawn as a graph of value boxes is too wide to print or to read on a phone (an MLP(3, [2, 1]) is
about 900 pt wide). The record's `groups` ([{"name", "nodes", "layer"?}]) say which values belong together;
each group becomes one table, a row per value in the order a person works it out (the given leaves, then
each computed value beside the formula that makes it), with micrograd's data and grad in two columns. The
graph then runs between the tables and the values outside them, so the layers still show: inputs above the
hidden neurons, side by side, above the output neuron. A table's grad cells are the value boxes' cells:
blanks ruled to write in on a question, the grads on an answer, the asked rows tinted with a bold grad.
"""

import math
from typing import NamedTuple

from .errors import UserError
from .labels import (CELL_PADDING, HIGHLIGHT_FILL, SMALL_FONT_SIZE, escape, grad_cell, grad_content, node_id,
                     number, shown_grad)
from .record import expression_text


class Tables(NamedTuple):
    home: dict[str, str]  # node name -> the DOT id of the table it is a row of
    labels: list[tuple[str, str]]  # (table id, its HTML-like label), in the record's group order
    layers: list[list[str]]  # table ids drawn side by side, left to right, one list per layer of 2 or more
    above: list[str]  # the leaves outside every table that feed one, in the order to draw them left to right
    row: dict[str, int]  # node name -> its row in its table, from 0 at the top (the picture marks rows by it)


def _members(problem: dict, by_name: dict[str, dict]) -> list[tuple[str, list[str], object]]:
    """(name, member node names, layer) of each group, checked: a clear error for a group that names a node
    the record lacks or that another group has. Constants are left out (a formula shows them)."""
    pid = problem.get("id", "?")
    groups = problem.get("groups") or []
    if not isinstance(groups, list):
        raise UserError(f"problem {pid}: groups is not a list")
    seen, out = set(), []
    for i, group in enumerate(groups):
        if not isinstance(group, dict) or not isinstance(group.get("nodes"), list):
            raise UserError(f"problem {pid}: group {i + 1} is not an object with a list of nodes")
        title = str(group.get("name", f"group {i + 1}"))
        names = []
        for name in group["nodes"]:
            if not isinstance(name, str) or name not in by_name:
                raise UserError(f"problem {pid}: group {title!r} lists {name!r}, which is not a node")
            if name in seen:
                raise UserError(f"problem {pid}: {name!r} is in two groups")
            seen.add(name)
            if not by_name[name].get("constant"):
                names.append(name)
        if names:
            out.append((title, names, group.get("layer")))
    return out


def group_tables(problem: dict, nodes: list[dict], output: str, answer: bool, asked: set[str], given_grad,
                 blank: tuple[float, float]) -> Tables:
    """The tables of the record's groups (none when it has no groups), drawn as dot_source draws a value."""
    by_name = {n["name"]: n for n in nodes}
    order = {n["name"]: i for i, n in enumerate(nodes)}
    home, labels, layers, row = {}, [], {}, {}
    for i, (title, names, layer) in enumerate(_members(problem, by_name)):
        tid = node_id(str(i), "table_")
        leaves = [n for n in names if not by_name[n].get("op")]
        made = sorted((n for n in names if by_name[n].get("op")), key=order.get)
        grads = {name: shown_grad(by_name[name], name == output, answer, given_grad) for name in names}
        width = max(grad_cell(grads[n], n == output, blank)[0] for n in names)
        height = grad_cell("", False, blank)[1]
        rows = [_row(by_name[n], by_name, grads[n], (width, height), answer, n == output, n in asked)
                for n in leaves + made]
        labels.append((tid, _table(title, rows)))
        home.update(dict.fromkeys(names, tid))
        row.update((n, r) for r, n in enumerate(leaves + made))
        if layer is not None:
            layers.setdefault(str(layer), []).append(tid)
    return Tables(home, labels, [ids for ids in layers.values() if len(ids) > 1], _above(nodes, home), row)


def _above(nodes: list[dict], home: dict[str, str]) -> list[str]:
    """The leaves outside the tables that feed a table (an MLP's inputs, a batch's shared w and b): numbered
    ones in number order (x1, x2, x3; w1, w2, b), the others in the order the tables use them (w, then b)."""
    first_use = {}
    for i, node in enumerate(nodes):
        if node["name"] in home:
            for inp in node.get("inputs") or []:
                first_use.setdefault(inp, i)
    ops = {n["name"] for n in nodes if n.get("op") or n.get("constant")}
    feeding = [name for name in first_use if name not in home and name not in ops]

    def key(name):
        digits = name[len(name.rstrip("0123456789")):]
        return (int(digits) if digits else math.inf, first_use[name])

    return sorted(feeding, key=key)


def _small(text: str) -> str:
    return f'<FONT POINT-SIZE="{SMALL_FONT_SIZE}">{escape(text)}</FONT>'


def _table(title: str, rows: list[str]) -> str:
    return (
        f'<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="0" CELLPADDING="{CELL_PADDING}">'
        f'<TR><TD COLSPAN="5" ALIGN="LEFT" SIDES="B" BORDER="1" CELLPADDING="3">{_small(title)}</TD></TR>'
        f'<TR><TD></TD><TD></TD><TD ALIGN="LEFT">{_small("data")}</TD><TD ALIGN="LEFT">{_small("grad")}</TD><TD></TD></TR>'
        + "".join(rows)
        + '<TR><TD COLSPAN="5" HEIGHT="3" CELLPADDING="0"></TD></TR>'  # keeps the last rule off the border
        "</TABLE>>"
    )


def _row(node: dict, by_name: dict, grad: str, cell: tuple[int, int], answer: bool, output: bool,
         marked: bool) -> str:
    """One value: its name, `= formula` when an op makes it, its data, and its grad cell. (The name is not bold:
    dot sets bold text higher in a cell than regular text, and the row would not read as one line.)"""
    marked = answer and marked
    content, rule = grad_content(grad, answer=answer, output=output, marked=marked)
    tint = f' BGCOLOR="{HIGHLIGHT_FILL}"' if marked else ""
    try:
        formula = "= " + expression_text(node, by_name, True) if node.get("op") else ""
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise UserError(f"cannot write how {node['name']} is made: {exc!r} is missing or wrong") from None
    width, height = cell
    return (
        f'<TR><TD ALIGN="LEFT"{tint}>{escape(node["name"])}</TD>'
        f'<TD ALIGN="LEFT"{tint}>{escape(formula)}</TD>'
        f'<TD ALIGN="LEFT"{tint}>{escape(number(node.get("data")))}</TD>'
        f'<TD ALIGN="LEFT" FIXEDSIZE="TRUE" WIDTH="{width}" HEIGHT="{height}" SIDES="B" BORDER="1" '
        f'COLOR="{rule}"{tint}>{content}</TD><TD WIDTH="3" CELLPADDING="0"{tint}></TD></TR>'
    )
