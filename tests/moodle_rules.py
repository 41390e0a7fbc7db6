"""Moodle's rules, written from its importer and grader code, for the quiz tests to read files back
as Moodle would: qformat_xml's answers, qtype_numerical's grading, the cloze parser's part syntax and
qformat_gift's reading of a GIFT file (comments, tags, escapes, answers)."""

import html
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Moodle's own patterns (question/type/multianswer): a cloze part, and the numbers it accepts.
PART = re.compile(r"\{(\d*):NUMERICAL:=([^:}]+):([^}]+)\}")
PART_START = re.compile(r"\{([0-9]*):(NUMERICAL|NM|MULTICHOICE|MC|SHORTANSWER|SA|MW)[A-Z_]*:")
ROW = re.compile(r"<tr><td>(.*?)</td><td>=</td><td[^>]*>(.*?)</td>")
PLUGINFILE = re.compile(r'@@PLUGINFILE@@/([^"\'\s<>]+)')


def run(*args, cwd=ROOT, path=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if path is not None:
        env["PATH"] = path
    return subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, text=True, cwd=cwd, env=env)


def one_line_error(r):
    assert r.returncode != 0
    assert r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    return r.stderr


def category_names(path):
    """A category path as Moodle's importer reads it (question/format.php: split_category_path): split on
    every / that is not part of //, each name trimmed, // read as a literal /; $course$ and top lead."""
    names = [n.strip().replace("\0", "/") for n in path.replace("//", "\0").split("/")]
    assert names[:2] == ["$course$", "top"], path
    return [n for n in names[2:] if n]


def filed(root):
    """[(category names, question element)] for every question of a Moodle XML file, as qformat_xml files
    them: a category question makes its path the current category (creating every level), and each
    question after it goes there. Also {category names: its info text} for the categories it names."""
    current, out, info = None, [], {}
    for q in root.findall("question"):
        if q.get("type") == "category":
            current = tuple(category_names(q.find("category/text").text))
            text = q.find("info/text")
            if text is not None:
                info[current] = html.unescape(text.text or "")
            continue
        assert current is not None, "a question before any category"
        out.append((current, q))
    return out, info


def moodle_answers(q):
    """A numerical question's answers as Moodle imports them (qformat_xml: in file order, fraction / 100)."""
    return [
        {
            "fraction": float(a.get("fraction")) / 100,
            "text": a.find("text").text,
            "tolerance": float(a.find("tolerance").text),
            "feedback": html.unescape(a.find("feedback/text").text or ""),
        }
        for a in q.findall("answer")
    ]


def moodle_grade(answers, value):
    """qtype_numerical_question::get_matching_answer with qtype_numerical_answer's nominal tolerance: the
    first answer whose [answer − t, answer + t] holds the value, t = tolerance + 1e-14 × max(1, |answer|)
    (PHP's precision 14). Returns (fraction, feedback); no match is (0, None)."""
    for a in answers:
        key = float(a["text"])
        t = a["tolerance"] + 10**-14 * max(1, abs(key))
        if key - t <= value <= key + t:
            return a["fraction"], a["feedback"]
    return 0.0, None


def significant(text):
    """Significant figures of a plain decimal number as written."""
    digits = text.lstrip("-").replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if "." in text else len(digits)


def near_misses(value, tolerance):
    """Answers a careful learner may type: the key moved by up to 99% of the tolerance either way."""
    return [value + f * tolerance for f in (-0.99, -0.5, 0, 0.5, 0.99)]


def givens(r):
    """The question's lines a quiz must state: all but the "find ..." line and the rounding rule."""
    return [line.strip() for line in r["question"].split("\n") if line.strip() not in ("", r["rounding"]) and not line.startswith("find ")]


SPECIAL = set("~=#{}:\\")
TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>`\x00-\x1f])+)\]")  # qformat_gift::extract_idnumber_and_tags_from_comment


def read_gift(text):
    """Questions back out of GIFT, the way Moodle's importer (qformat_gift::readquestion) reads them:
    blocks between blank lines, // comment lines set apart (their [tag:...] tokens are the tags), escapes
    swapped for placeholders, ::name::, the first {...} as the answer, #### general feedback, then for a
    numerical question the answers split on =, each with an optional %weight% and a #feedback. A
    $CATEGORY: line files every question after it in that category."""
    marks = {c: chr(0xE001 + i) for i, c in enumerate(":#={}~n")}
    found = {"category": None, "questions": []}  # the first category line; each question has its own
    current = None
    for block in re.split(r"\n[ \t]*\n", text):
        comments = "\n".join(line for line in block.split("\n") if line.strip().startswith("//"))
        lines = [line for line in block.split("\n") if not line.strip().startswith("//")]
        t = "\n".join(lines).strip()
        if not t:
            continue
        t = t.replace("\\\\", "\ue000")
        for c, mark in marks.items():
            t = t.replace("\\" + c, mark)
        t = t.replace("\ue000", "\\")

        def post(s):
            for c, mark in marks.items():
                s = s.replace(mark, "\n" if c == "n" else c)
            return s.strip()

        if t.startswith("$CATEGORY:"):
            current = t[len("$CATEGORY:"):].strip()
            found["category"] = found["category"] or current
            continue
        assert t.startswith("::")
        end = t.index("::", 2)
        title, t = post(t[2:end]), t[end + 2:].strip()
        start, finish = t.index("{"), t.index("}")
        assert finish == len(t) - 1  # the answer block ends the question
        answer, qtext = t[start + 1:finish].strip(), t[:start]
        assert answer.startswith("#")
        answer, _, feedback = answer[1:].partition("####")
        assert "~" not in answer  # no catch-all wrong answer
        answers = []
        for part in answer.split("="):
            part = part.strip()
            if not part:
                continue
            weight = re.match(r"%(-*[0-9]{1,2}(?:\.[0-9]*)?)%", part)
            fraction = float(weight.group(1)) / 100 if weight else 1.0
            part = part[weight.end():] if weight else part
            value_tol, _, why = part.partition("#")
            value, tol = value_tol.split(":")
            answers.append({"fraction": fraction, "text": value.strip(), "tolerance": float(tol), "feedback": post(why)})
        assert qtext.startswith("[plain]")
        found["questions"].append({
            "title": title, "text": post(qtext[len("[plain]"):]), "answers": answers,
            "feedback": post(feedback), "tags": [m.replace("\\]", "]").strip() for m in TAG.findall(comments)],
            "category": current,
        })
    return found
