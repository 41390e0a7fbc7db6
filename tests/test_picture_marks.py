"""Each problem's graph laid out once, and its pictures unchanged: the new way against the old, with real `dot`.

The old way drew every picture from its own DOT text, written by the graphviz package: the question, the
whole-pass answer and one answer picture per card, each a dot layout. Now the DOT text is written directly
(practice/dottext.py), and a card's answer picture is the whole-pass answer's SVG with the other marks taken
off (practice/svgmarks.py). These tests make both and compare: the DOT texts byte for byte, the SVGs byte for
byte over problems of every kind and difficulty, the PNGs, and the pictures as Chromium paints them.
"""

import base64
import itertools
import threading

import graphviz
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice import dottext, draw, svgmarks
from practice.generate import problem_set
from practice.kinds import DIFFICULTIES, KINDS

from browser import browser  # noqa: F401  (the fixture)


def every_kind(count: int, seed: int) -> list[dict]:
    out = []
    for kind in KINDS:
        for difficulty in DIFFICULTIES:
            out += problem_set([{"kind": kind, "difficulty": difficulty, "count": count, "index": 0}], seed)
    return out


@pytest.fixture(scope="module")
def problems():
    return every_kind(3, 11) + every_kind(1, 4)


def all_texts(problem):
    """Every DOT text the old way drew for a problem: question, whole-pass answer, each answer's own."""
    return ([draw.dot_source(problem, False), draw.dot_source(problem, True)]
            + [draw.dot_source(problem, True, [a["name"]]) for a in problem["answers"]])


def old_way(problems, fmt="svg"):
    """(question, answer, [each answer's own picture]) per problem, each drawn by dot from its own DOT text."""
    texts = [all_texts(p) for p in problems]
    data = draw.render([t for ts in texts for t in ts], fmt)
    out, i = [], 0
    for ts in texts:
        out.append((data[i], data[i + 1], data[i + 2 : i + len(ts)]))
        i += len(ts)
    return out


def test_dot_text_is_the_graphviz_packages_byte_for_byte(problems, monkeypatch):
    ours = [all_texts(p) for p in problems]
    monkeypatch.setattr(draw, "Digraph", graphviz.Digraph)
    assert [all_texts(p) for p in problems] == ours
    for blank in ((40.5, 22.0), (31.0, 17.0)):  # worksheets draw with larger blanks
        theirs = [draw.dot_source(p, False, blank=blank) for p in problems[::5]]
        monkeypatch.undo()
        assert [draw.dot_source(p, False, blank=blank) for p in problems[::5]] == theirs
        monkeypatch.setattr(draw, "Digraph", graphviz.Digraph)


NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=3, max_size=3, unique=True), st.sampled_from(["question", "answer", "one"]))
def test_dot_text_of_any_names_is_the_graphviz_packages(names, which):
    a, b, c = names
    problem = {"id": "h", "output": c, "answers": [{"name": f"{a}.grad"}, {"name": f"{b}.grad"}],
               "nodes": [{"name": a, "data": 1.25, "grad": -0.5}, {"name": b, "data": -2.0, "grad": 0.5},
                         {"name": c, "op": "-", "inputs": [a, b], "data": 3.25, "grad": 1.0}]}
    args = {"question": (False,), "answer": (True,), "one": (True, [f"{b}.grad"])}[which]
    ours = draw.dot_source(problem, *args)
    try:
        draw.Digraph = graphviz.Digraph
        theirs = draw.dot_source(problem, *args)
    finally:
        draw.Digraph = dottext.Digraph
    assert ours == theirs


def test_card_pictures_are_the_old_pictures_byte_for_byte(problems):
    """Every kind and difficulty: the question, the whole-pass answer and every card's own answer picture."""
    new, old = draw.card_pictures(problems, "svg"), old_way(problems)
    assert len(new) == len(old) == len(problems)
    for problem, pics, (question, answer, each) in zip(problems, new, old):
        assert pics.question.data == question and pics.answer.data == answer, problem["id"]
        assert [pics.each[a["name"]].data for a in problem["answers"]] == each, problem["id"]
        assert all(p.name == draw.picture_name(p.data, "svg") for p in pics.each.values())


def spots(problem, names=None):
    """The marks of `names` (default: every asked answer) as svgmarks finds them: (box or table, row)."""
    _, tables, drawn, _ = draw._sources(problem, [(True, None)])
    return [(tables.home.get(n) or draw.node_id(n), tables.row.get(n, 0)) for n in sorted(draw.marks(problem, names) & drawn)]


def test_every_mark_is_found_and_taken_off(problems):
    """No kind falls back to a layout of its own: every mark is found, and with all of them taken off the
    whole-pass answer is dot's picture of the answer with nothing marked."""
    pairs = draw.pictures(problems, "svg")
    bare = draw.render([draw.dot_source(p, True, []) for p in problems])
    edited = 0
    for problem, (question, answer), unmarked in zip(problems, pairs, bare):
        every = spots(problem)
        assert svgmarks.Marks(answer.data, question.data, every).without(every) == unmarked, problem["id"]
        edited += bool(every)
    assert edited > len(problems) * 3 // 4


