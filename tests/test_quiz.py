"""The `quiz` command: Moodle XML and GIFT read back and checked against the JSON answer keys."""

import base64
import html
import math
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from practice import draw, quiz
from practice.errors import UserError
from practice.generate import make_problem, problem_set, tolerance
from practice.spec import choose

ROOT = Path(__file__).resolve().parents[1]
SPEC, SEED = "micrograd", 11  # every kind at every difficulty the lesson mix has

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


# ---------------------------------------------------------------- Moodle XML


@pytest.fixture(scope="module")
def records():
    spec = choose(SPEC, seed=SEED)
    return problem_set(spec.entries, spec.seed)


@pytest.fixture(scope="module", params=["png", "svg"])
def moodle(request, tmp_path_factory, records):
    fmt = request.param
    out = tmp_path_factory.mktemp(fmt) / "quiz.xml"
    summary = quiz.build_quiz(choose(SPEC, seed=SEED), out, "moodle", fmt)
    root = ET.parse(out).getroot()
    return {"fmt": fmt, "root": root, "summary": summary, "out": out, "pictures": draw.pictures(records, fmt)}


def questions(root, kind):
    return [q for q in root.findall("question") if q.get("type") == kind]


def name(q):
    return q.find("name/text").text


def by_problem(root, kind, records):
    """{problem index: [questions]}, matched by the problem id in each question's name."""
    ids = {r["id"]: i for i, r in enumerate(records)}
    out = {}
    for q in questions(root, kind):
        matches = [pid for pid in ids if pid in name(q)]
        assert len(matches) == 1, name(q)
        out.setdefault(ids[matches[0]], []).append(q)
    return out


def test_category_comes_first(moodle):
    first = moodle["root"].find("question")
    assert first.get("type") == "category"
    assert first.find("category/text").text == "$course$/top/Backprop Practice: micrograd"
    info = first.find("info/text").text
    assert f"backprop-practice quiz {SPEC} --seed {SEED}" in info


def test_one_numerical_question_per_answer_with_value_and_tolerance(moodle, records):
    root = moodle["root"]
    numerical = questions(root, "numerical")
    assert len(numerical) == sum(len(r["answers"]) for r in records) == moodle["summary"].numerical
    grouped = by_problem(root, "numerical", records)
    for i, r in enumerate(records):
        got = {name(q).split(" · ")[-1]: q for q in grouped[i]}
        assert set(got) == {a["name"] for a in r["answers"]}
        for a in r["answers"]:
            q = got[a["name"]]
            answer = q.find("answer")
            assert answer.get("fraction") == "100"
            assert float(answer.find("text").text) == a["value"]  # full precision, not display rounding
            assert float(answer.find("tolerance").text) == a["tolerance"]
            assert a["value"] == 0 or abs(a["value"]) >= 1e-4
            assert q.find("hidden").text == "0" and q.find("defaultgrade").text == "1"
            assert q.find("unitgradingtype").text == "0" and q.find("showunits").text == "3"
            assert 0 < float(q.find("penalty").text) < 1
            text = html.unescape(q.find("questiontext/text").text)
            assert a["name"].split(".")[0] in text


def test_one_cloze_question_per_problem(moodle, records):
    grouped = by_problem(moodle["root"], "cloze", records)
    assert sorted(grouped) == list(range(len(records)))
    assert all(len(qs) == 1 for qs in grouped.values())
    assert moodle["summary"].cloze == len(records)


def _decoded(file_el):
    assert file_el.get("path") == "/" and file_el.get("encoding") == "base64"
    return base64.b64decode(file_el.text, validate=True)


def _valid_picture(data, fmt):
    if fmt == "png":
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    else:
        assert ET.fromstring(data).tag == "{http://www.w3.org/2000/svg}svg"


def _embedded(field):
    """{file name: bytes} for a questiontext/generalfeedback element; every reference has its file and back."""
    refs = set(PLUGINFILE.findall(field.find("text").text or ""))
    files = {f.get("name"): _decoded(f) for f in field.findall("file")}
    assert refs == set(files)
    return files


