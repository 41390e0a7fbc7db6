"""The `quiz` command: Moodle XML read back and checked against the JSON answer keys, with Moodle's own
import and grading rules (tests/moodle_rules.py: qformat_xml, the cloze parser, qtype_numerical); parts
under a size limit; category paths; the command's errors."""

import base64
import copy
import html
import math
import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from moodle_rules import (PART, PART_START, PLUGINFILE, ROW, filed, givens, moodle_answers, moodle_grade,
                          near_misses, one_line_error, run, significant)
from practice import draw, pictures_small
from practice.quiz import command as quiz
from practice.quiz import moodle as quiz_moodle
from practice.quiz import view as quiz_view
from practice.errors import UserError
from practice.exercises import exercise_set
from practice.generate import problem_set
from practice.spec import choose

SPEC, SEED = "micrograd", 11  # every kind at every difficulty the lesson mix has
VARIANTS = 2  # with --variants: each exercise twice, so every check runs on a variant 2 of every kind


# ---------------------------------------------------------------- Moodle XML


@pytest.fixture(scope="module")
def records():
    spec = choose(SPEC, seed=SEED)
    return problem_set(spec.entries, spec.seed)


@pytest.fixture(scope="module", params=[("png", 1), ("svg", 1), ("svg", VARIANTS)], ids=["png", "svg", "svg-variants"])
def moodle(request, tmp_path_factory):
    """The lesson mix as Moodle XML: every check below holds for every variant of every exercise too."""
    if request.param not in BUILT:  # pytest sets a parametrized module fixture up again when the cases interleave
        BUILT[request.param] = _moodle(tmp_path_factory, *request.param)
    return BUILT[request.param]


BUILT = {}


def _moodle(tmp_path_factory, fmt, variants):
    out = tmp_path_factory.mktemp(fmt) / "quiz.xml"
    spec = choose(SPEC, seed=SEED)
    summary = quiz.build_quiz(spec, out, "moodle", fmt, variants=variants)  # no size limit: one file
    root = ET.parse(out).getroot()
    exercises = exercise_set(spec.entries, spec.seed, variants)
    records = [r for e in exercises for r in e]
    pics = pictures_small.small_pairs(draw.pictures(records, fmt))
    return {"fmt": fmt, "root": root, "summary": summary, "out": out, "pictures": pics, "records": records,
            "exercises": exercises, "variants": variants}


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


def test_one_numerical_question_per_answer_with_value_and_tolerance(moodle):
    records = moodle["records"]
    root = moodle["root"]
    numerical = questions(root, "numerical")
    assert len(numerical) == sum(len(r["answers"]) for r in records) == moodle["summary"].numerical
    grouped = by_problem(root, "numerical", records)
    for i, r in enumerate(records):
        got = {name(q).split(" · ")[-1]: q for q in grouped[i]}
        assert set(got) == {a["name"] for a in r["answers"]}
        for a in r["answers"]:
            q = got[a["name"]]
            first = moodle_answers(q)[0]
            assert first["fraction"] == 1.0
            assert abs(float(first["text"]) - a["value"]) <= a["tolerance"] / 100  # rounded for the review page only
            assert first["tolerance"] == a["tolerance"]  # the record's, measured from the exact key
            assert a["value"] == 0 or abs(a["value"]) >= 1e-4
            assert q.find("hidden").text == "0" and q.find("defaultgrade").text == "1"
            assert q.find("unitgradingtype").text == "0" and q.find("showunits").text == "3"
            assert 0 < float(q.find("penalty").text) < 1
            text = html.unescape(q.find("questiontext/text").text)
            assert a["name"].split(".")[0] in text
            assert r["rounding"] in text


def test_stored_answers_read_as_about_six_significant_figures(moodle):
    records = moodle["records"]
    """Moodle's review shows the stored text ("The correct answer is: 1.92209"): 6 figures unless more are
    needed to stay within a hundredth of the tolerance or clear of a mistake."""
    longer = 0
    for q in questions(moodle["root"], "numerical"):
        for a in moodle_answers(q):
            if significant(a["text"]) > 6:
                longer += 1
    assert longer <= len(questions(moodle["root"], "numerical")) // 20


