"""The `deck` command: an Anki package (.apkg) of backward-pass exercises and concept cards, made with genanki.

Two note types, whose IDs never change (models.py): a problem note (one card per asked answer, plus a
whole-backward-pass card) and a concept note (basic, or cloze through a second, cloze-type model). A problem
note holds an exercise: N variants of one structure (practice/exercises.py), variant 1 in its own fields and
the others beside it (variants.py), of which each showing of a card deals one. Note GUIDs come from variant
1's problem id or the concept card's key, never from field contents or N, so rebuilding the same spec and
seed updates notes in Anki (keeping their review history) instead of duplicating them. Card HTML, field HTML
and CSS live in templates/anki; this module only puts the parts together.
"""

import time
from pathlib import Path
from typing import NamedTuple

import click

from ..errors import UserError
from . import fields as _fields
from . import package as _package
from .fields import (  # noqa: F401
    MAX_ANSWERS, OP_TAGS, PICTURE_PX_PER_PT, PROBLEM_FIELDS, concept_tags, problem_field_names, problem_tags,
)
from .models import (  # noqa: F401
    CLOZE_MODEL_ID, CLOZE_MODEL_NAME, CONCEPT_MODEL_ID, CONCEPT_MODEL_NAME, PROBLEM_MODEL_ID, PROBLEM_MODEL_NAME, models,
)
from .package import stable_id

# GUID namespaces: a note's identity is (namespace, problem id) or (namespace, concept key).
PROBLEM_GUID = "backprop-practice"
CONCEPT_GUID = "backprop-practice-concept"

DEFAULT_DECK_NAME = "Backprop Practice"
CONCEPT_SUBDECK = "Concepts"
PROBLEM_SUBDECK = "Backward passes"

IMAGE_FORMATS = ("svg", "png")


class Summary(NamedTuple):
    path: Path
    problems: int  # problem notes: exercises
    concepts: int
    cards: int
    pictures: int
    size: int  # bytes
    image_format: str
    variants: int = 1

    @property
    def notes(self) -> int:
        return self.problems + self.concepts


def deck_names(spec) -> tuple[str, str]:
    """(problem sub-deck, concept sub-deck) under the spec's deck name."""
    name = (spec.sections.get("deck") or {}).get("name", DEFAULT_DECK_NAME)
    parts = [p.strip() for p in str(name).split("::")]
    if not all(parts):
        raise UserError(f"{spec.path}: deck: name {name!r} must be non-empty text, with sub-decks joined by '::'")
    base = "::".join(parts)
    return f"{base}::{PROBLEM_SUBDECK}", f"{base}::{CONCEPT_SUBDECK}"


def deck_variants(spec, variants: int | None = None) -> int:
    """Variants per note: the command line's, else the spec's deck: variants, else DEFAULT_DECK_VARIANTS."""
    from ..exercises import DEFAULT_DECK_VARIANTS
    from ..spec import check_variants

    if variants is not None:
        return check_variants(variants, "--variants")
    return (spec.sections.get("deck") or {}).get("variants", DEFAULT_DECK_VARIANTS)


def _card_pictures(drawn, image_format):
    """draw.iter_card_pictures's pictures; PNGs made small (a 16-colour palette: the same pixels, about a quarter
    the bytes)."""
    from ..draw import CardPictures

    if image_format != "png":
        return drawn
    from ..pictures_small import small

    made = {}  # a picture shown on several cards is made small once

    def shrink(pic):
        if pic.name not in made:
            made[pic.name] = small(pic)
        return made[pic.name]

    return [CardPictures(shrink(p.question), shrink(p.answer), {k: shrink(v) for k, v in p.each.items()}) for p in drawn]


def _exercises(spec, variants: int):
    """The spec's exercises (the same problems in the same order as exercises.exercise_set), each checked to fit
    the note type and to be a new note in the set."""
    from ..exercises import iter_exercises

    seen = set()
    for exercise in iter_exercises(spec.entries, spec.seed, variants):
        first = exercise[0]
        for problem in exercise:
            _fields.check_answers(problem)
        if first["id"] in seen:
            raise UserError(f"problem {first['id']} appears twice in the set; change the spec's seed")
        seen.add(first["id"])
        yield exercise


def _drawn_exercises(spec, variants: int, image_format: str):
    """(exercise, the CardPictures of each variant, its card slots), in order. dot draws the next variants while the
    caller writes notes and while more exercises are made (draw.iter_card_pictures); memory stays flat however
    many."""
    from collections import deque

    from ..draw import iter_card_pictures
    from .variants import card_slots, own_pictures

    waiting, own = deque(), {}  # (exercise, slots) made and not yet handed out; each variant's own pictures

    def made():
        for exercise in _exercises(spec, variants):
            slots = card_slots(exercise)  # which cards the note has: found once, for the pictures and the fields
            waiting.append((exercise, slots))
            own.update((id(p), names) for p, names in zip(exercise, own_pictures(exercise, slots)))
            yield exercise

    drawn = []
    total = spec.total * variants  # the problems drawn: the pipeline's last runs get smaller
    for _, run in iter_card_pictures(made(), image_format, lambda problem: own.pop(id(problem)), total):
        drawn += _card_pictures(run, image_format)
        while waiting and len(drawn) >= len(waiting[0][0]):
            exercise, slots = waiting.popleft()
            yield exercise, drawn[: len(exercise)], slots
            del drawn[: len(exercise)]


