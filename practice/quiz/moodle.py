"""Moodle XML: questions with their pictures embedded, in the quiz's category, split into parts that fit an
upload limit. (GIFT, Moodle's text format, is practice/quiz/gift.py; both use the categories below.)

Moodle XML holds, for every problem:
  - one `numerical` question per asked quantity: the key first (100%, the record's tolerance, stored to
    about 6 significant figures), then a 0% answer for each distinct catalogued mistake value with that
    mistake's explanation as its feedback. Moodle grades with the first answer that matches, so the key
    always wins and a mistake is named only when the answer is wrong;
  - one `cloze` question for the whole backward pass: a box for every non-constant value's grad (all
    but the output's, which is given) in the order the pass reaches them, then any non-grad answers.
    A grad that is not 0 but smaller than 0.0001 is printed as given instead of asked: LMSs round such
    answers to 0.
Each question text embeds the question picture (grads blank) as a base64 <file> referenced as
@@PLUGINFILE@@/name (Moodle XML needs a copy in every question that shows it); the general feedback has
the worked steps, and the cloze question's also embeds the answer picture. Pictures are made small first
(practice/pictures_small.py). When the file would pass the size limit (a stock PHP site refuses uploads
over 2 MB), it is written as numbered parts, each a complete file with the same category.
"""

import base64
from typing import NamedTuple

from ..errors import UserError, one_line
from .view import Quantity, View, check_xml_text, env, html, view

PENALTY = "0.3333333"  # Moodle's default: a third of the mark lost per extra try in interactive mode
CSS_PX_PER_PT = 4 / 3  # show pictures at their natural size: 10 pt text stays 10 pt
TAG = "backprop-practice"


# ---------------------------------------------------------------- escaping


def cdata(text: str):
    """A CDATA section holding `text` (as Markup, for the autoescaped XML template); a "]]>" inside
    is split across two sections."""
    from markupsafe import Markup

    check_xml_text(text)
    return Markup("<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>")


# ---------------------------------------------------------------- categories


def escape_category_name(name: str) -> str:
    """One category name in a Moodle path, the way Moodle's exporter writes it (question/format.php,
    assemble_category_path): every / doubled, and a space before a leading / or after a trailing one, so
    that the importer's split on single slashes gives the name back."""
    escaped = name.replace("/", "//")
    if escaped.startswith("/"):
        escaped = " " + escaped
    if escaped.endswith("/"):
        escaped += " "
    return escaped


def split_category_path(path: str) -> list[str]:
    """Moodle's split_category_path: split on a / that is not part of //, trim, then // means /."""
    import re

    return [part.strip().replace("//", "/") for part in re.split(r"(?<!/)/(?!/)", path)]


def category(spec) -> str:
    """The Moodle category path below $course$/top/: the spec's quiz category (where / nests, // is a
    literal slash, empty levels are dropped), or its title as one category (every / kept literally)."""
    chosen = (spec.sections or {}).get("quiz", {}).get("category")
    if chosen:
        names = [n for n in split_category_path(one_line(chosen)) if n]
    else:
        names = [one_line(spec.title)] if one_line(spec.title) else []
    if not any(n.strip() for n in names):
        raise UserError(f"spec {spec.name}: the quiz category is empty")
    return check_xml_text("/".join(escape_category_name(n) for n in names), f"spec {spec.name}: the quiz category")


# ---------------------------------------------------------------- Moodle XML


def _file(pic) -> dict:
    return {"name": pic.name, "base64": base64.b64encode(pic.data).decode("ascii")}


def shown(pic, src: str) -> dict:
    """What an <img> needs: where the file is, and its natural size in CSS px (10 pt text stays 10 pt)."""
    w, h = pic.size_pt
    return {"name": pic.name, "src": src, "width": round(w * CSS_PX_PER_PT), "height": round(h * CSS_PX_PER_PT)}


def _shown(pic) -> dict:
    return shown(pic, f"@@PLUGINFILE@@/{pic.name}")


