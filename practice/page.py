"""The `practice` command: one self-contained HTML page that deals a spec's problems one at a time.

The page needs no server and no network: pictures are inline SVG data, and the scripts and styles are in
the file. Each problem shows its question and picture and a number box per asked answer; Check gives the
same verdicts as the Anki cards (the one verdict function of templates/practice/verdict.js, reading each
answer's value, tolerance and catalogued mistakes from the record), then the answer picture and the worked
steps; Next moves on. Progress (right first time, per kind and per op) is kept in the browser's local storage.
Texts, markup, styles and scripts are in templates/practice; this module only gathers the problems.
"""

import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import click

from .errors import UserError

MAX_PAGE_PROBLEMS = 500  # one page holds at most this many problems (about 15 kB each): ask for fewer
PAGE_FORMAT = "backprop-practice.page/1"


class Summary(NamedTuple):
    path: Path
    problems: int
    answers: int
    size: int  # bytes


@lru_cache(maxsize=None)
def _env():
    """The card templates' Jinja environment (the same << >> delimiters; its loader has templates/practice, where
    the card script and verdict.js live too), with a filter for inline pictures."""
    from .deck import _env as card_env
    from .worksheets.templates import data_uri

    env = card_env().overlay()
    env.filters["data_uri"] = data_uri
    return env


def _setup(problem: dict) -> tuple[list, str, str]:
    """(setup blocks, the "find ..." line, the rounding rule) of a problem's question."""
    from .deck import question_parts

    question = problem["question"]
    rounding = problem.get("rounding", "")
    if rounding and question.endswith("\n" + rounding):
        question = question[: -len(rounding) - 1]
    blocks, find = question_parts(question)
    return blocks, find[:1].upper() + find[1:], rounding


def problem_view(number: int, problem: dict, question_picture, answer_picture) -> dict:
    """What the page template shows of one problem."""
    from .deck import problem_tags
    from .typed import grading_data

    blocks, find, rounding = _setup(problem)
    grading = grading_data(problem)
    grading.update(
        kind=problem["kind"],
        difficulty=problem["difficulty"],
        ops=[t[len("op::"):] for t in problem_tags(problem) if t.startswith("op::")],
    )
    return {
        "number": number,
        "id": problem["id"],
        "kind": problem["kind"],
        "difficulty": problem["difficulty"],
        "blocks": blocks,
        "find": find,
        "rounding": rounding,
        "answers": grading["answers"],
        "steps": problem.get("steps") or [],
        "question_picture": question_picture,
        "answer_picture": answer_picture,
        "grading": grading,
    }


def render_page(spec, problems: list[dict], pictures) -> str:
    from .typed import script_json

    views = [problem_view(i, p, q, a) for i, (p, (q, a)) in enumerate(zip(problems, pictures), start=1)]
    data = {
        "format": PAGE_FORMAT,
        "title": spec.title,
        "seed": spec.seed,
        "problems": [v["grading"] for v in views],
    }
    return _env().get_template("page.html").render(
        title=spec.title, seed=spec.seed, problems=views, data=script_json(data)
    )


def build_page(spec, out_path) -> Summary:
    """Write the spec's practice page to `out_path`, whole or not at all. Checks the output path, the size of
    the set and Graphviz before any work."""
    from .atomic import atomic_path, check_writable
    from .draw import pictures, require_dot
    from .generate import problem_set
    from .pictures_small import small_pairs

    out_path = Path(out_path)
    if out_path.suffix.lower() != ".html":
        raise UserError(f"output {out_path} must end in .html: the practice page is one HTML file")
    check_writable(out_path)
    if spec.total > MAX_PAGE_PROBLEMS:
        raise UserError(
            f"a practice page holds at most {MAX_PAGE_PROBLEMS} problems and this set has {spec.total}; "
            "use a smaller count (--count) or spec"
        )
    require_dot()
    problems = problem_set(spec.entries, spec.seed)
    text = render_page(spec, problems, small_pairs(pictures(problems, "svg")))  # compact SVG: the same drawings
    data = text.encode("utf-8")
    with atomic_path(out_path) as tmp:
        tmp.write_bytes(data)
    return Summary(out_path, len(problems), sum(len(p["answers"]) for p in problems), len(data))


def _size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} kB"


@click.command(name="practice")
@click.argument("spec", required=False)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT.html",
              help="Write the page here (default: the spec's name with -practice.html, in this folder).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
def command(spec, out, seed):
    """Build an offline practice page (one HTML file) of a spec's problems (default SPEC: micrograd).

    Open it in any browser, no network needed: problems come one at a time, with a number box per
    answer; Check gives a verdict (right, a named classic mistake with why, or wrong with the step that
    gives the right value), then the answer picture and the worked steps; Enter checks, then moves on.
    Progress per kind and per op stays in the browser. Needs Graphviz `dot`.

    \b
    Examples:
      backprop-practice practice
      backprop-practice practice worksheet --seed 7 -o week3.html
    """
    from .spec import choose

    chosen = choose(spec, seed=seed)
    if out is not None and not out.strip():
        raise UserError("-o needs a file name")
    out_path = Path(out) if out else Path(f"{Path(chosen.name).stem}-practice.html")
    started = time.monotonic()
    summary = build_page(chosen, out_path)
    click.echo(
        f"wrote {summary.path}: {summary.problems} problems, {summary.answers} answer boxes, "
        f"{_size_text(summary.size)} in {time.monotonic() - started:.1f} s"
    )
