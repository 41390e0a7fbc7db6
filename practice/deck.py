"""The `deck` command: an Anki package (.apkg) of backward-pass problems and concept cards, made with genanki.

Two note types, whose IDs never change: a problem note (one card per asked answer, plus a whole-backward-
pass card) and a concept note (basic, or cloze through a second, cloze-type model). Note GUIDs come from
the problem's id or the concept card's key, never from field contents, so rebuilding the same spec and
seed updates notes in Anki instead of duplicating them. Card HTML, field HTML and CSS live in
templates/anki; this module only fills them in.
"""

import hashlib
import json
import time
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

import click

from .cards import card_answers, question_parts, steps_for, wants_pass_card  # noqa: F401  (question_parts: page.py)
from .errors import UserError

# Fixed forever: Anki matches note types by these IDs. Change them and every learner gets duplicates.
PROBLEM_MODEL_ID = 1241934330
CONCEPT_MODEL_ID = 1743628266
CLOZE_MODEL_ID = 1479304016
PROBLEM_MODEL_NAME = "Backprop Practice problem"
CONCEPT_MODEL_NAME = "Backprop Practice concept"
CLOZE_MODEL_NAME = "Backprop Practice concept (cloze)"

# GUID namespaces: a note's identity is (namespace, problem id) or (namespace, concept key).
PROBLEM_GUID = "backprop-practice"
CONCEPT_GUID = "backprop-practice-concept"

DEFAULT_DECK_NAME = "Backprop Practice"
CONCEPT_SUBDECK = "Concepts"
PROBLEM_SUBDECK = "Backward passes"

# Answer slots of the problem note: one card template each. A neuron with three inputs asks for 7 grads.
MAX_ANSWERS = 8
IMAGE_FORMATS = ("svg", "png")
PICTURE_PX_PER_PT = 1.5  # CSS px per point: 10 pt labels at 15 px; the card CSS caps a picture at the card width
OP_TAGS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


class Summary(NamedTuple):
    path: Path
    problems: int
    concepts: int
    cards: int
    pictures: int
    size: int  # bytes
    image_format: str

    @property
    def notes(self) -> int:
        return self.problems + self.concepts


# ---------------------------------------------------------------- templates


@lru_cache(maxsize=None)
def _env():
    import jinja2

    from .resources import templates_dir

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(templates_dir() / "anki"), str(templates_dir() / "practice")]),
        variable_start_string="<<",
        variable_end_string=">>",
        block_start_string="<%",
        block_end_string="%>",
        comment_start_string="<#",
        comment_end_string="#>",
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _card_template(name: str, **values) -> str:
    return _env().get_template(name).render(**values).strip() + "\n"


@lru_cache(maxsize=None)
def _macros():
    return _env().get_template("fields.html").module


def _field(macro: str, *args) -> str:
    return str(getattr(_macros(), macro)(*args)).strip()


def _css() -> str:
    from .resources import templates_dir

    return (templates_dir() / "anki" / "cards.css").read_text(encoding="utf-8")


def problem_field_names() -> list[str]:
    """The problem note's fields. New fields go at the end: a learner's collection keeps its notes."""
    names = ["Id", "Question", "QuestionPicture", "Answer", "AnswerPicture", "Steps", "Kind", "Difficulty", "Pass"]
    for n in range(1, MAX_ANSWERS + 1):
        names += [f"Ask{n}", f"Answer{n}", f"Steps{n}"]
    names += [f"AnswerPicture{n}" for n in range(1, MAX_ANSWERS + 1)]
    names.append("Grading")  # what the typed-answer boxes' verdicts read (practice/typed.py)
    return names


def models():
    """(problem model, concept model, cloze concept model), with their fixed IDs."""
    import genanki

    css = _css()
    templates = [
        {
            "name": f"Answer {n}",
            "qfmt": _card_template("problem_ask_front.html", n=n),
            "afmt": _card_template("problem_ask_back.html", n=n),
        }
        for n in range(1, MAX_ANSWERS + 1)
    ]
    templates.append(
        {
            "name": "Whole backward pass",
            "qfmt": _card_template("problem_pass_front.html"),
            "afmt": _card_template("problem_pass_back.html"),
        }
    )
    problem = genanki.Model(
        PROBLEM_MODEL_ID,
        PROBLEM_MODEL_NAME,
        fields=[{"name": name} for name in problem_field_names()],
        templates=templates,
        css=css,
        sort_field_index=0,
    )
    concept = genanki.Model(
        CONCEPT_MODEL_ID,
        CONCEPT_MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Concept",
                "qfmt": _card_template("concept_front.html"),
                "afmt": _card_template("concept_back.html"),
            }
        ],
        css=css,
    )
    cloze = genanki.Model(
        CLOZE_MODEL_ID,
        CLOZE_MODEL_NAME,
        fields=[{"name": "Text"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Cloze",
                "qfmt": _card_template("concept_cloze_front.html"),
                "afmt": _card_template("concept_cloze_back.html"),
            }
        ],
        css=css,
        model_type=genanki.Model.CLOZE,
    )
    return problem, concept, cloze