def tags(v: View, what: str) -> list[str]:
    return [TAG, v.kind, v.difficulty, what]


def _numerical(v: View, a: Quantity, qfile: dict, qshown: dict) -> dict:
    return {
        "type": "numerical", "q": v, "a": a,
        "text": cdata(html("numerical", v, a, qshown)), "text_files": [qfile],
        "feedback": cdata(html("feedback", v, a, None)), "feedback_files": [],
        "value": a.text, "tolerance": a.tolerance_text,
        "mistakes": [{"value": m.text, "feedback": cdata(html("mistake_feedback", m))} for m in a.mistakes],
        "tags": tags(v, "one-answer"), "pictures": 1,
    }


def _cloze(v: View, qfile: dict, qshown: dict, apic) -> dict:
    return {
        "type": "cloze", "q": v,
        "text": cdata(html("cloze", v, qshown)), "text_files": [qfile],
        "feedback": cdata(html("feedback", v, None, _shown(apic))), "feedback_files": [_file(apic)],
        "tags": tags(v, "whole-pass"), "pictures": 2,
    }


def moodle_items(records: list[dict], pics) -> list[dict]:
    """The questions of every problem, in order: its numerical questions, then its cloze question."""
    items = []
    for record, (qpic, apic) in zip(records, pics):
        v = view(record)
        qfile, qshown = _file(qpic), _shown(qpic)
        items.extend(_numerical(v, a, qfile, qshown) for a in v.answers)
        items.append(_cloze(v, qfile, qshown, apic))
    return items


class Group(NamedTuple):
    """Questions that stay in one file when they can: `head` (category lines) opens them and opens them
    again in any part that continues them; `body` holds questions and Groups, in order."""

    head: list
    body: list


def _phrase(name: str, *args) -> str:
    return one_line(str(getattr(env("text").get_template("quiz/phrases.j2").module, name)(*args)))


def _category_item(path: str, info=None) -> dict:
    return {"type": "category", "path": check_xml_text(path), "info": info}


def exercise_slots(top: str, exercises: list[list[dict]]):
    """For each exercise: (its category path TOP/<exercise i>, its variants' Views, [(the path of one of its
    asked answers' sub-category, [(View, Quantity) of that answer in every variant])]). Variants of an exercise ask the
    same answers (practice/equivalence.py); should one ever not, answers are matched by position and the
    sub-category named by it."""
    width = len(str(len(exercises)))
    for number, variants in enumerate(exercises, start=1):
        views = [view(r) for r in variants]
        path = f"{top}/{escape_category_name(_phrase('exercise_category', number, width, views[0]))}"
        slots = []
        for k in range(max(len(v.answers) for v in views)):
            names = {v.answers[k].name for v in views if k < len(v.answers)}
            name = names.pop() if len(names) == 1 else _phrase("answer_slot", k + 1)
            slots.append((f"{path}/{escape_category_name(name)}", [(v, v.answers[k]) for v in views if k < len(v.answers)]))
        yield path, views, slots


def exercise_units(top: str, exercises: list[list[dict]], pics) -> list[Group]:
    """An exercise's variants where Moodle draws one per student: for exercise i, a category
    TOP/<exercise i> holding one sub-category per question of the exercise (each asked answer, then the
    whole backward pass), with that question of every variant inside, named as always. A random question
    from a question's sub-category gives each student that question with other numbers."""
    units, at = [], 0
    for path, views, slots in exercise_slots(top, exercises):
        pic_of = {v.id: (_file(q), _shown(q), a) for v, (q, a) in zip(views, pics[at : at + len(views)])}
        at += len(views)
        head = [_category_item(path, cdata(html("exercise_info", views[0], len(views))))]
        body = []
        for slot, pairs in slots:
            items = [_numerical(v, a, *pic_of[v.id][:2]) for v, a in pairs]
            body.append(Group([_category_item(slot)], items))
        items = [_cloze(v, *pic_of[v.id]) for v in views]
        body.append(Group([_category_item(f"{path}/{escape_category_name(_phrase('pass_slot'))}")], items))
        units.append(Group(head, body))
    return units


