"""A problem note's fields: HTML made from templates/anki/fields.html, one macro per field (or part of one).

The card templates (templates/anki/*.html) show these fields; the field list only ever grows at its end, so
a learner's collection keeps its notes when a new deck is imported over an old one.
"""

from functools import lru_cache

from markupsafe import Markup, escape

from ..errors import UserError
from ..numbers import fmt, has_places
from ..typed import grading_field
from .cards import card_answers, question_parts, steps_for_each, wants_pass_card

# Answer slots of the problem note: one card template each. A neuron with three inputs asks for 7 grads.
MAX_ANSWERS = 8
PICTURE_PX_PER_PT = 1.5  # CSS px per point: 10 pt labels at 15 px; the card CSS caps a picture at the card width
OP_TAGS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}


@lru_cache(maxsize=None)
def env():
    import jinja2

    from ..resources import templates_dir

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


def card_template(name: str, **values) -> str:
    return env().get_template(name).render(**values).strip() + "\n"


@lru_cache(maxsize=None)
def macros():
    return env().get_template("fields.html").module


def field(macro: str, *args) -> str:
    return str(getattr(macros(), macro)(*args)).strip()


@lru_cache(maxsize=4096)
def same_field(macro: str, *args) -> str:
    """field(), for a macro whose arguments repeat from note to note (a card's question, from an answer's name
    and the problem's kind and output): each distinct one rendered once."""
    return field(macro, *args)


_HOLE = "\x00"  # around a hole's number in a macro's HTML: no field holds it, and escaping leaves it


def hole(k: int) -> Markup:
    """Hole k of a holes() pattern, given to the macro in place of the text that will fill it."""
    return Markup(f"{_HOLE}{k}{_HOLE}")


def holes(macro: str, *args) -> str:
    """A macro's HTML with holes in it, as a str.format pattern ({k} for hole k, the HTML's own braces doubled),
    from one call of the macro with hole(k) markers among `args`. Its format(*texts) puts texts (HTML: text
    escaped by html()) in the holes: a part of one shape rendered once, however many notes have one (a macro
    call costs more than the part's own HTML)."""
    pieces = field(macro, *args).split(_HOLE)
    pieces[0::2] = [p.replace("{", "{{").replace("}", "}}") for p in pieces[0::2]]
    pieces[1::2] = ["{" + str(int(k)) + "}" for k in pieces[1::2]]
    return "".join(pieces)


_ESCAPED: dict[str, str] = {}
_CACHE_MOST = 50_000


def html(text: str) -> str:
    """Text as a macro's << >> writes it (escaped); each distinct text (a mistake's why, a number) escaped once."""
    done = _ESCAPED.get(text)
    if done is None:
        done = str(escape(text))
        if len(_ESCAPED) < _CACHE_MOST:
            _ESCAPED[text] = done
    return done


@lru_cache(maxsize=None)
def _answer_holes(tolerance: bool, mistakes: int, several: bool):
    """The answer macro's pattern (holes) for an answer with (or without) a tolerance and this many mistakes."""
    return holes("answer", hole(0), hole(1), hole(2) if tolerance else "",
                 tuple((hole(3 + 2 * i), hole(4 + 2 * i)) for i in range(mistakes)), several)


def answer_html(item, several: bool) -> str:
    """The answer macro's HTML of an answer_item; `several`: the field shows several answers."""
    shown, value, tolerance, mistakes = item
    texts = [shown, html(value), html(tolerance)]
    for got, why in mistakes:
        texts += (html(got), html(why))
    return _answer_holes(bool(tolerance), len(mistakes), several).format(*texts)


@lru_cache(maxsize=None)
def _step_holes(pieces: int):
    return holes("step_item", tuple(hole(k) for k in range(pieces)))


def step_item(line: str) -> str:
    """The step_item macro's HTML of a worked step's line."""
    pieces = str(escape(line)).split(" = ")  # escaping leaves every " = " as it is: each piece escaped, at once
    return _step_holes(len(pieces)).format(*pieces)


@lru_cache(maxsize=None)
def _steps_holes():
    return holes("steps", hole(0))


@lru_cache(maxsize=None)
def _picture_holes():
    return holes("picture", hole(0), hole(1), hole(2))


def clear_caches() -> None:
    """Forget the loaded templates (a test that points templates_dir elsewhere calls this before and after)."""
    env.cache_clear()
    macros.cache_clear()
    for cached in (same_field, _answer_holes, _step_holes, _steps_holes, _picture_holes):
        cached.cache_clear()


def css() -> str:
    from ..resources import templates_dir

    return (templates_dir() / "anki" / "cards.css").read_text(encoding="utf-8")


# The fields that hold one variant's text and pictures: each is shown in an element of the card templates
# carrying data-field="<name>", which the card script fills with another variant's (practice/anki/variants.py).
VARIANT_FIELDS = ["Id", "Question", "QuestionPicture", "Answer", "AnswerPicture", "Steps", "Pass"]
for _n in range(1, MAX_ANSWERS + 1):
    VARIANT_FIELDS += [f"Ask{_n}", f"Answer{_n}", f"Steps{_n}", f"AnswerPicture{_n}"]