def test_numerical_questions_grade_the_key_right_and_every_mistake_wrong_with_its_feedback(moodle):
    records = moodle["records"]
    grouped = by_problem(moodle["root"], "numerical", records)
    mistakes_seen = 0
    for i, r in enumerate(records):
        got = {name(q).split(" · ")[-1]: q for q in grouped[i]}
        for a in r["answers"]:
            answers = moodle_answers(got[a["name"]])
            assert [x["fraction"] for x in answers] == [1.0] + [0.0] * (len(answers) - 1)  # the key first
            for value in near_misses(a["value"], a["tolerance"]):
                assert moodle_grade(answers, value)[0] == 1.0, (r["id"], a["name"], value)
            values = [float(x["text"]) for x in answers[1:]]
            assert len(set(values)) == len(values)  # distinct mistake values
            assert len(answers) - 1 == len({m["value"] for m in a["mistakes"]})
            for m in a["mistakes"]:
                fraction, feedback = moodle_grade(answers, m["value"])
                assert fraction == 0.0, (r["id"], a["name"], m)
                assert html.unescape(m["why"]) in feedback or m["why"] in feedback
                mistakes_seen += 1
            for x in answers[1:]:
                assert x["tolerance"] == a["tolerance"]
    assert mistakes_seen >= len(records)  # the lesson mix has mistakes to catch


def test_a_mistake_close_to_the_key_keeps_more_figures():
    """A mistake just outside the tolerance must stay outside it after the key is rounded for storage."""
    key, tol = 1.23456789, 0.001
    mistake = key + tol * 1.000001
    text = quiz_view.stored(key, tol, [mistake])
    assert not quiz_view.within(mistake, float(text), tol)
    assert abs(float(text) - key) <= tol / 100
    assert quiz_view.stored(1.922094377, 0.002) == "1.92209"


def test_one_cloze_question_per_problem(moodle):
    records = moodle["records"]
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


def test_every_picture_is_embedded_beside_its_reference_and_is_the_drawn_one(moodle):
    records = moodle["records"]
    root, fmt, pics = moodle["root"], moodle["fmt"], moodle["pictures"]
    count = 0
    for kind in ("numerical", "cloze"):
        for i, qs in by_problem(root, kind, records).items():
            question_pic, answer_pic = pics[i]
            for q in qs:
                files = _embedded(q.find("questiontext"))
                assert list(files) == [question_pic.name]
                _valid_picture(files[question_pic.name], fmt)
                assert files[question_pic.name] == question_pic.data  # byte for byte the small picture
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
        tol = answers[key]["tolerance"] if key in answers else n["tolerance"]
        rows[key] = (n["grad"], None if 0 < abs(n["grad"]) < 1e-4 else tol)
    for a in r["answers"]:
        if a["name"].endswith(".new"):
            rows[f"{a['name'][:-4]} after the step"] = (a["value"], a["tolerance"])
        elif a["name"] == "estimate":
            rows["estimate of df/dx"] = (a["value"], a["tolerance"])
        elif not a["name"].endswith(".grad"):  # another kind's own answer (find_error's line and grad)
            rows[a["name"]] = (a["value"], a["tolerance"])
    return rows


def test_cloze_parts_parse_back_to_the_answer_key(moodle):
    records = moodle["records"]
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
                assert quiz_view.MOODLE_NUMBER.fullmatch(value) and quiz_view.MOODLE_NUMBER.fullmatch(tol)
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
                stored, stored_tol = got[label]
                assert stored_tol == tol, (r["id"], label)
                assert abs(stored - value) <= tol / 100, (r["id"], label)


def test_general_feedback_holds_the_worked_steps(moodle):
    records = moodle["records"]
    for kind in ("numerical", "cloze"):
        for i, qs in by_problem(moodle["root"], kind, records).items():
            for q in qs:
                feedback = html.unescape(q.find("generalfeedback/text").text)
                for step in records[i]["steps"]:
                    assert step in feedback


def test_question_text_states_the_givens(moodle):
    records = moodle["records"]
    for i, (q,) in by_problem(moodle["root"], "cloze", records).items():
        text = html.unescape(q.find("questiontext/text").text)
        for line in givens(records[i]):
            assert line in text
        assert records[i]["rounding"] in text
    for i, qs in by_problem(moodle["root"], "numerical", records).items():
        for q in qs:  # each asks one thing, in one "find ..." paragraph, whatever notes follow the record's own
            text = html.unescape(q.find("questiontext/text").text)
            assert len(re.findall(r"<p>find ", text)) == 1, (records[i]["id"], text)


