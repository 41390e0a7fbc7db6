"""`quiz --format gift`: read back the way Moodle's GIFT importer reads it (tests/moodle_rules.py) and graded
with Moodle's numerical rule: keys, tolerances, mistake answers with their feedback, tags, escaping."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodle_rules import SPECIAL, givens, moodle_grade, near_misses, read_gift
from practice.quiz import command as quiz
from practice.quiz import gift as quiz_gift
from practice.exercises import exercise_set
from practice.spec import choose

SPEC, SEED = "micrograd", 11


@pytest.fixture(scope="module", params=[1, 2], ids=["one-variant", "variants"])
def gift_file(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("gift") / "quiz.gift"
    spec = choose(SPEC, seed=SEED)
    summary = quiz.build_quiz(spec, out, "gift", variants=request.param)
    return out.read_text(encoding="utf-8"), summary, exercise_set(spec.entries, spec.seed, request.param)


TOP = "$course$/top/Backprop Practice: micrograd"


def expected_questions(exercises):
    """(record, answer, category) in file order: one variant, every question in the quiz's category; more,
    for each exercise and each of its answers, a category TOP/Exercise i · <id>/<answer> holding that
    answer's question of every variant."""
    if max(len(e) for e in exercises) == 1:
        return [(r, a, TOP) for (r,) in exercises for a in r["answers"]]
    width = len(str(len(exercises)))
    return [(r, r["answers"][k], f"{TOP}/Exercise {i:0{width}d} · {variants[0]['id']}/{a['name']}")
            for i, variants in enumerate(exercises, start=1) for k, a in enumerate(variants[0]["answers"]) for r in variants]


def test_gift_answers_and_titles_match_the_answer_keys(gift_file):
    text, summary, exercises = gift_file
    found = read_gift(text)
    assert found["category"] == TOP
    expected = expected_questions(exercises)
    assert len(found["questions"]) == len(expected) == summary.numerical
    for q, (r, a, where) in zip(found["questions"], expected):
        assert q["category"] == where
        assert r["id"] in q["title"] and a["name"] in q["title"]
        first = q["answers"][0]
        assert first["fraction"] == 1.0 and first["tolerance"] == a["tolerance"]
        assert abs(float(first["text"]) - a["value"]) <= a["tolerance"] / 100
        for value in near_misses(a["value"], a["tolerance"]):
            assert moodle_grade(q["answers"], value)[0] == 1.0
        assert len(q["answers"]) - 1 == len(a["mistakes"])
        for m in a["mistakes"]:
            fraction, feedback = moodle_grade(q["answers"], m["value"])
            assert fraction == 0.0 and m["why"] in feedback
        for line in givens(r):  # answerable without a picture
            assert line in q["text"]
        assert r["rounding"] in q["text"]
        for step in r["steps"]:
            assert step in q["feedback"]
        assert q["tags"] == ["backprop-practice", r["kind"], r["difficulty"], "one-answer"]
    assert summary.pictures == 0 and "no pictures" in summary.line()


def test_gift_questions_are_one_block_each(gift_file):
    text, _, _ = gift_file
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
    out = quiz_gift.gift_escape(text)
    assert _unescaped_specials(out) == []
    assert quiz_gift.gift_unescape(out) == text.replace("\r\n", "\n").replace("\r", "\n")



