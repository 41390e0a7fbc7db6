"""Answer pictures written from the question picture's layout (practice/svgfill.py), against dot's own.

dot lays out a problem's question picture; its whole-pass answer and every card's own answer picture are the
question's SVG with the grads filled in and the asked ones marked. These tests draw each of those pictures with dot
from its own DOT text too and compare them byte for byte, over every kind and difficulty; check that dot is handed
one graph a problem where svgfill writes the answers (where a table's row is asked, an MLP's weight, the answer is
laid out by dot); and that where svgfill cannot be trusted (a Graphviz that writes otherwise, an unexpected picture)
dot lays out the answers instead, and the pictures are the same.
"""

import pytest

from engine import Value
from practice import draw, dotrun, svgfill
from practice.labels import node_id

from test_picture_marks import every_kind, old_way


@pytest.fixture(scope="module")
def problems():
    return every_kind(4, 23)


def fill_and_marks(problem):
    """(Fill's arguments, the whole pass's marked ids, each answer's own marked ids)."""
    _, _, drawn, fill = draw._sources(problem, [(False, None)])
    each = [draw._marked_ids(problem, drawn, [a["name"]]) for a in problem["answers"]]
    return fill, draw._marked_ids(problem, drawn), each


def test_every_answer_picture_written_is_the_one_dot_draws(problems):
    """Every kind, every difficulty, where svgfill writes the answers (all but an MLP's, whose asked weights are
    rows of its tables): the whole-pass answer and each card's own, byte for byte; tables' rows filled too."""
    writable = [p for p in problems if draw._fills("svg", p)]
    assert {p["kind"] for p in problems} - {p["kind"] for p in writable} == {"mlp"}
    assert any(p.get("groups") for p in writable)  # (a batch's and a hinge loss's tables)
    questions = draw.render([draw.dot_source(p, False) for p in writable])
    for problem, question, (answer, each) in zip(writable, questions, [o[1:] for o in old_way(writable)]):
        fill, every, own = fill_and_marks(problem)
        fill = svgfill.Fill(question, *fill)  # never unsure for the kinds there are
        assert fill.answer(every) == answer, problem["id"]
        assert [fill.answer(ids) for ids in own] == each, problem["id"]
        assert fill.answer(every) != question and fill.answer(set()) != answer or not every


@pytest.fixture
def submitted(monkeypatch):
    """Every DOT text handed to dot, in order (after the once-a-process check of svgfill against dot)."""
    draw._fill_checked()
    texts = []
    submit = dotrun._Dot.submit
    monkeypatch.setattr(dotrun._Dot, "submit", lambda dot, sources, names=None: (texts.extend(sources),
                                                                                   submit(dot, sources, names))[1])
    return texts


def test_dot_lays_out_a_question_alone_where_its_answers_are_written(problems, submitted):
    rows_asked = [p for p in problems if not draw._fills("svg", p)]  # an MLP's
    assert 0 < len(rows_asked) < len(problems)
    laid_out = {draw.dot_source(p, False) for p in problems} | {draw.dot_source(p, True) for p in rows_asked}
    draw.card_pictures(problems, "svg")
    assert set(submitted) == laid_out  # where a table's row is asked, the answer is laid out too
    assert len(submitted) <= len(problems) + len(rows_asked)  # (a text the same as another's is laid out once)
    submitted.clear()
    draw.pictures(problems, "svg")
    assert set(submitted) == laid_out and len(submitted) <= len(problems) + len(rows_asked)
    submitted.clear()
    draw.card_pictures(problems[:3], "png")  # PNG cannot be edited: every picture is laid out
    assert set(submitted) == {t for p in problems[:3] for t in [draw.dot_source(p, False), draw.dot_source(p, True)]
                              + [draw.dot_source(p, True, [a["name"]]) for a in p["answers"]]}