def moodle_text(category_path: str, info, items: list[dict]) -> str:
    """One complete Moodle XML file: the category, then `items` (questions, and category lines)."""
    return env("xml").get_template("quiz/moodle.xml.j2").render(category=category_path, info=info, items=items, penalty=PENALTY)


def _flat(unit) -> list[dict]:
    return unit.head + [e for child in unit.body for e in _flat(child)] if isinstance(unit, Group) else [unit]


def moodle_parts(spec, exercises: list[list[dict]], pics, max_size: int | None, meta: dict) -> list[tuple[bytes, list[dict]]]:
    """Moodle XML as [(file bytes, its items)]: one file when it fits `max_size` bytes (or no limit),
    else the fewest parts, in order, each a complete file that fits. One variant an exercise: split
    between any two questions. More: an exercise's questions stay in one part unless the exercise alone
    is too big, then a question's variants stay together unless they alone are, a part that continues a
    category opening it again. A question that cannot fit in a file of its own is a UserError, raised
    before anything is written."""
    path = category(spec)
    info = cdata(html("category_info", meta))
    if max((len(e) for e in exercises), default=1) > 1:
        units = exercise_units(path, exercises, pics)
    else:
        units = moodle_items([e[0] for e in exercises], pics)
    items = [e for unit in units for e in _flat(unit)]
    whole = moodle_text(path, info, items).encode("utf-8")
    if max_size is None or len(whole) <= max_size:
        return [(whole, items)]
    empty = len(moodle_text(path, info, []).encode("utf-8"))
    sizes = {id(e): len(moodle_text(path, info, [e]).encode("utf-8")) - empty for e in items}
    groups = _pack(units, lambda els: sum(sizes[id(e)] for e in els), empty, max_size)
    parts = [(moodle_text(path, info, group).encode("utf-8"), group) for group in groups]
    for data, group in parts:  # the sum of question sizes is the file's size; checked, not assumed
        if len(data) > max_size:
            raise AssertionError(f"a part of {len(data)} bytes passes the limit of {max_size}")
    return parts


def _pack(units: list, size, empty: int, max_size: int) -> list[list[dict]]:
    """`units` (questions and Groups) in the fewest parts under `max_size`, by the rule of moodle_parts."""
    groups: list[list[dict]] = [[]]
    used = empty

    def place(unit, heads: list[list[dict]]):
        nonlocal used
        opening = [e for head in heads for e in head]  # what a part must hold before this unit
        missing = [e for e in opening if not any(x is e for x in groups[-1])]
        elements = _flat(unit)
        if used + size(missing + elements) <= max_size:
            groups[-1].extend(missing + elements)
            used += size(missing + elements)
            return
        if groups[-1] and empty + size(opening + elements) <= max_size:
            groups.append(opening + elements)
            used = empty + size(opening + elements)
            return
        if not isinstance(unit, Group):
            need = empty + size(opening + elements)
            raise UserError(
                f"--max-size {human_size(max_size)} is too small: the question {_name(unit)} alone makes a "
                f"{human_size(need)} file; give at least --max-size {human_size(need, up=True)}"
            )
        for child in unit.body:
            place(child, heads + [unit.head])

    for unit in units:
        place(unit, [])
    return groups


def _name(item: dict) -> str:
    v = item["q"]
    return f"{v.id} · {item['a'].name}" if item["type"] == "numerical" else f"{v.id} · whole backward pass"


def human_size(n: int, up: bool = False) -> str:
    """1,234,567 bytes as "1.17 MB" (1 MB = 1,048,576 bytes, as PHP counts upload limits), rounded down so
    that a file under a limit never reads as over it; `up` rounds up (a size to ask for)."""
    import math

    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        kb = math.ceil(n / 1024) if up else round(n / 1024)
        return f"{kb} KB"
    mb = math.ceil(n / 1024 / 1024 * 100) / 100 if up else math.floor(n / 1024 / 1024 * 100) / 100
    return f"{mb:.2f} MB"