def test_summary_line(moodle):
    s = moodle["summary"]
    assert s.size == moodle["out"].stat().st_size
    line = s.line()
    assert str(moodle["out"]) in line and f"{s.questions} questions" in line and f"{s.pictures} {moodle['fmt'].upper()}" in line


TOP = ("Backprop Practice: micrograd",)


def expected_categories(exercises, top=TOP) -> dict:
    """{category names: question names in file order}: with one variant every question in the quiz's
    category; with more, under TOP/Exercise i, a sub-category per asked answer then one for the whole
    pass, each with that question of every variant in order, named as with one variant."""
    if max(len(e) for e in exercises) == 1:
        names = [f"{r['id']} · {a['name']}" for (r,) in exercises for a in r["answers"]] + [
            f"{r['id']} · whole backward pass" for (r,) in exercises]
        return {top: sorted(names)}
    out = {}
    width = len(str(len(exercises)))
    for i, variants in enumerate(exercises, start=1):
        exercise = f"Exercise {i:0{width}d} · {variants[0]['id']}"
        for a in variants[0]["answers"]:
            out[(*top, exercise, a["name"])] = [f"{r['id']} · {a['name']}" for r in variants]
        out[(*top, exercise, "whole backward pass")] = [f"{r['id']} · whole backward pass" for r in variants]
    return out


def test_every_question_is_filed_where_a_random_question_draws_one_variant(moodle):
    """Read as Moodle's importer files questions: each question of an exercise has a sub-category of its
    own holding that question of every variant, so "a random question from this category" gives each
    student the same question with other numbers; the exercise's category says so."""
    found, info = filed(moodle["root"])
    got = {}
    for path, q in found:
        got.setdefault(path, []).append(name(q))
    expected = expected_categories(moodle["exercises"])
    if moodle["variants"] == 1:
        got = {path: sorted(names) for path, names in got.items()}
    assert got == expected
    for i, variants in enumerate(moodle["exercises"], start=1):
        if moodle["variants"] > 1:
            assert [(r["exercise"], r["variant"]) for r in variants] == [(variants[0]["id"], k) for k in range(1, len(variants) + 1)]
            (exercise,) = {path[:2] for path in expected if path[1].startswith(f"Exercise {i:02d} ")}
            assert f"{moodle['variants']} variants" in info[exercise] and "random question" in info[exercise]
    assert f"--variants {moodle['variants']}" in info[TOP] if moodle["variants"] > 1 else "--variants" not in info[TOP]
    if moodle["variants"] > 1:
        line = moodle["summary"].line()
        assert f"{len(moodle['exercises'])} exercises of {moodle['variants']} variants" in line


def test_variants_of_an_exercise_differ_in_their_numbers_and_pictures(moodle):
    if moodle["variants"] == 1:
        return
    for variants in moodle["exercises"]:
        assert len({r["question"] for r in variants}) == len(variants)
    names = [pic.name for pic, _ in moodle["pictures"]]
    assert len(set(names)) == len(names)  # each variant's question shows its own picture


# ---------------------------------------------------------------- parts under a size limit


@pytest.fixture(scope="module")
def whole_and_parts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("parts")
    spec = choose("worksheet", seed=3)
    whole = quiz.build_quiz(spec, folder / "whole.xml", "moodle", "png")
    limit = whole.size // 3
    parts = quiz.build_quiz(choose("worksheet", seed=3), folder / "q.xml", "moodle", "png", limit)
    return folder, whole, parts, limit