def test_every_picture_is_embedded_beside_its_reference_and_is_the_drawn_one(moodle, records):
    root, fmt, pics = moodle["root"], moodle["fmt"], moodle["pictures"]
    count = 0
    for kind in ("numerical", "cloze"):
        for i, qs in by_problem(root, kind, records).items():
            question_pic, answer_pic = pics[i]
            for q in qs:
                files = _embedded(q.find("questiontext"))
                assert list(files) == [question_pic.name]
                _valid_picture(files[question_pic.name], fmt)
                assert files[question_pic.name] == question_pic.data  # byte for byte what draw makes
                feedback = _embedded(q.find("generalfeedback"))
                if kind == "cloze":
                    assert feedback == {answer_pic.name: answer_pic.data}
                    _valid_picture(answer_pic.data, fmt)
                else:
                    assert feedback == {}
                count += 1 + len(feedback)
    assert count == moodle["summary"].pictures
    assert question_pic.name.endswith("." + fmt)


def _expected_rows(r):
    """label -> (value, tolerance or None when the label is shown, not asked), from the answer key."""
    answers = {a["name"]: a for a in r["answers"]}
    rows = {}
    for n in r["nodes"]:
        if n.get("constant") or n["name"] == r["output"]:
            continue
        key = f"{n['name']}.grad"
        tol = answers[key]["tolerance"] if key in answers else tolerance(n["grad"], r["difficulty"], key)
        rows[key] = (n["grad"], None if 0 < abs(n["grad"]) < 1e-4 else tol)
    for a in r["answers"]:
        if a["name"].endswith(".new"):
            rows[f"{a['name'][:-4]} after the step"] = (a["value"], a["tolerance"])
        elif a["name"] == "estimate":
            rows["estimate of df/dx"] = (a["value"], a["tolerance"])
    return rows


def test_cloze_parts_parse_back_to_the_answer_key(moodle, records):
    for i, (q,) in by_problem(moodle["root"], "cloze", records).items():
        r = records[i]
        text = q.find("questiontext/text").text
        parts = PART.findall(text)
        assert len(parts) == len(PART_START.findall(text))  # no prose Moodle could read as a part
        got = {}
        for label, cell in ROW.findall(text):
            m = PART.fullmatch(cell)
            if m:
                weight, value, tol = m.groups()
                assert weight == "1"
                assert quiz.MOODLE_NUMBER.fullmatch(value) and quiz.MOODLE_NUMBER.fullmatch(tol)
                got[html.unescape(label)] = (float(value), float(tol))
            else:
                assert "given" in cell
                got[html.unescape(label)] = (None, None)
        expected = _expected_rows(r)
        assert set(got) == set(expected), r["id"]
        assert len(parts) == sum(1 for _, t in expected.values() if t is not None)
        for label, (value, tol) in expected.items():
            if tol is None:
                assert got[label] == (None, None)
            else:
                assert got[label] == (value, tol), (r["id"], label)
        for a in r["answers"]:  # every asked answer is a part, with its own tolerance
            assert (a["value"], a["tolerance"]) in got.values()


def test_general_feedback_holds_the_worked_steps(moodle, records):
    for kind in ("numerical", "cloze"):
        for i, qs in by_problem(moodle["root"], kind, records).items():
            for q in qs:
                feedback = html.unescape(q.find("generalfeedback/text").text)
                for step in records[i]["steps"]:
                    assert step in feedback


def test_question_text_states_the_givens(moodle, records):
    for i, (q,) in by_problem(moodle["root"], "cloze", records).items():
        text = html.unescape(q.find("questiontext/text").text)
        for line in records[i]["question"].split("\n")[:-1]:
            assert line.strip() in text


def test_summary_line(moodle):
    s = moodle["summary"]
    assert s.size == moodle["out"].stat().st_size
    line = s.line()
    assert str(moodle["out"]) in line and f"{s.questions} questions" in line and f"{s.pictures} {moodle['fmt'].upper()}" in line


# ---------------------------------------------------------------- escaping in Moodle XML


