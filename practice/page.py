"""The `practice` command: one self-contained HTML page that deals a spec's problems one at a time.

The page needs no server and no network: pictures are inline SVG data, and the scripts and styles are in
the file. Each problem shows its question and picture and a number box per asked answer; Check gives the
same verdicts as the Anki cards (the one verdict function of templates/practice/verdict.js, reading each
answer's value, tolerance and catalogued mistakes from the record), then the answer picture and the worked
steps; Next moves on. Progress (right first time, per kind and per op) is kept in the browser's local storage.
Texts, markup, styles and scripts are in templates/practice; this module only gathers the problems.

With --variants N > 1 (the default, DEFAULT_PAGE_VARIANTS) every problem is an exercise of N variants
(practice/exercises.py): the page holds them all, deals variant 1 first, and a problem answered wrong comes
back a few problems later as the exercise's next variant, other numbers with their own key
(templates/practice/page_variants.js). Progress is kept per exercise (variant 1's id, the id a one-variant
page of the same set keeps it under), so the summary counts exercises, not variants.
"""

import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import click

from .errors import UserError

MAX_PAGE_PROBLEMS = 500  # one page holds at most this many problems, variants counted (about 20 kB each)
PAGE_FORMAT = "backprop-practice.page/1"
# 3: a problem missed in a sitting comes back twice with fresh numbers before any repeat, and the page stays
# about three times the size of a one-variant page (2.5 MB for the lesson's 42 problems); a learner who misses
# one exercise more often than that meets its variants again in turn.
DEFAULT_PAGE_VARIANTS = 3


class Summary(NamedTuple):
    path: Path
    problems: int  # every variant counted
    answers: int
    size: int  # bytes
    exercises: int = 0
    variants: int = 1


@lru_cache(maxsize=None)
def _env():
    """The card templates' Jinja environment (the same << >> delimiters; its loader has templates/practice, where
    the card script and verdict.js live too), with a filter for inline pictures."""
    from .anki.fields import env as card_env
    from .worksheets.templates import data_uri

    env = card_env().overlay()
    env.filters["data_uri"] = data_uri
    return env


def _setup(problem: dict) -> tuple[list, str, str]:
    """(setup blocks, the "find ..." line, the rounding rule) of a problem's question."""
    from .anki.cards import question_parts

    question = problem["question"]
    rounding = problem.get("rounding", "")
    if rounding and question.endswith("\n" + rounding):
        question = question[: -len(rounding) - 1]
    blocks, find = question_parts(question)
    return blocks, find[:1].upper() + find[1:], rounding


def problem_view(number: int, problem: dict, question_picture, answer_picture, variants: int = 1) -> dict:
    """What the page template shows of one problem (`number` counts exercises; with `variants` > 1 the
    problem is variant problem["variant"] of that exercise, and its progress is kept under the exercise)."""
    from .anki.fields import problem_tags
    from .typed import grading_data

    blocks, find, rounding = _setup(problem)
    grading = grading_data(problem)
    grading.update(
        kind=problem["kind"],
        difficulty=problem["difficulty"],
        ops=[t[len("op::"):] for t in problem_tags(problem) if t.startswith("op::")],
    )
    if variants > 1:
        grading.update(id=problem["exercise"], problem=problem["id"], variant=problem["variant"], variants=variants)
    return {
        "number": number,
        "variant": problem.get("variant", 1),
        "exercise": problem.get("exercise", problem["id"]),
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


def render_page(spec, exercises: list[list[dict]], pictures) -> str:
    """The page of `exercises` (lists of variants, all of one length) with each variant's (question, answer)
    pictures, in the same order."""
    from .typed import script_json

    variants = len(exercises[0]) if exercises else 1
    views, at = [], 0
    for number, exercise in enumerate(exercises, start=1):
        for problem in exercise:
            views.append(problem_view(number, problem, *pictures[at], variants=variants))
            at += 1
    data = {
        "format": PAGE_FORMAT,
        "title": spec.title,
        "seed": spec.seed,
        "problems": [v["grading"] for v in views],
    }
    if variants > 1:
        data["variants"] = variants
    return _env().get_template("page.html").render(
        title=spec.title, seed=spec.seed, problems=views, exercises=len(exercises), variants=variants,
        data=script_json(data)
    )


def build_page(spec, out_path, variants: int = 1) -> Summary:
    """Write the spec's practice page, `variants` of every exercise, to `out_path`, whole or not at all. Checks
    the output path, the variants, the size of the set and Graphviz before any work."""
    from .atomic import atomic_path, check_writable
    from .draw import pictures, require_dot
    from .exercises import exercise_set
    from .pictures_small import small_pairs

    out_path = Path(out_path)
    if out_path.suffix.lower() != ".html":
        raise UserError(f"output {out_path} must end in .html: the practice page is one HTML file")
    from .spec import check_variants

    check_variants(variants, "--variants")
    check_writable(out_path)
    if spec.total * variants > MAX_PAGE_PROBLEMS:
        these = f"{spec.total}" if variants == 1 else f"{spec.total} \u00d7 {variants} variants = {spec.total * variants}"
        raise UserError(
            f"a practice page holds at most {MAX_PAGE_PROBLEMS} problems and this set has {these}; "
            "use a smaller count (--count), spec" + (" or fewer --variants" if variants > 1 else "")
        )
    require_dot()
    exercises = exercise_set(spec.entries, spec.seed, variants)
    problems = [p for e in exercises for p in e]
    text = render_page(spec, exercises, small_pairs(pictures(problems, "svg")))  # compact SVG: the same drawings
    data = text.encode("utf-8")
    with atomic_path(out_path) as tmp:
        tmp.write_bytes(data)
    return Summary(out_path, len(problems), sum(len(p["answers"]) for p in problems), len(data), len(exercises), variants)


def _size_text(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} kB"


@click.command(name="practice")
@click.argument("spec", required=False)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT.html",
              help="Write the page here (default: the spec's name with -practice.html, in this folder).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
@click.option("--variants", type=int, default=DEFAULT_PAGE_VARIANTS, show_default=True, metavar="N",
              help="Variants of every problem (1 to 32): one answered wrong comes back a few problems later "
                   "with other numbers. 1 makes one fixed problem each.")
def command(spec, out, seed, variants):
    """Build an offline practice page (one HTML file) of a spec's problems (default SPEC: micrograd).

    Open it in any browser, no network needed: problems come one at a time, with a number box per
    answer; Check gives a verdict (right, a named classic mistake with why, or wrong with the step that
    gives the right value), then the answer picture and the worked steps; Enter checks, then moves on.
    Progress per kind and per op stays in the browser. A problem answered wrong comes back a few
    problems later with other numbers (--variants). Needs Graphviz `dot`.

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
    summary = build_page(chosen, out_path, variants)
    what = f"{summary.problems} problems"
    if summary.variants > 1:
        what = f"{summary.exercises} problems of {summary.variants} variants ({summary.problems} in all)"
    click.echo(
        f"wrote {summary.path}: {what}, {summary.answers} answer boxes, "
        f"{_size_text(summary.size)} in {time.monotonic() - started:.1f} s"
    )