def test_a_quiz_over_the_limit_is_written_as_complete_parts_each_under_it(whole_and_parts):
    folder, whole, parts, limit = whole_and_parts
    assert len(parts.parts) >= 3 and not (folder / "q.xml").exists()
    assert [p.name for p, _ in parts.parts] == [f"q-part{i}.xml" for i in range(1, len(parts.parts) + 1)]
    names = []
    for path, size in parts.parts:
        assert path.stat().st_size == size <= limit
        root = ET.parse(path).getroot()  # each part a complete file: the category first, then questions
        first = root.find("question")
        assert first.get("type") == "category"
        assert first.find("category/text").text == ET.parse(folder / "whole.xml").getroot().find("question/category/text").text
        names += [name(q) for q in root.findall("question")[1:]]
    everything = [name(q) for q in ET.parse(folder / "whole.xml").getroot().findall("question")[1:]]
    assert names == everything  # every question once, in order
    line = parts.line()
    assert f"{len(parts.parts)} parts" in line and "--max-size" in line and all(p.name in line for p, _ in parts.parts)
    assert parts.size == sum(n for _, n in parts.parts) and parts.questions == whole.questions


@pytest.fixture(scope="module")
def variant_parts(tmp_path_factory):
    """The worksheet's exercises with 3 variants, whole and in parts under two limits: one an exercise
    fits (the biggest does, not two of them), one smaller than some exercise but not than a question's
    variants."""
    folder = tmp_path_factory.mktemp("variant-parts")
    spec = choose("worksheet", seed=3)
    whole = quiz.build_quiz(spec, folder / "whole.xml", "moodle", "svg", variants=3)
    text = (folder / "whole.xml").read_text(encoding="utf-8")
    blocks = re.split(r'(?=  <question type="category">)', text)  # the file's top, then one per category
    empty = len(blocks[0].encode()) + len(blocks[1].encode()) + len("</quiz>\n")
    exercise_sizes, slot_sizes, heads, questions = [], [], [], []
    for block in blocks[2:]:
        path = re.search(r"<text>(.*?)</text>", block).group(1)
        size = len(block.replace("</quiz>\n", "").encode())
        head, *rest = re.split(r'(?=  <question type="(?:numerical|cloze)">)', block.replace("</quiz>\n", ""))
        heads.append(len(head.encode()))
        questions += [len(q.encode()) for q in rest]
        if path.count("/") == 4:  # $course$/top/Backprop Practice/Backpropagation by hand/Exercise i
            exercise_sizes.append(size)
        else:
            exercise_sizes[-1] += size
            slot_sizes.append(size)
    limits = {"exercise": empty + max(exercise_sizes), "slot": empty + max(slot_sizes) + (max(exercise_sizes) - max(slot_sizes)) // 3,
              "question": empty + 2 * max(heads) + 2 * max(questions)}
    assert limits["question"] < empty + max(slot_sizes) < limits["slot"] < limits["exercise"]
    built = {}
    for what, limit in limits.items():
        summary = quiz.build_quiz(choose("worksheet", seed=3), folder / f"{what}.xml", "moodle", "svg", limit, variants=3)
        built[what] = (summary, limit)
    return {"whole": ET.parse(folder / "whole.xml").getroot(), "built": built, "empty": empty,
            "exercises": exercise_set(spec.entries, spec.seed, 3), "exercise_sizes": exercise_sizes}


@pytest.mark.parametrize("what", ["exercise", "slot", "question"])
def test_parts_keep_an_exercise_together_unless_it_alone_is_too_big(variant_parts, what):
    summary, limit = variant_parts["built"][what]
    assert len(summary.parts) >= 2
    whole, _ = filed(variant_parts["whole"])
    every = []
    where = {}  # exercise id -> the parts holding its questions
    for number, (path, size) in enumerate(summary.parts):
        assert path.stat().st_size == size <= limit
        found, _ = filed(ET.parse(path).getroot())
        every += [(p, name(q)) for p, q in found]
        for p, q in found:
            where.setdefault(p[2], set()).add(number)
    assert every == [(p, name(q)) for p, q in whole]  # every question once, in order, in its own category
    for (exercise, parts), size in zip(where.items(), variant_parts["exercise_sizes"]):
        if variant_parts["empty"] + size <= limit:
            assert len(parts) == 1, exercise
    slots = {}
    for number, (path, _) in enumerate(summary.parts):
        for p, q in filed(ET.parse(path).getroot())[0]:
            slots.setdefault(p, set()).add(number)
    if what == "slot":  # the biggest exercise cannot fit in one part: split between its questions only
        assert any(len(parts) > 1 for parts in where.values())
        assert all(len(parts) == 1 for parts in slots.values())
    if what == "question":  # not even a question's variants fit: split between them, the category opened again
        assert any(len(parts) > 1 for parts in slots.values())