@pytest.mark.parametrize(
    "quiz_section,category",
    [
        ("", "R&D <b>]]> {1:NUMERICAL:=1} a//b"),  # the title, one category: its slash doubled
        ('quiz: {category: "Week 1 & 2/<odd> ]]>"}\n', "Week 1 & 2/<odd> ]]>"),  # a slash nests
    ],
)
def test_awkward_spec_text_is_escaped(tmp_path, quiz_section, category):
    spec_file = tmp_path / "odd.yaml"
    spec_file.write_text(
        'title: "R&D <b>]]> {1:NUMERICAL:=1} a/b"\n' + quiz_section
        + "problems:\n  - {kind: local, difficulty: easy, count: 1}\n",
        encoding="utf-8",
    )
    out = tmp_path / "odd.xml"
    summary = quiz.build_quiz(choose(str(spec_file)), out, "moodle", "svg")
    root = ET.parse(out).getroot()
    assert root.find("question/category/text").text == "$course$/top/" + category
    assert summary.cloze == 1 and summary.numerical == len(root.findall("question")) - 2


def test_title_as_category_keeps_a_slash_literal():
    spec = choose("micrograd")
    spec.sections = {}
    spec.title = "Unit 3/4: backprop"
    assert quiz.category(spec) == "Unit 3//4: backprop"


def test_cdata_survives_its_end_marker():
    doc = f"<t>{quiz.cdata('a ]]> b <c> & d')}</t>"
    assert ET.fromstring(doc).text == "a ]]> b <c> & d"


def test_text_xml_cannot_hold_is_refused():
    with pytest.raises(UserError, match="U\\+0007"):
        quiz.cdata("bell \x07")


@given(st.text())
def test_cloze_safe_text_has_no_braces_or_markup(text):
    out = str(quiz.cloze_safe(text))
    assert "{" not in out and "}" not in out and "<" not in out and ">" not in out
    assert html.unescape(out) == text


def test_numbers_for_the_lms():
    assert quiz.exact(-0.0) == "0.0"
    assert quiz.exact(16) == "16.0"
    assert quiz.exact(1e-5) == "0.00001"
    assert quiz.exact(-1.9899999999999807) == "-1.9899999999999807"
    for x in (0.1, -2.5e-4, 123456.789, 1e20):
        assert quiz.MOODLE_NUMBER.fullmatch(quiz.exact(x)) and float(quiz.exact(x)) == x
    with pytest.raises(ValueError):
        quiz.exact(math.nan)


def test_tiny_answers_are_refused_and_tiny_grads_are_shown_not_asked():
    record = make_problem("neuron", "hard", 0x7EA2B8384649DFEF)  # e.grad is about 0.0000861
    rows = {r.name: r for r in quiz.view(record).rows}
    assert rows["e.grad"].given and rows["e.grad"].shown == "0.0000861"
    cloze = quiz._html("cloze", quiz.view(record), {"name": "x.png", "width": 1, "height": 1})
    assert "0.0000861 (given" in cloze
    assert len(PART.findall(cloze)) == len(rows) - 1
    bad = dict(record, answers=[dict(record["answers"][0], value=5e-5)])
    with pytest.raises(UserError, match="below 0.0001"):
        quiz.view(bad)


# ---------------------------------------------------------------- GIFT


SPECIAL = set("~=#{}:\\")


def read_gift(text):
    """Questions back out of GIFT, the way Moodle's importer reads them: blocks between blank lines,
    // comment lines dropped, escapes swapped for placeholders, ::name::, the first {...} as answer."""
    marks = {c: chr(0xE001 + i) for i, c in enumerate(":#={}~n")}
    found = {"category": None, "questions": []}
    for block in re.split(r"\n[ \t]*\n", text):
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
            found["category"] = t[len("$CATEGORY:"):].strip()
            continue
        assert t.startswith("::")
        end = t.index("::", 2)
        title, t = post(t[2:end]), t[end + 2:].strip()
        start, finish = t.index("{"), t.index("}")
        assert finish == len(t) - 1  # the answer block ends the question
        answer, qtext = t[start + 1:finish].strip(), t[:start]
        assert answer.startswith("#")
        answer, _, feedback = answer[1:].partition("####")
        value, tol = answer.split(":")
        assert qtext.startswith("[plain]")
        found["questions"].append({
            "title": title, "text": post(qtext[len("[plain]"):]), "value": float(value), "tolerance": float(tol),
            "feedback": post(feedback),
        })
    return found