@pytest.fixture
def another_graphviz(monkeypatch):
    """svgfill expecting a bold grad elsewhere than this machine's dot sets it: as with a Graphviz that writes
    its SVG otherwise, the check fails."""
    monkeypatch.setattr(svgfill, "BOLD_DY", svgfill.BOLD_DY - 0.5)
    draw._fill_checked.cache_clear()
    yield
    monkeypatch.undo()
    draw._fill_checked.cache_clear()


def test_a_graphviz_that_writes_otherwise_gets_every_answer_laid_out(problems, another_graphviz, submitted):
    assert not draw._fill_checked()  # (checked as `submitted` began, after `another_graphviz`)
    few = problems[::7]
    new = draw.card_pictures(few, "svg")
    assert len(submitted) == 2 * len(few)  # the question and the whole-pass answer, as before svgfill
    for problem, pics, (question, answer, each) in zip(few, new, old_way(few)):
        assert pics.question.data == question and pics.answer.data == answer
        assert [pics.each[a["name"]].data for a in problem["answers"]] == each


def test_an_unexpected_question_picture_is_refused(problems):
    problem = next(p for p in problems if not p.get("groups"))
    (boxes, rows), every, _ = fill_and_marks(problem)
    assert not rows
    question = draw.render([draw.dot_source(problem, False)])[0]
    output = node_id(problem["output"])
    with pytest.raises(svgfill.Unsure):  # the output's grad is given, not a blank: it cannot be marked
        svgfill.Fill(question, boxes).answer(every | {output})
    with pytest.raises(svgfill.Unsure):  # no blank where a box should have one
        svgfill.Fill(question.replace(b"> </text>", b">?</text>", 1), boxes)
    with pytest.raises(svgfill.Unsure):  # a grad that is not a plain number
        svgfill.Fill(question, {**boxes, next(b for b in boxes if b != output): ("1e-9", False)})
    answer = draw.render([draw.dot_source(problem, True)])[0]
    with pytest.raises(svgfill.Unsure):  # an answer picture for the question: it has no blanks
        svgfill.Fill(answer, boxes)
    tabled = next(p for p in problems if p.get("groups") and draw._fills("svg", p))
    (boxes, rows), _, _ = fill_and_marks(tabled)
    question = draw.render([draw.dot_source(tabled, False)])[0]
    tid, grads = next(iter(rows.items()))
    with pytest.raises(svgfill.Unsure):  # a row more than the table has blanks
        svgfill.Fill(question, boxes, {**rows, tid: grads + ["1"]})
    with pytest.raises(svgfill.Unsure):  # the output's row (given, not blank) is not filled here
        svgfill.Fill(question, boxes, {**rows, tid: grads[:-1] + [None]})


def test_an_answer_svgfill_refuses_is_laid_out_by_dot(problems):
    """A problem whose output's grad is asked (a given grad, not a blank, in the question): dot draws its
    answers, and they are the old ones."""
    problem = next(p for p in problems if not p.get("groups"))
    problem = dict(problem, answers=problem["answers"] + [{"name": f"{problem['output']}.grad", "value": 1.0}])
    pics = draw.card_pictures([problem], "svg")[0]
    question, answer, each = old_way([problem])[0]
    assert pics.answer.data == answer and [pics.each[a["name"]].data for a in problem["answers"]] == each
    assert draw.pictures([problem])[0][1].data == answer


def test_the_check_is_the_lessons_example_worked_by_the_engine():
    """The problem the check lays out holds the lesson's numbers, and they are the engine's backward pass."""
    a, b, c, f = Value(2.0), Value(-3.0), Value(10.0), Value(-2.0)
    e = a * b
    d = e + c
    L = d * f
    L.backward()
    got = {n["name"]: (n["data"], n["grad"]) for n in draw._FILL_CHECK["nodes"]}
    assert got == {k: (v.data, v.grad) for k, v in dict(a=a, b=b, c=c, f=f, e=e, d=d, L=L).items()}
    assert draw._fill_checked()