# ---------------------------------------------------------------- problem notes


def _answer_item(answer: dict) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(name, value, tolerance or "", [(a mistake's value, why)]) of one answer, as people see numbers."""
    from .numbers import fmt, has_places

    value = answer["value"]
    tolerance = "" if has_places(value, 2) else fmt(answer["tolerance"])
    mistakes = [(fmt(m["value"]), m["why"]) for m in answer.get("mistakes", []) if m.get("why")]
    return answer["name"], fmt(value), tolerance, mistakes


def _css_width(picture) -> int:
    """The picture's width on a card in CSS pixels: readable labels on a phone, not huge on a desktop."""
    return round(picture.size_pt[0] * PICTURE_PX_PER_PT)


def problem_fields(problem: dict, pictures) -> dict[str, str]:
    """Field name -> HTML for one problem note, given its draw.CardPictures (question, answer, each)."""
    answers = problem["answers"]
    if len(answers) > MAX_ANSWERS:
        raise UserError(
            f"problem {problem['id']} asks for {len(answers)} answers; a deck note has room for {MAX_ANSWERS}"
        )
    rounding = problem.get("rounding", "")
    blocks, find = question_parts(problem["question"], rounding)
    output, output_grad = problem["output"], problem.get("output_grad", 1.0)
    find_text = find[:1].upper() + find[1:] if find else ""
    width = _css_width(pictures.question)  # every picture of a problem has its size: the card never jumps
    fields = dict.fromkeys(problem_field_names(), "")
    fields.update(
        Id=problem["id"],
        Question=_field("question", blocks, rounding),
        QuestionPicture=_field("picture", pictures.question.name, width, "question"),
        Answer=_field("answers", [_answer_item(a) for a in answers]),
        AnswerPicture=_field("picture", pictures.answer.name, width, "all"),
        Steps=_field("steps", problem.get("steps") or []),
        Kind=problem["kind"],
        Difficulty=problem["difficulty"],
        Pass=_field("whole_pass", find_text, all(" " not in a["name"] for a in answers)) if wants_pass_card(problem) else "",
    )
    for n, (answer, wanted) in enumerate(zip(answers, card_answers(problem)), start=1):
        if not wanted:
            continue
        fields[f"Ask{n}"] = _field("ask", answer["name"], problem["kind"], output, output_grad)
        fields[f"Answer{n}"] = _field("answers", [_answer_item(answer)])
        fields[f"Steps{n}"] = _field("steps", steps_for(problem, answer["name"]))
        fields[f"AnswerPicture{n}"] = _field("picture", pictures.each[answer["name"]].name, width, answer["name"])
    from .typed import grading_field

    fields["Grading"] = grading_field(problem)
    return fields


def problem_tags(problem: dict) -> list[str]:
    ops = sorted({OP_TAGS.get(n["op"], n["op"]) for n in problem["nodes"] if n.get("op")})
    return [f"kind::{problem['kind']}", f"difficulty::{problem['difficulty']}"] + [f"op::{op}" for op in ops]


def concept_tags(card: dict) -> list[str]:
    tags = list(card.get("tags") or [])
    tags += [f"op::{t[3:]}" for t in tags if t.startswith("op-")]
    tags.append(f"objective::{card['objective']}")
    return list(dict.fromkeys(tags))


# ---------------------------------------------------------------- decks and the package


def stable_id(*parts) -> int:
    """A deck ID from its name: the same name always gives the same ID (above Anki's small built-in IDs)."""
    digest = hashlib.sha256(":".join(("backprop-practice",) + tuple(map(str, parts))).encode()).digest()
    return (1 << 40) + int.from_bytes(digest[:6], "big") % (1 << 50)


def deck_names(spec) -> tuple[str, str]:
    """(problem sub-deck, concept sub-deck) under the spec's deck name."""
    name = (spec.sections.get("deck") or {}).get("name", DEFAULT_DECK_NAME)
    parts = [p.strip() for p in str(name).split("::")]
    if not all(parts):
        raise UserError(f"{spec.path}: deck: name {name!r} must be non-empty text, with sub-decks joined by '::'")
    base = "::".join(parts)
    return f"{base}::{PROBLEM_SUBDECK}", f"{base}::{CONCEPT_SUBDECK}"


def _zip_time(timestamp: float) -> tuple:
    return max(time.gmtime(timestamp)[:6], (1980, 1, 1, 0, 0, 0))


def _card_pictures(drawn, image_format):
    """draw.iter_card_pictures's pictures; PNGs made small (a 16-colour palette: the same pixels, about a quarter the bytes)."""
    from .draw import CardPictures

    if image_format != "png":
        return drawn
    from .pictures_small import small

    made = {}  # a picture shown on several cards is made small once

    def shrink(pic):
        if pic.name not in made:
            made[pic.name] = small(pic)
        return made[pic.name]

    return [CardPictures(shrink(p.question), shrink(p.answer), {k: shrink(v) for k, v in p.each.items()}) for p in drawn]


STREAM_CHUNK = 16  # problems generated at a time (dot draws while more are made): memory stays flat however many


def _problem_chunks(spec, size):
    """The spec's problem set (the same problems in the same order as problem_set), `size` at a time,
    each checked to fit the note type and to be new in the set."""
    from .generate import iter_problems

    seen, part = set(), []
    for problem in iter_problems(spec.entries, spec.seed):
        if len(problem["answers"]) > MAX_ANSWERS:
            raise UserError(
                f"problem {problem['id']} asks for {len(problem['answers'])} answers; "
                f"a deck note has room for {MAX_ANSWERS}"
            )
        if problem["id"] in seen:
            raise UserError(f"problem {problem['id']} appears twice in the set; change the spec's seed")
        seen.add(problem["id"])
        part.append(problem)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


class _PackageWriter:
    """The .apkg, streamed: what genanki's Package.write_to_file does, but notes go into the collection as
    they come and pictures into one spill file, so memory stays flat however many problems; the collection is
    built in a temporary folder that is always removed; finish() zips it, compressed, with the same bytes for
    the same input (the collection, the media map, then the media in first-use order)."""

    def __init__(self, path: Path, timestamp: float):
        self.path, self.timestamp = Path(path), timestamp

    def __enter__(self):
        import itertools
        import sqlite3
        import tempfile

        from genanki.apkg_col import APKG_COL
        from genanki.apkg_schema import APKG_SCHEMA

        self._work = tempfile.TemporaryDirectory(prefix="backprop-practice-")
        self._dir = Path(self._work.name)
        self._db = self._dir / "collection.anki2"
        self._conn = sqlite3.connect(self._db)
        self._cursor = self._conn.cursor()
        self._cursor.executescript(APKG_SCHEMA)
        self._cursor.executescript(APKG_COL)
        self._ids = itertools.count(int(self.timestamp * 1000))
        self.media: dict[str, tuple[int, int]] = {}  # name -> (offset, size) in the spill file, in first-use order
        self._spill = open(self._dir / "media", "w+b")  # one file: thousands of small ones are slow to write
        return self

    def __exit__(self, *exc):
        self._spill.close()
        self._conn.close()
        self._work.cleanup()

    def add_deck(self, deck) -> None:
        """The deck and the models added to it; its notes come through add_note."""
        deck.write_to_db(self._cursor, self.timestamp, self._ids)

    def add_note(self, deck, note) -> None:
        note.write_to_db(self._cursor, self.timestamp, deck.deck_id, self._ids)

    def add_media(self, name: str, data: bytes) -> None:
        if name not in self.media:
            self.media[name] = (self._spill.tell(), len(data))
            self._spill.write(data)

    def finish(self) -> None:
        import zipfile

        self._conn.commit()
        when = _zip_time(self.timestamp)
        self._spill.flush()

        def entries():
            yield "collection.anki2", self._db.read_bytes()
            yield "media", json.dumps({str(i): name for i, name in enumerate(self.media)}).encode()
            for i, (offset, size) in enumerate(self.media.values()):
                self._spill.seek(offset)
                yield str(i), self._spill.read(size)

        with zipfile.ZipFile(self.path, "w") as zf:
            for name, data in entries():
                info = zipfile.ZipInfo(name, date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)


def build_deck(spec, out_path, image_format: str = "svg", timestamp: float | None = None,
               progress: bool | None = False) -> Summary:
    """Build the spec's deck (its problem mix from its seed, and its concept cards) into `out_path`.

    The output path, the picture format, the deck name, Graphviz and the concept file are checked before
    any work; every problem's number of answers before anything is written. The file is written whole
    or not at all (a temporary file beside it, renamed at the end; removed on any failure or Ctrl-C).
    `timestamp` (seconds) is the note modification time Anki compares on re-import; default now.
    `progress`: a bar on stderr (True), none (False), or one only when stderr is a terminal (None).
    """
    from .atomic import atomic_path, check_writable
    from .draw import require_dot

    out_path = Path(out_path)
    if image_format not in IMAGE_FORMATS:
        raise UserError(f"unknown image format {image_format!r}; choose svg or png")
    if out_path.suffix.lower() != ".apkg":
        raise UserError(f"output {out_path} must end in .apkg, the extension Anki imports")
    check_writable(out_path)
    problem_deck_name, concept_deck_name = deck_names(spec)
    require_dot()

    from .concepts import load_concepts

    concepts = load_concepts(spec.concepts) if spec.concepts else []
    timestamp = time.time() if timestamp is None else float(timestamp)

    import genanki

    problem_model, concept_model, cloze_model = models()
    from .progress import progress as progress_bar

    bar_cm = progress_bar(spec.total + 1, "Building deck", show=progress)
    with bar_cm as bar, atomic_path(out_path) as tmp, _PackageWriter(tmp, timestamp) as writer:
        problem_deck = genanki.Deck(stable_id("deck", problem_deck_name), problem_deck_name)
        problem_deck.add_model(problem_model)
        writer.add_deck(problem_deck)
        cards = problems = 0
        from .draw import iter_card_pictures

        own = lambda p: [a["name"] for a, on in zip(p["answers"], card_answers(p)) if on]  # noqa: E731
        # generate, draw and write a chunk at a time; dot draws the next problems while this writes notes
        for part, drawn in iter_card_pictures(_problem_chunks(spec, STREAM_CHUNK), image_format, own):
            for problem, pics in zip(part, _card_pictures(drawn, image_format)):
                for pic in (pics.question, pics.answer, *pics.each.values()):
                    writer.add_media(pic.name, pic.data)
                fields = problem_fields(problem, pics)
                note = genanki.Note(
                    model=problem_model,
                    fields=[fields[name] for name in problem_field_names()],
                    tags=problem_tags(problem),
                    guid=genanki.guid_for(PROBLEM_GUID, problem["id"]),
                )
                cards += len(note.cards)
                writer.add_note(problem_deck, note)
            problems += len(part)
            bar.update(len(part))

        if concepts:
            concept_deck = genanki.Deck(stable_id("deck", concept_deck_name), concept_deck_name)
            notes = []
            for card in concepts:
                if card["type"] == "cloze":
                    model, values = cloze_model, [card["text"], card.get("extra", "")]
                else:
                    model, values = concept_model, [card["front"], card["back"], card.get("extra", "")]
                note = genanki.Note(
                    model=model,
                    fields=values,
                    tags=concept_tags(card),
                    guid=genanki.guid_for(CONCEPT_GUID, card["key"]),
                )
                cards += len(note.cards)
                concept_deck.add_model(model)  # the models in the order the notes use them, as genanki does
                notes.append(note)
            writer.add_deck(concept_deck)
            for note in notes:
                writer.add_note(concept_deck, note)
        media = writer.media
        writer.finish()
        size = tmp.stat().st_size
        bar.update(1)
    return Summary(out_path, problems, len(concepts), cards, len(media), size, image_format)


def _size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"


def summary_line(summary: Summary, seconds: float | None = None) -> str:
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    return (
        f"wrote {summary.path}: {summary.notes} notes ({summary.problems} problems, {summary.concepts} concepts), "
        f"{summary.cards} cards, {summary.pictures} pictures ({summary.image_format}), {_size_text(summary.size)}{took}"
    )


@click.command(name="deck")
@click.argument("spec", required=False)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT.apkg",
              help="Write the deck here (default: the spec's name with .apkg, in this folder).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
@click.option("--image-format", type=click.Choice(IMAGE_FORMATS), default="svg", show_default=True,
              help="Picture format: svg is small and sharp; png for old Anki clients.")
def command(spec, out, seed, image_format):
    """Build an Anki deck (.apkg) of a spec's problems and concept cards (default SPEC: micrograd).

    One card per asked answer and one for the whole backward pass, each with its graph pictures and
    worked steps; concept cards from the spec's concepts file. Rebuilding with the same SPEC and seed
    and importing again updates the notes in Anki instead of duplicating them; a new seed adds new
    problems. Needs Graphviz `dot`.

    \b
    Examples:
      backprop-practice deck
      backprop-practice deck micrograd --seed 7 -o term2.apkg
      backprop-practice deck my-spec.yaml --image-format png
    """
    from .spec import choose

    chosen = choose(spec, seed=seed)
    if out is not None and not out.strip():
        raise UserError("-o needs a file name")
    out_path = Path(out) if out else Path(f"{Path(chosen.name).stem}.apkg")
    started = time.monotonic()
    summary = build_deck(chosen, out_path, image_format, progress=None)
    click.echo(summary_line(summary, time.monotonic() - started))
