"""GIFT, Moodle's text import format: the numerical questions only (GIFT carries no pictures), as plain
text ([plain] format, so indentation and symbols show as written) that states every given value and
statement, with the same mistake answers as Moodle XML and Moodle's `// [tag:...]` comment line, under the
quiz's category (practice/quiz/moodle.py).
"""

from .moodle import category, tags
from .view import env, view

GIFT_SPECIAL = "\\~=#{}:"


def gift_escape(text: str) -> str:
    """GIFT text: a backslash before each of ~ = # { } : and backslash itself; line breaks as \\n.

    The result holds no raw special character and no line break, so it can never end a question,
    open an answer block or start a comment line. \\r\\n and \\r count as line breaks.
    """
    text = str(text).replace("\r\n", "\n").replace("\r", "\n")
    return "".join("\\" + ch if ch in GIFT_SPECIAL else "\\n" if ch == "\n" else ch for ch in text)


def gift_unescape(text: str) -> str:
    """The inverse of gift_escape, read the way Moodle's GIFT importer reads escapes."""
    out, i = [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\n" if nxt == "n" else nxt if nxt in GIFT_SPECIAL else ch + nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- GIFT


def gift(spec, exercises: list[list[dict]], meta: dict) -> tuple[str, int]:
    """The GIFT file and its number of questions. One variant an exercise: every question in the quiz's
    category. More: each asked answer of an exercise gets a `$CATEGORY:` line of its own
    (TOP/<exercise>/<answer>, as in Moodle XML) with that answer's question of every variant after it."""
    from .moodle import exercise_slots

    top = category(spec)
    items = []
    if max((len(e) for e in exercises), default=1) == 1:
        for (record,) in exercises:
            v = view(record)
            items += [{"q": v, "a": a, "tags": tags(v, "one-answer"), "category": None} for a in v.answers]
    else:
        for _path, _views, slots in exercise_slots(top, exercises):
            for slot, pairs in slots:
                items += [{"q": v, "a": a, "tags": tags(v, "one-answer"), "category": slot if i == 0 else None}
                          for i, (v, a) in enumerate(pairs)]
    environment = env("text")
    environment.filters.setdefault("gift", gift_escape)
    text = environment.get_template("quiz/quiz.gift.j2").render(category=top, meta=meta, items=items)
    return text, len(items)