def _exercise_note(exercise, pictures, model, slots=None):
    """The note of one exercise, and every picture its fields show."""
    import genanki

    from .variants import note_fields

    values = note_fields(exercise, pictures, slots)
    tags = list(dict.fromkeys(t for p in exercise for t in problem_tags(p)))  # what the note's variants use
    note = genanki.Note(
        model=model,
        fields=[values[name] for name in PROBLEM_FIELDS],
        tags=tags,
        guid=genanki.guid_for(PROBLEM_GUID, exercise[0]["id"]),
    )
    return note, [pic for pics in pictures for pic in (pics.question, pics.answer, *pics.each.values())]


def build_deck(spec, out_path, image_format: str = "svg", timestamp: float | None = None,
               progress: bool | None = False, variants: int | None = None) -> Summary:
    """Build the spec's deck (its exercises from its seed, `variants` per note, and its concept cards) into
    `out_path`. `variants` None: the spec's deck: variants, else DEFAULT_DECK_VARIANTS.

    The output path, the picture format, the deck name, Graphviz and the concept file are checked before
    any work; every problem's number of answers before anything is written. The file is written whole
    or not at all (a temporary file beside it, renamed at the end; removed on any failure or Ctrl-C).
    `timestamp` (seconds) is the note modification time Anki compares on re-import; default now.
    `progress`: a bar on stderr (True), none (False), or one only when stderr is a terminal (None).
    """
    from ..atomic import atomic_path, check_writable
    from ..draw import require_dot

    out_path = Path(out_path)
    if image_format not in IMAGE_FORMATS:
        raise UserError(f"unknown image format {image_format!r}; choose svg or png")
    if out_path.suffix.lower() != ".apkg":
        raise UserError(f"output {out_path} must end in .apkg, the extension Anki imports")
    n_variants = deck_variants(spec, variants)
    check_writable(out_path)
    problem_deck_name, concept_deck_name = deck_names(spec)
    require_dot()

    from .concepts import load_concepts

    concepts = load_concepts(spec.concepts) if spec.concepts else []
    timestamp = time.time() if timestamp is None else float(timestamp)

    import genanki

    problem_model, concept_model, cloze_model = models()
    from ..progress import progress as progress_bar

    bar_cm = progress_bar(spec.total + 1, "Building deck", show=progress)
    with bar_cm as bar, atomic_path(out_path) as tmp, _package.PackageWriter(tmp, timestamp) as writer:
        problem_deck = genanki.Deck(stable_id("deck", problem_deck_name), problem_deck_name)
        problem_deck.add_model(problem_model)
        writer.add_deck(problem_deck)
        cards = problems = 0
        for exercise, drawn, slots in _drawn_exercises(spec, n_variants, image_format):
            note, pictures = _exercise_note(exercise, drawn, problem_model, slots)
            for pic in pictures:
                writer.add_media(pic.name, pic.data)
            cards += len(note.cards)
            writer.add_note(problem_deck, note)
            problems += 1
            bar.update(1)

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
    return Summary(out_path, problems, len(concepts), cards, len(media), size, image_format, n_variants)


def size_text(size: int) -> str:
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} kB"


def summary_line(summary: Summary, seconds: float | None = None) -> str:
    took = f" in {seconds:.1f} s" if seconds is not None else ""
    each = f", {summary.variants} variants each" if summary.variants > 1 else ""
    return (
        f"wrote {summary.path}: {summary.notes} notes ({summary.problems} problems{each}, {summary.concepts} concepts), "
        f"{summary.cards} cards, {summary.pictures} pictures ({summary.image_format}), {size_text(summary.size)}{took}"
    )


@click.command(name="deck")
@click.argument("spec", required=False)
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT.apkg",
              help="Write the deck here (default: the spec's name with .apkg, in this folder).")
@click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")
@click.option("--variants", type=int, default=None, metavar="N",
              help="Variants (numbers sets) per problem note, 1 to 32 (default: the spec's deck: variants, else 8); "
                   "each showing of a card deals the next.")
@click.option("--image-format", type=click.Choice(IMAGE_FORMATS), default="svg", show_default=True,
              help="Picture format: svg is small and sharp; png for old Anki clients.")
def command(spec, out, seed, variants, image_format):
    """Build an Anki deck (.apkg) of a spec's problems and concept cards (default SPEC: micrograd).

    One card per asked answer and one for the whole backward pass, each with its graph pictures and
    worked steps; concept cards from the spec's concepts file. Each problem note holds N variants of
    one exercise (the same structure, other numbers): every showing of a card deals the next, so a
    review practises the procedure, not a remembered key (variant 1 where card scripts don't run).
    Rebuilding with the same SPEC and seed and importing again updates the notes in Anki instead of
    duplicating them, whatever N; a new seed adds new problems. Needs Graphviz `dot`.

    \b
    Examples:
      backprop-practice deck
      backprop-practice deck micrograd --seed 7 -o term2.apkg
      backprop-practice deck --variants 1        # one fixed problem per note
      backprop-practice deck my-spec.yaml --image-format png
    """
    from ..spec import choose

    if variants is not None:
        from ..spec import check_variants

        check_variants(variants, "--variants")
    chosen = choose(spec, seed=seed)
    if out is not None and not out.strip():
        raise UserError("-o needs a file name")
    out_path = Path(out) if out else Path(f"{Path(chosen.name).stem}.apkg")
    started = time.monotonic()
    summary = build_deck(chosen, out_path, image_format, progress=None, variants=variants)
    click.echo(summary_line(summary, time.monotonic() - started))
