"""The `quiz` command: LMS quiz files from a spec's problem set.

- Moodle XML (the default; practice/quiz/moodle.py): numerical and whole-pass cloze questions with their
  pictures, split into numbered parts that each fit --max-size (2 MB, a stock PHP upload limit);
- GIFT (practice/quiz/gift.py): the numerical questions as text, for Moodle without pictures;
- QTI 1.2 (practice/quiz/qti.py): a zip package that Canvas (and Blackboard, D2L) imports, one numerical
  question per asked answer with its picture inside the package.

Every format reads the same View of a record (practice/quiz/view.py): the same keys, tolerances,
mistakes and texts. Pictures are drawn once and made small (practice/pictures_small.py).
"""

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import click

from ..errors import UserError, one_line
from .moodle import human_size

FORMATS = ("moodle", "gift", "qti")
IMAGE_FORMATS = ("png", "svg")
EXTENSIONS = {"moodle": ".xml", "gift": ".gift", "qti": ".zip"}
DEFAULT_MAX_SIZE = 2 * 1024 * 1024  # PHP's default upload_max_filesize, "2M"
_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(b|bytes?|k|kb|kib|m|mb|mib)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "byte": 1, "bytes": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2}


def parse_size(text: str) -> int:
    """"2MB", "1.5 MB", "500KB", "800000": a size in bytes (KB and MB count 1,024 as PHP's limits do)."""
    m = _SIZE.fullmatch(str(text))
    if not m or float(m.group(1)) <= 0:
        raise UserError(f"--max-size {text!r} is not a size; give one such as 2MB, 1.5MB or 800KB")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").lower()])


@dataclass
class Summary:
    path: Path
    fmt: str
    problems: int
    numerical: int
    cloze: int
    pictures: int
    image_format: str | None
    size: int
    parts: list[tuple[Path, int]] = field(default_factory=list)  # (path, bytes) when split
    max_size: int | None = None
    stale: list[Path] = field(default_factory=list)  # files of an earlier run beside the new ones
    exercises: int = 0  # with --variants N > 1: the problems are `exercises` exercises of N variants each
    variants: int = 1

    @property
    def questions(self) -> int:
        return self.numerical + self.cloze

    def line(self) -> str:
        source = f"{self.problems} problems"
        if self.variants > 1:
            where = "a question group" if self.fmt == "qti" else "a sub-category"
            source += f" ({self.exercises} exercises of {self.variants} variants, {where} for each question of an exercise)"
        if self.fmt == "gift":
            what = f"{self.numerical} numerical questions from {source}, no pictures"
        elif self.fmt == "qti":
            what = (f"QTI 1.2 package with {self.numerical} numerical questions from {source}, "
                    f"{self.pictures} {self.image_format.upper()} pictures")
        else:
            what = (
                f"{self.questions} questions ({self.numerical} numerical, {self.cloze} cloze) from {source}, "
                f"{self.pictures} {self.image_format.upper()} pictures embedded"
            )
        if len(self.parts) > 1:
            names = ", ".join(f"{p.name} ({human_size(n)})" for p, n in self.parts)
            return (f"wrote {len(self.parts)} parts, each a complete file under --max-size {human_size(self.max_size)} "
                    f"(import them one by one): {names} in {self.parts[0][0].parent}: {what}, {human_size(self.size)} in all")
        return f"wrote {self.path}: {what}, {human_size(self.size)}"


def meta(spec, variants: int = 1) -> dict:
    from .. import GENERATOR

    return {"generator": GENERATOR, "spec": spec.name, "spec_arg": shlex.quote(spec.name), "seed": spec.seed,
            "title": one_line(spec.title), "variants": variants}


def default_output(spec, fmt: str) -> Path:
    return Path(f"{spec.path.stem}-quiz{EXTENSIONS[fmt]}")


def part_path(out: Path, i: int) -> Path:
    """OUT.xml's part i: OUT-part<i>.xml beside it."""
    out = Path(out)
    return out.with_name(f"{out.stem}-part{i}{out.suffix}")