@pytest.fixture(scope="module")
def gift_file(tmp_path_factory):
    out = tmp_path_factory.mktemp("gift") / "quiz.gift"
    summary = quiz.build_quiz(choose(SPEC, seed=SEED), out, "gift")
    return out.read_text(encoding="utf-8"), summary


def test_gift_answers_and_titles_match_the_answer_keys(gift_file, records):
    text, summary = gift_file
    found = read_gift(text)
    assert found["category"] == "$course$/top/Backprop Practice: micrograd"
    expected = [(r, a) for r in records for a in r["answers"]]
    assert len(found["questions"]) == len(expected) == summary.numerical
    for q, (r, a) in zip(found["questions"], expected):
        assert r["id"] in q["title"] and a["name"] in q["title"]
        assert (q["value"], q["tolerance"]) == (a["value"], a["tolerance"])
        for line in r["question"].split("\n")[:-1]:  # answerable without a picture
            assert line.strip() in q["text"]
        for step in r["steps"]:
            assert step in q["feedback"]
    assert summary.pictures == 0 and "no pictures" in summary.line()


def test_gift_questions_are_one_block_each(gift_file):
    text, _ = gift_file
    for block in re.split(r"\n[ \t]*\n", text.strip()):
        code = [line for line in block.split("\n") if not line.startswith("//")]
        assert len(code) in (0, 1, 2)  # the header comments, $CATEGORY, or title+text then answer


def _unescaped_specials(out):
    bad, i = [], 0
    while i < len(out):
        if out[i] == "\\":
            assert i + 1 < len(out) and out[i + 1] in SPECIAL | {"n"}
            i += 2
            continue
        if out[i] in SPECIAL or out[i] in "\r\n":
            bad.append(out[i])
        i += 1
    return bad


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from(list("~=#{}:\\n\r\n ab−×²")) | st.characters(), max_size=60))
def test_gift_escape_leaves_no_special_character_bare(text):
    out = quiz.gift_escape(text)
    assert _unescaped_specials(out) == []
    assert quiz.gift_unescape(out) == text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------- the command


def test_gift_works_without_graphviz(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    r = run("quiz", "worksheet", "--format", "gift", "-o", str(tmp_path / "w.gift"), path=str(empty))
    assert r.returncode == 0, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "GIFT" in r.stderr and "picture" in r.stderr
    assert (tmp_path / "w.gift").is_file() and "w.gift" in r.stdout and len(r.stdout.strip().splitlines()) == 1


def test_moodle_without_graphviz_is_one_line_and_writes_nothing(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    r = run("quiz", "worksheet", "-o", str(out / "w.xml"), path=str(empty))
    assert "Graphviz" in one_line_error(r)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args,needle",
    [
        (["quiz", "--format", "qti"], "--format"),
        (["quiz", "--image-format", "gif"], "--image-format"),
        (["quiz", "--seed", "-1"], "seed"),
        (["quiz", "no-such-spec"], "not found"),
        (["quiz", "-o", "/no/such/folder/q.xml"], "does not exist"),
    ],
)
def test_bad_input_is_one_line(args, needle):
    assert needle in one_line_error(run(*args))


def test_default_output_name_and_same_seed_same_bytes(tmp_path):
    r = run("quiz", "worksheet", "--seed", "4", "--image-format", "svg", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    first = (tmp_path / "worksheet-quiz.xml").read_bytes()
    assert "worksheet-quiz.xml" in r.stdout and r.stderr == ""
    r = run("quiz", "worksheet", "--seed", "4", "--image-format", "svg", cwd=tmp_path)
    assert (tmp_path / "worksheet-quiz.xml").read_bytes() == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worksheet-quiz.xml"]  # no temp files left
    r = run("quiz", "worksheet", "--format", "gift", cwd=tmp_path)
    assert (tmp_path / "worksheet-quiz.gift").is_file()
