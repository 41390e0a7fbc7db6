"""Printable worksheets: class sets of equivalent versions, their answer keys and a manifest to regenerate them.

Every version has, at each position of the spec's mix, a problem of the same structure (practice/worksheets/
versions.py), made from a set seed the manifest records, so `backprop-practice problems SPEC --seed <seed> --json`
shows it again. The PDF is Jinja2 -> Typst source -> the `typst` package (templates/worksheet/*.typ.j2); --format
html renders templates/worksheet/*.html.j2 into one self-contained file each for the sheets and the keys.
This module is the command and its checks; the parts live in practice/worksheets/ (see its __init__).
"""

import time
from dataclasses import dataclass
from pathlib import Path

import click

from .errors import UserError
from .spec import MAX_PROBLEMS
from .worksheets.files import output_format, output_paths
from .worksheets.layout import MIN_PRINT_PT, PAPERS  # noqa: F401  (the command's limits, for its callers)
from .worksheets.templates import environment

MAX_VERSIONS = 500
FORMATS = ("pdf", "html")


@dataclass
class Summary:
    versions: int
    problems: int
    pages: int | None  # student pages (PDF only)
    key_pages: int | None
    files: list[Path]
    smallest_font_pt: float
    seconds: float
    repeats: int = 0  # versions equal to an earlier one (a spec with few possible problems)
    duplex: bool = True


def check_versions(versions) -> int:
    if isinstance(versions, bool) or not isinstance(versions, int) or not 1 <= versions <= MAX_VERSIONS:
        raise UserError(f"--versions must be from 1 to {MAX_VERSIONS}, not {versions!r}")
    return versions


def build_worksheets(spec, versions: int, out=None, key=None, paper: str = "a4", fmt: str = "pdf",
                     duplex: bool = True) -> Summary:
    """Make `versions` versions of `spec` (a practice.spec.Spec) with answer keys and a manifest. With `duplex`,
    every version of the PDFs (sheets and key) has an even number of pages, so double-sided printing starts
    each on a fresh sheet.

    Everything is checked first. The three files are written to temporary files beside their targets, a group
    of versions at a time (versions are made as their group needs them), then renamed together: a failed or
    interrupted run leaves none of them (and no temporary file)."""
    from . import draw
    from .atomic import atomic_paths
    from .worksheets.html import write_html
    from .worksheets.manifest import Manifest
    from .worksheets.typeset import write_pdfs
    from .worksheets.versions import iter_versions
    from .progress import counted, progress

    started = time.perf_counter()
    check_versions(versions)
    if paper not in PAPERS:
        raise UserError(f"unknown paper {paper!r}; choose {' or '.join(PAPERS)}")
    if fmt not in FORMATS:
        raise UserError(f"unknown format {fmt!r}; choose {' or '.join(FORMATS)}")
    if versions * spec.total > MAX_PROBLEMS:
        raise UserError(
            f"{versions} versions of {spec.total} problems is {versions * spec.total} problems; the most one run makes "
            f"is {MAX_PROBLEMS}: use fewer versions or a smaller spec"
        )
    paths = output_paths(out, key, fmt)
    draw.require_dot()
    if fmt == "pdf":
        try:
            import typst  # noqa: F401  (fail here, before the work, if it is missing)
        except ImportError:
            raise UserError("PDF worksheets need the typst package: pip install typst (or use --format html)") from None

    pages = key_pages = None
    duplex = duplex and fmt == "pdf"
    bar_cm = progress(versions, "Making worksheets")  # on stderr, only on a terminal
    with bar_cm as bar, atomic_paths(paths) as temps:  # all three written first, then renamed together
        with open(temps[2], "w", encoding="utf-8") as f:
            book = Manifest(f, spec, paths[2], duplex)
            made = book.record(counted(iter_versions(spec, versions), bar))  # made as the groups need them
            if fmt == "pdf":
                pages, key_pages, smallest = write_pdfs(spec, made, versions, paper, temps, paths, duplex)
            else:
                smallest = write_html(spec, made, versions, paper, temps, paths)
            book.close()

    return Summary(
        versions=book.versions,
        problems=book.problems,
        pages=pages,
        key_pages=key_pages,
        files=list(paths),
        smallest_font_pt=smallest,
        seconds=time.perf_counter() - started,
        repeats=book.versions - len(book.signatures),
        duplex=duplex,
    )


def summary_line(s: Summary) -> str:
    """The command's one line of output, from templates/worksheet/summary.txt.j2."""
    return environment("text").get_template("worksheet/summary.txt.j2").render(s=s).strip()


@click.command(name="worksheet")
@click.argument("spec", required=False)
@click.option("--versions", type=int, default=1, show_default=True, metavar="N",
              help=f"Distinct versions to make, 1 to {MAX_VERSIONS} (a class set: one per student).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed); each version's seed derives from it.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT",
              help="The worksheets file (default: worksheet.pdf, or worksheet.html with --format html).")
@click.option("--key", type=click.Path(dir_okay=False), metavar="KEY", help="The answer keys file (default: OUT-key.pdf).")
@click.option("--paper", type=click.Choice(list(PAPERS)), default="a4", show_default=True, help="Paper size.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="pdf (typeset; the default), or html (one self-contained page to print from a browser). "
                   "Without it, an OUT ending in .html means html.")
@click.option("--duplex/--no-duplex", default=True, show_default=True,
              help="Pad every version of the PDFs (and of the keys) to an even number of pages, so that printed "
                   "double-sided each version starts on a sheet of its own.")
def command(spec, versions, seed, out, key, paper, fmt, duplex):
    """Printable worksheets with answer keys (default SPEC: worksheet).

    Versions are equivalent: at each position every version has a problem of the same kind, difficulty, size
    and marks, with its own numbers. Each version's code (e.g. V07-K3QX) is printed on every page. The keys
    go to a separate file, and a manifest OUT.json records each version's code, seeds and problems: problem i
    of a version is problem i of `backprop-practice problems SPEC --seed <seeds[i]>`.

    \b
    Examples:
      backprop-practice worksheet
      backprop-practice worksheet --versions 30 -o class.pdf --paper letter
      backprop-practice worksheet micrograd --seed 7 --format html -o sheet.html
    """
    from .spec import choose

    chosen = choose(spec, seed=seed, default="worksheet")
    check_versions(versions)
    fmt = output_format(out, fmt)
    summary = build_worksheets(chosen, versions, out, key, paper, fmt, duplex)
    click.echo(summary_line(summary))
