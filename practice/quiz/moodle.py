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


def moodle_text(category_path: str, info, items: list[dict]) -> str:
    """One complete Moodle XML file: the category, then `items`."""
    return env("xml").get_template("quiz/moodle.xml.j2").render(category=category_path, info=info, items=items, penalty=PENALTY)


def moodle_parts(spec, records: list[dict], pics, max_size: int | None, meta: dict) -> list[tuple[bytes, list[dict]]]:
    """Moodle XML as [(file bytes, its items)]: one file when it fits `max_size` bytes (or no limit),
    else the fewest parts, questions in order, each a complete file that fits. A question that cannot
    fit in a file of its own is a UserError, raised before anything is written."""
    path = category(spec)
    info = cdata(html("category_info", meta))
    items = moodle_items(records, pics)
    whole = moodle_text(path, info, items).encode("utf-8")
    if max_size is None or len(whole) <= max_size:
        return [(whole, items)]
    empty = len(moodle_text(path, info, []).encode("utf-8"))
    sizes = [len(moodle_text(path, info, [item]).encode("utf-8")) - empty for item in items]
    groups: list[list[dict]] = [[]]
    used = empty
    for item, size in zip(items, sizes):
        if empty + size > max_size:
            raise UserError(
                f"--max-size {human_size(max_size)} is too small: the question {_name(item)} alone makes a "
                f"{human_size(empty + size)} file; give at least --max-size {human_size(empty + size, up=True)}"
            )
        if groups[-1] and used + size > max_size:
            groups.append([])
            used = empty
        groups[-1].append(item)
        used += size
    parts = [(moodle_text(path, info, group).encode("utf-8"), group) for group in groups]
    for data, group in parts:  # the sum of question sizes is the file's size; checked, not assumed
        if len(data) > max_size:
            raise AssertionError(f"a part of {len(data)} bytes passes the limit of {max_size}")
    return parts


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
