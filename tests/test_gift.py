"""`quiz --format gift`: read back the way Moodle's GIFT importer reads it (tests/moodle_rules.py) and graded
with Moodle's numerical rule: keys, tolerances, mistake answers with their feedback, tags, escaping."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moodle_rules import SPECIAL, givens, moodle_grade, near_misses, read_gift
from practice.quiz import command as quiz
from practice.quiz import gift as quiz_gift
from practice.generate import problem_set
from practice.spec import choose

SPEC, SEED = "micrograd", 11


@pytest.fixture(scope="module")
def records():
    spec = choose(SPEC, seed=SEED)
    return problem_set(spec.entries, spec.seed)


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
    out = quiz_gift.gift_escape(text)
    assert _unescaped_specials(out) == []
    assert quiz_gift.gift_unescape(out) == text.replace("\r\n", "\n").replace("\r", "\n")