def test_the_bundled_quiz_fits_a_stock_upload_limit_in_png_and_svg(tmp_path):
    for fmt in ("png", "svg"):
        r = run("quiz", "--image-format", fmt, "-o", str(tmp_path / f"{fmt}.xml"))
        assert r.returncode == 0, r.stderr
        made = sorted(tmp_path.glob(f"{fmt}*.xml"))
        assert made and all(p.stat().st_size <= quiz.DEFAULT_MAX_SIZE for p in made)
        if len(made) > 1:
            assert "parts" in r.stdout and all(p.name in r.stdout for p in made)


def test_files_of_an_earlier_run_are_named_not_removed(tmp_path):
    out = tmp_path / "w.xml"
    r = run("quiz", "worksheet", "--max-size", "300KB", "-o", str(out))
    assert r.returncode == 0 and r.stderr == "" and not out.exists()
    parts = sorted(tmp_path.glob("w-part*.xml"))
    assert len(parts) >= 2
    r = run("quiz", "worksheet", "-o", str(out))  # fits in one file now: the parts stay, and are named
    assert r.returncode == 0 and out.is_file() and all(p.exists() for p in parts)
    assert len(r.stderr.strip().splitlines()) == 1 and all(p.name in r.stderr for p in parts) and "earlier run" in r.stderr
    r = run("quiz", "worksheet", "--max-size", "300KB", "-o", str(out))
    assert "w.xml is from an earlier run" in r.stderr


def test_a_limit_too_small_for_one_question_is_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    err = one_line_error(run("quiz", "worksheet", "--max-size", "20KB", "-o", str(out / "w.xml")))
    assert "too small" in err and "--max-size" in err
    assert list(out.iterdir()) == []


def test_sizes_read_as_php_counts_them():
    assert quiz.parse_size("2MB") == quiz.parse_size("2 mb") == quiz.parse_size("2M") == 2 * 1024 * 1024
    assert quiz.parse_size("800KB") == 800 * 1024 and quiz.parse_size("123456") == 123456
    for bad in ("", "0", "-1MB", "2GB", "two"):
        with pytest.raises(UserError, match="--max-size"):
            quiz.parse_size(bad)


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


@pytest.mark.parametrize(
    "title,names",
    [
        ("Unit 3/4: backprop", ["Unit 3/4: backprop"]),
        ("/leading", ["/leading"]),
        ("trailing/", ["trailing/"]),
        ("a//b", ["a//b"]),
        ("/", ["/"]),
        ("a / b /", ["a / b /"]),
    ],
)
def test_a_title_is_one_category_whatever_its_slashes(title, names):
    """Read back with Moodle's own split (question/format.php split_category_path)."""
    spec = choose("micrograd")
    spec.sections = {}
    spec.title = title
    assert quiz_moodle.split_category_path(quiz_moodle.category(spec)) == names


def test_a_chosen_category_nests_on_single_slashes_and_drops_empty_levels():
    spec = choose("micrograd")
    spec.sections = {"quiz": {"category": "/Week 1// 2/ Backprop /"}}
    assert quiz_moodle.split_category_path(quiz_moodle.category(spec)) == ["Week 1/ 2", "Backprop"]
    spec.sections = {"quiz": {"category": " / / "}}
    with pytest.raises(UserError, match="empty"):
        quiz_moodle.category(spec)


def test_cdata_survives_its_end_marker():
    doc = f"<t>{quiz_moodle.cdata('a ]]> b <c> & d')}</t>"
    assert ET.fromstring(doc).text == "a ]]> b <c> & d"


def test_text_xml_cannot_hold_is_refused():
    with pytest.raises(UserError, match="U\\+0007"):
        quiz_moodle.cdata("bell \x07")


@given(st.text())
def test_cloze_safe_text_has_no_braces_or_markup(text):
    out = str(quiz_view.cloze_safe(text))
    assert "{" not in out and "}" not in out and "<" not in out and ">" not in out
    assert html.unescape(out) == text