def _field_names() -> tuple[str, ...]:
    """The problem note's fields. New fields go at the end: a learner's collection keeps its notes."""
    names = ["Id", "Question", "QuestionPicture", "Answer", "AnswerPicture", "Steps", "Kind", "Difficulty", "Pass"]
    for n in range(1, MAX_ANSWERS + 1):
        names += [f"Ask{n}", f"Answer{n}", f"Steps{n}"]
    names += [f"AnswerPicture{n}" for n in range(1, MAX_ANSWERS + 1)]
    names.append("Grading")  # what the typed-answer boxes' verdicts read (practice/typed.py)
    names += ["Variants", "VariantGrading", "VariantCount"]  # variants 2..N (practice/anki/variants.py)
    return tuple(names)


PROBLEM_FIELDS = _field_names()  # made once: every note reads them


def problem_field_names() -> list[str]:
    return list(PROBLEM_FIELDS)


def answer_item(answer: dict) -> tuple[str, str, str, list[tuple[str, str]]]:
    """(name's HTML, value, tolerance or "", [(a mistake's value, why)]) of one answer, as people see them."""
    value = answer["value"]
    tolerance = "" if has_places(value, 2) else fmt(answer["tolerance"])
    mistakes = [(fmt(m["value"]), m["why"]) for m in answer.get("mistakes", []) if m.get("why")]
    return same_field("answer_name", answer["name"]), fmt(value), tolerance, mistakes


def steps_fields(lines: list[str], each: list[list[str]]) -> tuple[str, list[str]]:
    """The Steps field of every step `lines`, and a Steps field for each list of `each` (lines of `lines`):
    each line rendered once, though most are in several fields."""
    items = {line: step_item(line) for line in dict.fromkeys(lines)}
    steps = _steps_holes()
    return steps.format("".join(items[line] for line in lines)), [
        steps.format("".join(items[line] for line in own)) for own in each
    ]


def css_width(picture) -> int:
    """The picture's width on a card in CSS pixels: readable labels on a phone, not huge on a desktop."""
    return round(picture.size_pt[0] * PICTURE_PX_PER_PT)


def check_answers(problem: dict) -> None:
    if len(problem["answers"]) > MAX_ANSWERS:
        raise UserError(
            f"problem {problem['id']} asks for {len(problem['answers'])} answers; "
            f"a deck note has room for {MAX_ANSWERS}"
        )


def problem_fields(problem: dict, pictures, slots: list[bool] | None = None, whole_pass: bool | None = None) -> dict[str, str]:
    """Field name -> HTML for one problem, given its draw.CardPictures (question, answer, each).

    `slots` (which answers have a card of their own) and `whole_pass` (whether the whole-pass card is made)
    default to the problem's own (cards.card_answers, cards.wants_pass_card); a note's variants 2..N take
    variant 1's, since the note's cards are variant 1's."""
    check_answers(problem)
    answers = problem["answers"]
    slots = card_answers(problem) if slots is None else slots
    whole_pass = wants_pass_card(problem) if whole_pass is None else whole_pass
    rounding = problem.get("rounding", "")
    blocks, find = question_parts(problem["question"], rounding)
    output, output_grad = problem["output"], problem.get("output_grad", 1.0)
    find_text = find[:1].upper() + find[1:] if find else ""
    items = [answer_item(a) for a in answers]  # each answer's numbers as people see them, once for both fields
    width = css_width(pictures.question)  # every picture of a problem has its size: the card never jumps
    fields = dict.fromkeys(PROBLEM_FIELDS, "")
    fields.update(
        Id=problem["id"],
        Question=field("question", blocks, rounding),
        Answer="".join(answer_html(item, len(items) > 1) for item in items),
        Kind=problem["kind"],
        Difficulty=problem["difficulty"],
        Pass=same_field("whole_pass", find_text, all(" " not in a["name"] for a in answers)) if whole_pass else "",
    )
    wanted = [(n, answer, item) for n, (answer, item, on) in enumerate(zip(answers, items, slots), start=1) if on]
    fields["Steps"], steps = steps_fields(problem.get("steps") or [],
                                          steps_for_each(problem, [answer["name"] for _, answer, _ in wanted]))
    for (n, answer, item), own_steps in zip(wanted, steps):
        fields[f"Ask{n}"] = same_field("ask", answer["name"], problem["kind"], output, output_grad)
        fields[f"Answer{n}"] = answer_html(item, False)
        fields[f"Steps{n}"] = own_steps
    # (field, file, what it shows) of each picture
    pics = [("QuestionPicture", pictures.question.name, "question"), ("AnswerPicture", pictures.answer.name, "all")]
    pics += [(f"AnswerPicture{n}", pictures.each[answer["name"]].name, answer["name"]) for n, answer, _ in wanted]
    img, shown_width = _picture_holes(), html(str(width))
    for key, name, what in pics:
        fields[key] = img.format(html(name), shown_width, same_field("picture_alt", what))
    fields["Grading"] = grading_field(problem)
    fields["VariantCount"] = "1"
    return fields


def problem_tags(problem: dict) -> list[str]:
    ops = sorted({OP_TAGS.get(n["op"], n["op"]) for n in problem["nodes"] if n.get("op")})
    return [f"kind::{problem['kind']}", f"difficulty::{problem['difficulty']}"] + [f"op::{op}" for op in ops]


def concept_tags(card: dict) -> list[str]:
    tags = list(card.get("tags") or [])
    tags += [f"op::{t[3:]}" for t in tags if t.startswith("op-")]
    tags.append(f"objective::{card['objective']}")
    return list(dict.fromkeys(tags))