def test_a_mark_that_is_not_where_expected_is_drawn_by_dot(problems):
    """The output's grad asked (its question cell shows the given grad, not a blank): no edit is trusted,
    dot draws that card's picture, and it is the old one."""
    problem = next(p for p in problems if spots(p))
    output = problem["output"]
    problem = dict(problem, answers=problem["answers"] + [{"name": f"{output}.grad", "value": 1.0}])
    question, answer = draw.pictures([problem])[0]
    with pytest.raises(svgmarks.Unsure):
        svgmarks.Marks(answer.data, question.data, spots(problem, [f"{output}.grad"]))
    with pytest.raises(svgmarks.Unsure):  # the answer for the question: no mark differs from it
        svgmarks.Marks(answer.data, answer.data, spots(problem)[:1])
    pics = draw.card_pictures([problem], "svg")[0]
    _, _, each = old_way([problem])[0]
    assert [pics.each[a["name"]].data for a in problem["answers"]] == each


def test_png_card_pictures_are_the_old_ones(problems):
    few = problems[::9]
    new, old = draw.card_pictures(few, "png"), old_way(few, "png")
    for problem, pics, (question, answer, each) in zip(few, new, old):
        assert pics.question.data == question and pics.answer.data == answer
        assert [pics.each[a["name"]].data for a in problem["answers"]] == each


def test_the_pipeline_yields_every_problem_once_in_order(problems):
    chunks = [problems[:5], [], problems[5:60], problems[60:]]
    runs = list(draw.iter_card_pictures(iter(chunks), "svg", each=lambda p: [p["answers"][-1]["name"]]))
    got = [p for run, _ in runs for p in run]
    assert [p["id"] for p in got] == [p["id"] for p in problems]
    assert [len(run) for run, _ in runs][:3] == list(draw.PIECES[:3])  # the first run soon, then larger ones
    whole = draw.card_pictures(problems, "svg")
    for (run, pics), start in zip(runs, [0, *itertools.accumulate(len(r) for r, _ in runs)]):
        for k, (problem, p) in enumerate(zip(run, pics)):
            last = problem["answers"][-1]["name"]
            assert list(p.each) == [last] and p.each[last] == whole[start + k].each[last]
            assert p.question == whole[start + k].question and p.answer == whole[start + k].answer


def test_a_pipeline_left_early_stops_its_dot_work(problems):
    before = threading.active_count()
    runs = draw.iter_card_pictures([problems], "svg")
    next(runs)
    runs.close()  # the caller stopped: the pool is shut down, nothing keeps running
    assert threading.active_count() <= before


def test_pictures_in_pieces_are_the_pictures_at_once(problems):
    """pictures() hands dot the problems a piece at a time: the same pictures as one render of them all."""
    pairs = draw.pictures(problems, "svg", blank=(33.0, 19.0))
    texts = [draw.dot_source(p, a, blank=(33.0, 19.0)) for p in problems for a in (False, True)]
    data = draw.render(texts)
    assert [x.data for pair in pairs for x in pair] == data


def test_a_bad_problem_in_a_pipeline_is_the_usual_error(problems):
    broken = dict(problems[2], nodes=problems[2]["nodes"] + [{"name": "z", "op": "+", "inputs": ["nowhere"]}])
    with pytest.raises(draw.UserError, match="nowhere"):
        list(draw.iter_card_pictures([problems[:2], [broken]], "svg"))


def painted(browser, svgs: list[bytes]) -> list[bytes]:  # noqa: F811
    """Each SVG as Chromium paints it in an <img>, as a card shows it: a PNG screenshot, 2 device px a CSS px."""
    page = browser.new_page(device_scale_factor=2)
    out = []
    for svg in svgs:
        src = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
        page.set_content(f'<body style="margin:0;background:#fff"><img src="{src}"></body>')
        page.wait_for_function("document.images[0].complete && document.images[0].naturalWidth > 0")
        out.append(page.locator("img").screenshot())
    page.close()
    return out


def test_chromium_paints_the_new_pictures_as_the_old(problems, browser):  # noqa: F811
    """What a learner sees: the pictures painted by a browser, new and old, are the same pixels; and the
    painting does tell a marked picture from another (the comparison can fail)."""
    few = problems[::13]
    new, old = draw.card_pictures(few, "svg"), old_way(few)
    ours = [p.each[prob["answers"][0]["name"]].data for prob, p in zip(few, new)]
    theirs = [each[0] for _, _, each in old]
    a, b = painted(browser, ours), painted(browser, theirs)
    assert a == b
    others = [p.answer.data for p in new]
    assert any(x != y for x, y in zip(painted(browser, others), a))