def check(spec, out, fmt: str, image_format: str, variants: int = 1) -> Path:
    """Everything that can fail before any work: format, variants, category, output path, Graphviz."""
    from ..spec import check_variants

    check_variants(variants, "--variants")
    if fmt not in FORMATS:
        raise UserError(f"unknown quiz format {fmt!r}; choose moodle, gift or qti")
    if image_format not in IMAGE_FORMATS:
        raise UserError(f"unknown picture format {image_format!r}; choose png or svg")
    from ..atomic import check_writable
    from .moodle import category
    from .view import check_xml_text

    category(spec)
    check_xml_text(spec.title, f"spec {spec.name}: the title")
    path = check_writable(out)
    if fmt in ("moodle", "qti"):
        from ..draw import require_dot

        require_dot()
    return path


def _pictures(records, image_format: str, answers: bool = True):
    """Every record's (question, answer) pictures, made small (the answer pictures only when `answers`);
    drawn about 50 steps at a time, for the progress bar (on stderr, only on a terminal). The same
    pictures, in the same order, whatever the steps."""
    from ..draw import pictures
    from ..pictures_small import small_pairs
    from ..progress import progress

    out, step = [], max(25, -(-len(records) // 50))
    with progress(len(records), "Drawing pictures") as bar:
        for i in range(0, len(records), step):
            part = records[i : i + step]
            out += small_pairs(pictures(part, image_format), answers)
            bar.update(len(part))
    return out


def build_quiz(spec, out, fmt: str = "moodle", image_format: str = "png", max_size: int | None = None,
               variants: int = 1) -> Summary:
    """Write the quiz for `spec` (a spec.Spec, seed applied) to `out`, whole or not at all. Moodle XML
    bigger than `max_size` bytes is written as parts OUT-part1.xml, ... (all or none of them). With
    `variants` N > 1 every problem is an exercise of N variants (practice/exercises.py), placed where the
    LMS draws one per student: a Moodle or GIFT sub-category, a QTI question group, for each question."""
    from ..atomic import atomic_paths, write_bytes
    from ..exercises import exercise_set

    out = Path(out)
    check(spec, out, fmt, image_format, variants)
    exercises = exercise_set(spec.entries, spec.seed, variants)
    records = [r for e in exercises for r in e]
    info = meta(spec, variants)
    counts = {"exercises": len(exercises), "variants": variants}
    if fmt == "gift":
        from .gift import gift

        text, count = gift(spec, exercises, info)
        data = text.encode("utf-8")
        write_bytes(out, data)
        return Summary(out, fmt, len(records), count, 0, 0, None, len(data), **counts)
    pics = _pictures(records, image_format, answers=fmt != "qti")  # QTI shows the question pictures only
    if fmt == "qti":
        from .qti import package

        data, held = package(spec, exercises, pics, info)
        write_bytes(out, data)
        return Summary(out, fmt, len(records), held["items"], 0, held["pictures"], image_format, len(data), **counts)

    from .moodle import moodle_parts

    parts = moodle_parts(spec, exercises, pics, max_size, info)
    items = [item for _, group in parts for item in group if item["type"] != "category"]
    numerical = sum(1 for i in items if i["type"] == "numerical")
    embedded = sum(i["pictures"] for i in items)
    summary = Summary(out, fmt, len(records), numerical, len(items) - numerical, embedded, image_format,
                      sum(len(d) for d, _ in parts), max_size=max_size, **counts)
    if len(parts) == 1:
        write_bytes(out, parts[0][0])
        summary.stale = _stale_parts(out, 1)
        return summary
    paths = [part_path(out, i + 1) for i in range(len(parts))]
    with atomic_paths(paths) as temps:
        for tmp, (data, _) in zip(temps, parts):
            try:
                tmp.write_bytes(data)
            except OSError as exc:
                raise UserError(f"cannot write {tmp.name}: {exc.strerror or exc}") from None
    summary.parts = [(p, len(d)) for p, (d, _) in zip(paths, parts)]
    summary.stale = ([out] if out.exists() else []) + _stale_parts(out, len(parts) + 1)
    return summary


def _stale_parts(out: Path, first: int) -> list[Path]:
    """OUT-part<first>.xml, OUT-part<first+1>.xml, ... that exist: left by an earlier, bigger run."""
    found, i = [], first
    while part_path(out, i).exists():
        found.append(part_path(out, i))
        i += 1
    return found


# ---------------------------------------------------------------- the command


@click.command(name="quiz")
@click.argument("spec", required=False)
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="moodle", show_default=True,
              help="moodle: Moodle XML with pictures and whole-pass cloze questions; gift: text-only numerical "
                   "questions for Moodle; qti: a QTI 1.2 zip for Canvas (also Blackboard, D2L).")
@click.option("--image-format", type=click.Choice(IMAGE_FORMATS), default="png", show_default=True,
              help="Pictures in Moodle XML and QTI: png shows everywhere; svg is sharper and smaller.")
@click.option("--max-size", "max_size", default=None, metavar="SIZE",
              help="Moodle XML only: the largest file to write, e.g. 2MB (the default, a stock PHP upload limit) "
                   "or 8MB; a bigger quiz is written as numbered parts, each a complete file.")
@click.option("--variants", type=int, default=1, show_default=True, metavar="N",
              help="Variants of every exercise (1 to 32): other numbers, the same structure. With N > 1 each "
                   "question of an exercise gets a Moodle sub-category or a Canvas question group holding its N "
                   "variants, so a random question from it gives each student other numbers.")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="FILE",
              help="Where to write (default: <spec name>-quiz.xml, .gift or .zip here).")