def test_numbers_for_the_lms():
    assert quiz_view.exact(-0.0) == "0.0"
    assert quiz_view.exact(16) == "16.0"
    assert quiz_view.exact(1e-5) == "0.00001"
    assert quiz_view.exact(-1.9899999999999807) == "-1.9899999999999807"
    for x in (0.1, -2.5e-4, 123456.789, 1e20):
        assert quiz_view.MOODLE_NUMBER.fullmatch(quiz_view.exact(x)) and float(quiz_view.exact(x)) == x
    with pytest.raises(ValueError):
        quiz_view.exact(math.nan)
    assert quiz_view.stored(-0.0, 0.001) == "0.0" and quiz_view.stored(2.0, 0.001) == "2.0"


def test_tiny_answers_are_refused_and_tiny_grads_are_shown_not_asked(records):
    """Records never hold such grads now (the generator redraws them); the rule stays for any record."""
    record = next(r for r in records if any(n["name"] != r["output"] and not n.get("constant")
                                            and f"{n['name']}.grad" not in {a["name"] for a in r["answers"]}
                                            for n in r["nodes"]))
    record = copy.deepcopy(record)
    asked = {a["name"] for a in record["answers"]}
    node = next(n for n in record["nodes"] if n["name"] != record["output"] and not n.get("constant")
                and f"{n['name']}.grad" not in asked)
    node["grad"] = 0.0000861
    rows = {r.name: r for r in quiz_view.view(record).rows}
    assert rows[f"{node['name']}.grad"].given and rows[f"{node['name']}.grad"].shown == "0.0000861"
    cloze = quiz_view.html("cloze", quiz_view.view(record), {"name": "x.png", "src": "x.png", "width": 1, "height": 1})
    assert "0.0000861 (given" in cloze
    assert len(PART.findall(cloze)) == len(rows) - 1
    bad = dict(record, answers=[dict(record["answers"][0], value=5e-5)])
    with pytest.raises(UserError, match="below 0.0001"):
        quiz_view.view(bad)


# ---------------------------------------------------------------- the command


def test_gift_works_without_graphviz(tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    r = run("quiz", "worksheet", "--format", "gift", "-o", str(tmp_path / "w.gift"), path=str(empty))
    assert r.returncode == 0, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "GIFT" in r.stderr and "picture" in r.stderr
    assert (tmp_path / "w.gift").is_file() and "w.gift" in r.stdout and len(r.stdout.strip().splitlines()) == 1


@pytest.mark.parametrize("fmt,name", [("moodle", "w.xml"), ("qti", "w.zip")])
def test_pictures_without_graphviz_are_one_line_and_write_nothing(tmp_path, fmt, name):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    r = run("quiz", "worksheet", "--format", fmt, "-o", str(out / name), path=str(empty))
    assert "Graphviz" in one_line_error(r)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--format", "pdf"], "--format"),
        (["--image-format", "gif"], "--image-format"),
        (["--seed", "-1"], "seed"),
        (["--seed", "1", "--format", "gift", "-o", "a/b.gift"], "does not exist"),
        (["-o", "/no/such/folder/q.xml"], "does not exist"),
        (["--format", "qti", "-o", "q.xml"], ".zip"),
        (["--format", "moodle", "-o", "q.zip"], ".xml"),
        (["--format", "gift", "-o", "q.xml"], ".gift"),
        (["--max-size", "lots"], "--max-size"),
        (["--max-size", "0"], "--max-size"),
        (["--format", "qti", "--max-size", "2MB"], "--max-size"),
        (["--max-size", "1KB"], "too small"),
        (["--variants", "0"], "--variants"),
        (["--variants", "33", "--format", "gift"], "--variants"),
        (["--variants", "two"], "--variants"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, args, needle):
    assert needle in one_line_error(run("quiz", "worksheet", *args, cwd=tmp_path))
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_spec_is_one_line():
    assert "not found" in one_line_error(run("quiz", "no-such-spec"))


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
    r = run("quiz", "worksheet", "--format", "qti", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "worksheet-quiz.zip").is_file() and "QTI" in r.stdout
    first = (tmp_path / "worksheet-quiz.zip").read_bytes()
    r = run("quiz", "worksheet", "--format", "qti", cwd=tmp_path)  # another process, another hash seed
    assert (tmp_path / "worksheet-quiz.zip").read_bytes() == first

