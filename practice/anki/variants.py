"""A note's variants 2..N: the fields that carry them, beside variant 1's own fields.

A problem note's fields hold variant 1 (today's problem: what the card shows where scripts can't run). The
Variants field holds, for each other variant, the HTML of every field a card of the note shows (VARIANT_FIELDS),
VariantGrading their typed-answer grading data (a JSON list, variant 2 first), and VariantCount N. The cards
are variant 1's (which answers get a card, whether there is a whole-pass card), and every variant fills them.
The card script (templates/anki/variants.js) only chooses which variant to show; nothing is computed there.
"""

from markupsafe import Markup

from ..typed import grading_data, script_json
from .cards import card_answers, wants_pass_card
from .fields import VARIANT_FIELDS, field, problem_fields


def card_slots(exercise: list[dict]) -> tuple[list[bool], bool]:
    """(which answers get a card, whether there is a whole-pass card): variant 1's, for every variant."""
    first = exercise[0]
    return card_answers(first), wants_pass_card(first)


def own_pictures(exercise: list[dict], slots=None) -> list[list[str]]:
    """For each variant, the answers that need a picture of their own (those of the note's answer cards).
    `slots`: card_slots(exercise), when the caller has it."""
    slots, _ = card_slots(exercise) if slots is None else slots
    return [[a["name"] for a, on in zip(p["answers"], slots) if on] for p in exercise]


def check_exercise(exercise: list[dict]) -> None:
    """Every variant fills variant 1's cards: it asks as many answers (the structure rule makes sure)."""
    first = exercise[0]
    for p in exercise[1:]:
        if len(p["answers"]) != len(first["answers"]):
            raise RuntimeError(f"variant {p['id']} of {first['id']} asks {len(p['answers'])} answers, not {len(first['answers'])}")


def note_fields(exercise: list[dict], pictures: list, slots=None) -> dict[str, str]:
    """Field name -> HTML of the note of an exercise (its variants, in order), given each variant's pictures.
    `slots`: card_slots(exercise), when the caller has it."""
    check_exercise(exercise)
    slots, whole_pass = card_slots(exercise) if slots is None else slots
    fields = problem_fields(exercise[0], pictures[0], slots, whole_pass)
    if len(exercise) == 1:
        return fields
    shown = [name for name in VARIANT_FIELDS if fields[name]]  # what some card of this note shows
    items = []
    for k, (problem, pics) in enumerate(zip(exercise[1:], pictures[1:]), start=2):
        own = problem_fields(problem, pics, slots, whole_pass)
        items.append((k, [(name, Markup(own[name])) for name in shown]))
    fields["Variants"] = field("variants", items)
    fields["VariantGrading"] = script_json([grading_data(p) for p in exercise[1:]])
    fields["VariantCount"] = str(len(exercise))
    return fields