def command(spec, seed, fmt, image_format, max_size, variants, out):
    """Make an LMS quiz from a problem set (default SPEC: micrograd).

    Moodle XML: for every problem, a numerical question per asked quantity (with feedback on the
    classic mistakes) and a cloze question for the whole backward pass, each with its computation-graph
    picture and the worked steps as feedback, in one question category; parts when it passes --max-size.
    GIFT: the numerical questions as text only (GIFT cannot carry pictures). QTI: a zip for Canvas's
    "QTI .zip file" import, one numerical question per asked quantity. Same SPEC and seed, same
    questions as `problems SPEC --seed S --json`.

    --variants N writes every exercise N times with other numbers: each of its questions gets a Moodle
    sub-category (a Canvas question group) holding that question of every variant, so a random question
    from it gives each student other numbers (docs/quiz-variants.md).

    \b
    Examples:
      backprop-practice quiz
      backprop-practice quiz worksheet --seed 7 -o week3.xml
      backprop-practice quiz --max-size 8MB
      backprop-practice quiz --format gift
      backprop-practice quiz --format qti -o week3.zip
      backprop-practice quiz --variants 8
    """
    from ..spec import choose

    if max_size is not None and fmt != "moodle":
        raise UserError("--max-size applies to --format moodle only (GIFT is text, and a QTI zip goes to Canvas whole)")
    limit = parse_size(max_size) if max_size is not None else DEFAULT_MAX_SIZE
    chosen = choose(spec, seed=seed)
    if out is not None and not out.strip():
        raise UserError("-o needs a file name")
    if out and Path(out).suffix.lower() != EXTENSIONS[fmt]:
        raise UserError(f"-o {out} must end in {EXTENSIONS[fmt]} for --format {fmt}")
    path = Path(out) if out else default_output(chosen, fmt)
    check(chosen, path, fmt, image_format, variants)
    summary = build_quiz(chosen, path, fmt, image_format, limit if fmt == "moodle" else None, variants)
    click.echo(summary.line())
    if summary.stale:  # never removed: they are the teacher's files; but importing them too would duplicate questions
        names = ", ".join(p.name for p in summary.stale)
        one = len(summary.stale) == 1
        click.echo(f"note: {names} {'is' if one else 'are'} from an earlier run, not part of this quiz: "
                   f"do not import {'it' if one else 'them'}", err=True)
    if fmt == "gift":  # after the work, so an error is still the only line on stderr
        click.echo("note: GIFT carries no pictures; the questions state every given value and statement instead", err=True)
