"""Graph pictures: DOT text from problem records, rendered by the real Graphviz `dot` (no mocks)."""

import copy
import json
import math
import re
import struct
import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from practice import dotrun, draw, kinds
from practice.errors import UserError
from practice.numbers import fmt


SVG_NS = "{http://www.w3.org/2000/svg}"


def record(pid, kind, spec, output, output_grad=1.0, asked=None, constants=()):
    """A problem record like the generator's: forward and backward done here, plainly, for test data."""
    nodes, by = [], {}
    for name, op, inputs, extra in spec:
        v = [by[i]["data"] for i in inputs]
        node = {"name": name, "op": op, "inputs": list(inputs)}
        if op is None:
            d = extra
        elif op == "**":
            d = v[0] ** extra
            node["exponent"] = extra
        else:
            d = {
                "+": lambda: v[0] + v[1],
                "-": lambda: v[0] - v[1],
                "*": lambda: v[0] * v[1],
                "/": lambda: v[0] / v[1],
                "tanh": lambda: math.tanh(v[0]),
                "exp": lambda: math.exp(v[0]),
            }[op]()
        node.update(data=d, grad=0.0)
        if name in constants:
            node["constant"] = True
        nodes.append(node)
        by[name] = node
    by[output]["grad"] = output_grad
    for n in reversed(nodes):
        g, ins, op = n["grad"], [by[i] for i in n["inputs"]], n["op"]
        if op == "+":
            for i in ins:
                i["grad"] += g
        elif op == "-":
            ins[0]["grad"] += g
            ins[1]["grad"] -= g
        elif op == "*":
            ins[0]["grad"] += ins[1]["data"] * g
            ins[1]["grad"] += ins[0]["data"] * g
        elif op == "/":
            ins[0]["grad"] += g / ins[1]["data"]
            ins[1]["grad"] += -ins[0]["data"] / ins[1]["data"] ** 2 * g
        elif op == "**":
            ins[0]["grad"] += n["exponent"] * ins[0]["data"] ** (n["exponent"] - 1) * g
        elif op == "tanh":
            ins[0]["grad"] += (1 - n["data"] ** 2) * g
        elif op == "exp":
            ins[0]["grad"] += n["data"] * g
    for n in nodes:
        if n.get("constant"):
            n["grad"] = 0.0
    if asked is None:
        asked = [n["name"] for n in nodes if n["op"] is None and not n.get("constant")]
    rec = {
        "id": f"{kind}-{pid}",
        "seed": 1,
        "kind": kind,
        "difficulty": "medium",
        "question": "Find the gradients.",
        "output": output,
        "nodes": nodes,
        "answers": [{"name": f"{a}.grad", "value": by[a]["grad"], "tolerance": 0.001} for a in asked],
        "steps": [],
    }
    if output_grad != 1.0:
        rec["output_grad"] = output_grad
    return rec


B = 6.8813735870195432
NEURON = [
    ("x1", None, [], 2.0),
    ("w1", None, [], -3.0),
    ("x2", None, [], 0.0),
    ("w2", None, [], 1.0),
    ("b", None, [], B),
    ("x1w1", "*", ["x1", "w1"], None),
    ("x2w2", "*", ["x2", "w2"], None),
    ("x1w1x2w2", "+", ["x1w1", "x2w2"], None),
    ("n", "+", ["x1w1x2w2", "b"], None),
]
EXPRESSION = record(
    "0a1b2c3d4e5f",
    "expression",
    [
        ("a", None, [], 2.0),
        ("b", None, [], -3.0),
        ("c", None, [], 10.0),
        ("e", "*", ["a", "b"], None),
        ("d", "+", ["e", "c"], None),
        ("f", None, [], -2.0),
        ("L", "*", ["d", "f"], None),
    ],
    "L",
)
NEURON_EXP = record(  # 16 nodes: the lesson's neuron with tanh written through exp
    "exp000000000",
    "neuron",
    NEURON
    + [
        ("k", None, [], 2.0),
        ("m", "*", ["k", "n"], None),
        ("e", "exp", ["m"], None),
        ("k1", None, [], 1.0),
        ("p", "-", ["e", "k1"], None),
        ("q", "+", ["e", "k1"], None),
        ("o", "/", ["p", "q"], None),
    ],
    "o",
    asked=["x1", "w1", "x2", "w2", "b"],
    constants=("k", "k1"),
)
LOCAL_DIV = record(
    "d1v000000000", "local", [("a", None, [], 3.0), ("b", None, [], -4.0), ("c", "/", ["a", "b"], None)], "c", 2.0
)
SQUARE = record("sq0000000000", "accumulate", [("x", None, [], 3.0), ("y", "*", ["x", "x"], None)], "y")
LOSS = record(
    "l055", "loss", [("y", None, [], 0.6), ("t", None, [], 1.0), ("d", "-", ["y", "t"], None), ("L", "**", ["d"], 2)], "L"
)
ALL = [EXPRESSION, NEURON_EXP, LOCAL_DIV, SQUARE, LOSS]


def grads_shown(source: str) -> list[str]:
    """Every grad printed in a DOT text (a grad's fixed-size cell: "6", "<B>−4</B>", "1 given" shows "1");
    a blank grad shows no number."""
    cells = re.findall(r'FIXEDSIZE="TRUE"[^>]*>(.*?)</TD>', source)
    return [t for t in (re.sub(r"<FONT[^>]*>.*?</FONT>|</?B>", "", c).strip() for c in cells) if t]


def marked_nodes(source: str) -> list[str]:
    """The node ids an answer picture marks: a thick outline and a tint."""
    return [line.split()[0] for line in source.splitlines() if "penwidth=" + draw.MARK_PENWIDTH in line]


def one(problem, **changes):
    p = copy.deepcopy(problem)
    p.update(changes)
    return p


# ---------------------------------------------------------------- DOT text


def test_lesson_numbers():
    by = {n["name"]: n for n in EXPRESSION["nodes"]}
    assert [by[x]["grad"] for x in "fdceab"] == [4, -2, -2, -2, 6, -4]
    by = {n["name"]: n for n in NEURON_EXP["nodes"]}
    assert [round(by[x]["grad"], 9) for x in ("x1", "w1", "x2", "w2", "b")] == [-1.5, 1.0, 0.5, 0.0, 0.5]


def test_dot_source_is_deterministic_and_independent_of_object_identity():
    for problem in ALL:
        for answer in (False, True):
            first = draw.dot_source(problem, answer)
            assert draw.dot_source(problem, answer) == first
            assert draw.dot_source(copy.deepcopy(problem), answer) == first
            assert draw.dot_source(json.loads(json.dumps(problem)), answer) == first
            assert "0x" not in first  # no id()/repr addresses


def test_question_shows_names_and_data_but_only_the_given_grad():
    source = draw.dot_source(EXPRESSION, answer=False)
    for node in EXPRESSION["nodes"]:
        assert f"<B>{node['name']}</B>" in source
        assert f"data {fmt(node['data'])}<" in source
    assert grads_shown(source) == ["1"]  # L's grad, given
    assert "given" in source
    ruled = f'SIDES="B" BORDER="1" COLOR="{draw.INK}"'
    assert source.count(ruled) == len(EXPRESSION["nodes"]) - 1  # a line to write each other grad on
    assert ruled not in draw.dot_source(EXPRESSION, answer=True)  # answers fill the cell, unruled


def test_local_question_shows_the_upstream_gradient():
    source = draw.dot_source(LOCAL_DIV, answer=False)
    assert grads_shown(source) == ["2"]
    assert "data −0.75" in source
    assert "label=num" in source and "label=den" in source  # which input is divided by which


def test_subtraction_marks_which_input_is_subtracted():
    source = draw.dot_source(LOSS, answer=False)
    assert re.search(r"n_y -> op_d \[label=\"?\+", source)
    assert re.search(r"n_t -> op_d \[label=\"?−", source)
    assert "^2" in source


def test_answer_shows_every_grad_and_marks_the_asked_ones():
    for problem in ALL:
        source = draw.dot_source(problem, answer=True)
        shown = grads_shown(source)
        expected = [fmt(n["grad"]) for n in problem["nodes"] if not n.get("constant")]
        assert sorted(shown) == sorted(expected), problem["id"]
        asked = {a["name"][:-5] for a in problem["answers"]}
        for node in problem["nodes"]:
            if node.get("constant"):
                continue
            line = next(x for x in source.splitlines() if x.strip().startswith(draw.node_id(node["name"]) + " "))
            assert (draw.node_id(node["name"]) in marked_nodes(source)) == (node["name"] in asked)
            assert (draw.HIGHLIGHT_FILL in line) == (node["name"] in asked)
    assert ">grad</TD>" in draw.dot_source(NEURON_EXP, answer=True) and "<B>−1.5</B>" in draw.dot_source(NEURON_EXP, answer=True)


def test_repeated_input_keeps_both_edges():
    source = draw.dot_source(SQUARE, answer=True)
    edges = re.findall(r"^\s*n_x -> op_y\b", source, flags=re.M)
    assert len(edges) == 2
    assert grads_shown(source)[0] == "6" and ">grad</TD>" in source  # d(x*x)/dx = 2x, both contributions


def test_constants_show_only_their_value_once_per_use():
    source = draw.dot_source(NEURON_EXP, answer=True)
    assert not re.search(r"label=[^\]]*\bk1?\b", source)  # never their internal names k, k1
    constant_boxes = re.findall(r"^\s*(c\d+_\w+) \[label=(\S+) ", source, flags=re.M)
    assert [label for _, label in constant_boxes] == ["2", "1", "1"]
    assert len({cid for cid, _ in constant_boxes}) == 3


def test_node_ids_come_from_names_and_stay_apart():
    assert draw.node_id("x1") == "n_x1"
    names = ["a_b", "a.b", "a b", "a__b", "a_5f_b", "ä", "<x>"]
    ids = [draw.node_id(n) for n in names]
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(r"n_[A-Za-z0-9_]+", i) for i in ids)


def test_special_characters_in_names_are_escaped():
    rec = record("esc", "expression", [("<a&b>", None, [], 1.5), ('x "|{ }', None, [], 2.0), ("y", "*", ["<a&b>", 'x "|{ }'], None)], "y")
    source = draw.dot_source(rec, answer=True)
    assert "<a&b>" not in source and '"|{ }' not in source
    svg = draw.render([source])[0]
    texts = [t.text for t in ET.fromstring(svg).iter(SVG_NS + "text")]
    assert "<a&b>" in texts and 'x "|{ }' in texts


def test_bad_records_give_user_errors():
    with pytest.raises(UserError, match="not an earlier node"):
        draw.dot_source(one(EXPRESSION, nodes=EXPRESSION["nodes"][::-1]), answer=False)
    with pytest.raises(UserError, match="unknown op"):
        draw.dot_source(one(LOSS, nodes=[{"name": "z", "op": "sqrt", "inputs": [], "data": 1, "grad": 0}]), False)
    with pytest.raises(UserError, match="output"):
        draw.dot_source(one(EXPRESSION, output="nope"), answer=False)


# ---------------------------------------------------------------- rendering


def labelled_sources(n):
    """n small, different graphs: graph k has a value named uniqueK and a different size."""
    sources = []
    for k in range(n):
        spec = [(f"unique{k}", None, [], float(k))] + [(f"v{j}", "tanh", [f"unique{k}" if j == 0 else f"v{j-1}"], None) for j in range(k % 3)]
        sources.append(draw.dot_source(record(str(k), "expression", spec, spec[-1][0]), answer=bool(k % 2)))
    return sources


def svg_texts(svg: bytes) -> list[str]:
    return [t.text for t in ET.fromstring(svg).iter(SVG_NS + "text")]


def png_ok(data: bytes) -> bool:
    return data.startswith(draw.PNG_SIGNATURE) and data.endswith(b"IEND" + struct.pack(">I", 0xAE426082))


def test_render_svg_batch_keeps_order_and_equals_one_at_a_time():
    sources = labelled_sources(9)
    svgs = draw.render(sources, "svg")
    assert len(svgs) == 9
    for k, svg in enumerate(svgs):
        assert svg.startswith(b"<?xml") and svg.rstrip().endswith(b"</svg>")
        assert f"unique{k}" in svg_texts(svg)
        assert b'id="graph0"' in svg  # not dot's "page0,1_graph0" for the 2nd+ graph of a batch
    singles = [draw.render([s], "svg")[0] for s in sources[:4]]
    assert svgs[:4] == singles
    assert draw.render(sources, "svg") == svgs  # byte for byte again


def test_render_png_batch_keeps_order_and_equals_one_at_a_time():
    sources = labelled_sources(5)
    pngs = draw.render(sources, "png")
    assert len(pngs) == 5 and all(png_ok(p) for p in pngs)
    assert pngs == [draw.render([s], "png")[0] for s in sources]
    assert len({p for p in pngs}) == 5


def test_png_and_svg_sizes_agree():
    svg, png = draw.render([draw.dot_source(EXPRESSION, True)], "svg") + draw.render([draw.dot_source(EXPRESSION, True)], "png")
    (ws, hs), (wp, hp) = draw.size_pt(svg, "svg"), draw.size_pt(png, "png")
    assert abs(ws - wp) <= 1 and abs(hs - hp) <= 1


def test_a_broken_source_names_the_picture_and_keeps_the_others():
    sources = labelled_sources(6)
    good = draw.render(sources, "svg")
    broken = list(sources)
    broken[3] = "digraph { a -> }"
    names = [f"picture of problem p{k}" for k in range(6)]
    with pytest.raises(UserError, match=r"could not draw picture of problem p3: .*syntax error") as info:
        draw.render(broken, "svg", names)
    assert isinstance(info.value, draw.RenderError)
    assert info.value.results[:3] == good[:3] and info.value.results[4:] == good[4:]
    assert info.value.results[3] is None
    assert [i for i, _, _ in info.value.failures] == [3]
    assert "\n" not in str(info.value)


def test_unclosed_source_does_not_swallow_the_next_one():
    sources = labelled_sources(3)
    with pytest.raises(draw.RenderError) as info:
        draw.render([sources[0], "digraph { a -> b", sources[2]], "png")
    assert [i for i, _, _ in info.value.failures] == [1]
    assert "picture 2 of 3" in str(info.value)
    assert png_ok(info.value.results[2])


def test_render_nothing_and_bad_format():
    assert draw.render([], "svg") == []
    with pytest.raises(UserError, match="svg or png"):
        draw.render(["digraph {}"], "pdf")


def test_require_dot_tells_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError) as info:
        draw.require_dot()
    message = str(info.value)
    assert "apt install graphviz" in message  # this machine is Debian: tests/test_install_hint.py has the others
    assert "\n" not in message
    with pytest.raises(UserError, match="apt install graphviz"):
        draw.render([draw.dot_source(EXPRESSION, False)])


def test_picture_name_is_stable_and_content_based():
    a = draw.picture_name(b"<svg>one</svg>", "svg")
    assert a == draw.picture_name(b"<svg>one</svg>", "svg")
    assert re.fullmatch(r"bp-[0-9a-f]{16}\.svg", a)
    assert draw.picture_name(b"<svg>two</svg>", "svg") != a
    assert draw.picture_name(b"x", "png").endswith(".png")


def test_pictures_pairs_question_and_answer():
    pairs = draw.pictures([EXPRESSION, LOCAL_DIV], "svg")
    assert len(pairs) == 2
    (q, a), (q2, _) = pairs
    assert q.fmt == "svg" and q.name == draw.picture_name(q.data, "svg")
    assert "given" in svg_texts(q.data) and "given" not in svg_texts(a.data)
    assert "−4" in svg_texts(a.data)  # b.grad, bold in its own text element
    assert "data −0.75" in svg_texts(q2.data)
    assert draw.pictures([EXPRESSION], "svg")[0] == pairs[0]


def test_the_16_node_graph_fits_a_page():
    question, answer = draw.pictures([NEURON_EXP], "svg")[0]
    for pic in (question, answer):
        width, height = pic.size_pt
        assert width <= 400, width  # A4 text width is ~480 pt: prints at full size, 10 pt text
        assert height <= 760, height
        root = ET.fromstring(pic.data)
        assert root.get("width") == f"{width:g}pt"


def test_pictures_have_an_opaque_white_background():
    svg = draw.render([draw.dot_source(SQUARE, False)], "svg")[0]
    first = next(ET.fromstring(svg).iter(SVG_NS + "polygon"))
    assert first.get("fill") == "white"


NAMES = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(NAMES, min_size=3, max_size=3, unique=True), st.booleans())
def test_any_names_draw(names, answer):
    a, b, c = names
    rec = record("h", "expression", [(a, None, [], 1.25), (b, None, [], -2.0), (c, "-", [a, b], None)], c)
    svg = draw.render([draw.dot_source(rec, answer)])[0]
    texts = svg_texts(svg)
    for name in names:
        assert name.strip() in [t.strip() for t in texts if t]


def test_answers_the_picture_does_not_hold_mark_nothing():
    """zero_grad pictures its first step; its answers are about the second: marking w there would point at the
    first step's grad beside an answer about another number."""
    later = one(EXPRESSION, answers=[{"name": "a.grad at step 2", "value": 1, "tolerance": 0.001},
                                     {"name": "a after step 2, no zero_grad", "value": 1, "tolerance": 0.001},
                                     {"name": "loss after", "value": 1, "tolerance": 0.001}])
    assert draw.marks(later) == set() and marked_nodes(draw.dot_source(later, answer=True)) == []
    assert draw.marks(later, ["b.grad", "a.new", "a.grad at step 2"]) == {"a", "b"}


def test_step_answers_mark_their_parameters():
    step = one(EXPRESSION, answers=[{"name": "a.new", "value": 1.9, "tolerance": 0.001}, {"name": "estimate", "value": 1, "tolerance": 0.1}])
    source = draw.dot_source(step, answer=True)
    assert marked_nodes(source) == ["n_a"]


def test_write_answer_picture(tmp_path):
    target = tmp_path / "graph.png"
    draw.write_answer_picture(EXPRESSION, target)
    assert png_ok(target.read_bytes())
    draw.write_answer_picture(EXPRESSION, tmp_path / "graph.svg")
    assert "6" in svg_texts((tmp_path / "graph.svg").read_bytes())
    with pytest.raises(UserError, match=r"\.svg or \.png"):
        draw.write_answer_picture(EXPRESSION, tmp_path / "graph.pdf")
    with pytest.raises(UserError, match="does not exist"):
        draw.write_answer_picture(EXPRESSION, tmp_path / "missing" / "graph.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph.png", "graph.svg"]


KINDS = sorted(kinds.KINDS)  # every kind, the training kinds too


def test_every_generated_kind_draws_at_a_printable_size():
    from practice.generate import derive_seed, make_problem

    problems = [make_problem(k, d, derive_seed("draw-test", k, d, i)) for k in KINDS for d in ("easy", "medium", "hard")
                for i in range(3)]
    for problem, (question, answer) in zip(problems, draw.pictures(problems, "svg")):
        for pic in (question, answer):
            width, height = pic.size_pt
            # A4's text is ~480 pt wide and a card scales a picture to a 390 px phone's width: an MLP drawn as a
            # graph of value boxes was 800-900 pt, its text 4 px on the phone; every kind now stays near a neuron's
            assert width <= 520 and height <= 760, (problem["id"], width, height)
        shown = grads_shown(draw.dot_source(problem, answer=False))
        assert shown == [fmt(problem.get("output_grad", 1.0))], problem["id"]


# ---------------------------------------------------------------- one layout, fitted text, the font dot measures with


def generated_problems():
    from practice.generate import derive_seed, make_problem

    return [make_problem(k, d, derive_seed("fit-test", k, d, i)) for k in KINDS for d in ("easy", "medium", "hard") for i in range(2)]


def node_boxes(svg: bytes) -> dict[str, list[tuple[float, float, float, float]]]:
    """Node id -> the outlines dot drew for it (x0, y0, x1, y1 of each polygon)."""
    boxes = {}
    for g in ET.fromstring(svg).iter(SVG_NS + "g"):
        if g.get("class") == "node":
            polys = [[tuple(map(float, pt.split(","))) for pt in p.get("points").split()] for p in g.iter(SVG_NS + "polygon")]
            boxes[g.find(SVG_NS + "title").text] = [
                (min(x for x, _ in p), min(y for _, y in p), max(x for x, _ in p), max(y for _, y in p)) for p in polys
            ]
    return boxes


def test_every_picture_of_a_problem_has_one_layout():
    """Question, whole-pass answer and each single answer's picture: the same size and every box in the same place,
    so a card never jumps or shrinks its picture when it turns."""
    problems = generated_problems()
    for problem, pics in zip(problems, draw.card_pictures(problems, "svg")):
        all_pics = [pics.question, pics.answer, *pics.each.values()]
        assert len(pics.each) == len(problem["answers"])
        assert len({p.size_pt for p in all_pics}) == 1, problem["id"]
        outer = [{k: [max(b, key=lambda r: (r[2] - r[0]) * (r[3] - r[1]))] for k, b in node_boxes(p.data).items() if b}
                 for p in all_pics]
        assert all(o == outer[0] for o in outer), problem["id"]
        for name, pic in pics.each.items():  # each marks its own answer, and only it
            marked = {
                g.find(SVG_NS + "title").text
                for g in ET.fromstring(pic.data).iter(SVG_NS + "g")
                if g.get("class") == "node" and any(q.get("fill") == draw.HIGHLIGHT_FILL for q in g.iter(SVG_NS + "polygon"))
            }
            node = name.rpartition(".")[0]
            table = next((i for i, g in enumerate(problem.get("groups", [])) if node in g["nodes"]), None)
            pictured = name.rpartition(".")[2] in ("grad", "new")  # not zero_grad's "w.grad at step 2"
            expected = set() if not pictured else {draw.node_id(node) if table is None else draw.node_id(str(table), "table_")}
            assert marked == expected, (problem["id"], name, marked)


def test_dot_finds_every_cell_big_enough():
    """dot warns "cell size too small for content" when a fixed-size cell can't hold its text: never, in any
    picture of any kind, question or answer, nor with a worksheet's larger blanks."""
    import subprocess

    problems = generated_problems()
    sources = [draw.dot_source(p, a) for p in problems for a in (False, True)]
    sources += [draw.dot_source(p, False, blank=(57.0, 20.0)) for p in problems[:6]]
    run = subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input="\n".join(sources), capture_output=True, text=True)
    assert run.returncode == 0 and run.stderr == "", run.stderr[:300]


GROUPED = one(EXPRESSION, groups=[{"name": "left", "nodes": ["a", "b", "e"]}, {"name": "right", "nodes": ["c", "d"]}])


def test_grouped_graphs_give_the_same_bytes_in_any_batch():
    """Tables and rows of tables side by side: the same bytes alone or in a batch of other graphs, in any order."""
    import random

    from practice.generate import make_problem

    problems = [GROUPED] + [make_problem(k, d, s) for k in ("mlp", "batch", "hinge", "expression") for d in ("easy", "hard")
                            for s in range(2)]
    sources = [draw.dot_source(p, a) for p in problems for a in (False, True)]
    alone = [draw.render([s])[0] for s in sources]
    order = list(range(len(sources)))
    random.Random(1).shuffle(order)
    assert draw.render([sources[i] for i in order]) == [alone[i] for i in order]


def table_rows(svg: bytes) -> dict[str, dict[str, list[str]]]:
    """Table node id -> {row name -> the row's texts}, from a drawn SVG: a row is the texts on one line."""
    tables = {}
    for g in ET.fromstring(svg).iter(SVG_NS + "g"):
        title = g.find(SVG_NS + "title")
        if g.get("class") != "node" or not title.text.startswith("table_"):
            continue
        texts = sorted((float(t.get("y")), float(t.get("x")), t.text.strip()) for t in g.iter(SVG_NS + "text")
                       if t.text and t.text.strip())
        lines = [[texts[0]]]
        for text in texts[1:]:  # a grad sits a little higher in its fixed cell than the row's other texts
            if text[0] - lines[-1][0][0] > 6:
                lines.append([])
            lines[-1].append(text)
        tables[title.text] = {words[0]: words[1:] for words in ([w for _, _, w in sorted(line, key=lambda t: t[1])]
                                                                 for line in lines)}
    return tables


def test_a_group_is_one_table_with_a_row_per_value():
    """Each group is one table (no value boxes of its own): a row per member, leaves first, each computed value
    beside its formula, data and grad in their columns; the edges run between tables and outside values."""
    svg = draw.render([draw.dot_source(GROUPED, True)])[0]
    tables = table_rows(svg)
    assert list(tables) == ["table_0", "table_1"]
    left, right = tables["table_0"], tables["table_1"]
    assert list(left) == ["left", "data", "a", "b", "e"] and list(right) == ["right", "data", "c", "d"]
    by = {n["name"]: n for n in GROUPED["nodes"]}
    assert left["a"] == [fmt(by["a"]["data"]), fmt(by["a"]["grad"])]
    assert left["e"] == ["= a × b", fmt(by["e"]["data"]), fmt(by["e"]["grad"])]
    assert right["d"][0] == "= e + c"
    source = draw.dot_source(GROUPED, False)
    assert not re.search(r"\bn_(a|b|c|d|e) \[", source)  # members are rows, not boxes
    assert "table_0 -> table_1" in source and "table_1 -> op_L" in source
    assert grads_shown(source) == [fmt(GROUPED.get("output_grad", 1.0))]  # a question: every row a blank


def test_tables_of_generated_problems_show_what_the_question_and_the_key_say():
    """Every row of every table of the grouped kinds (mlp, batch, hinge), all difficulties: the formula the
    question states for that value, its data, and in the answer picture its grad, as the record has them; a
    question picture shows no grad but the output's. Every member of a group is a row, once."""
    from practice.generate import derive_seed, make_problem

    problems = [make_problem(k, d, derive_seed("tables", k, d, i)) for k in ("mlp", "batch", "hinge")
                for d in ("easy", "medium", "hard") for i in range(3)]
    sources = [draw.dot_source(p, a) for p in problems for a in (False, True)]
    pictures = draw.render(sources)
    for problem, question, answer in zip(problems, pictures[0::2], pictures[1::2]):
        stated = dict(line.strip().split(" = ", 1) for line in problem["question"].splitlines()
                      if re.fullmatch(r"\s+\S+ = .+", line))
        by = {n["name"]: n for n in problem["nodes"]}
        q_rows, a_rows = table_rows(question), table_rows(answer)
        members = [[n for n in g["nodes"] if not by[n].get("constant")] for g in problem["groups"]]
        for i, names in enumerate(members):
            q, a = q_rows[f"table_{i}"], a_rows[f"table_{i}"]
            assert sorted(a) == sorted(names + [problem["groups"][i]["name"], "data"]), problem["id"]
            for name in names:
                node = by[name]
                formula = [f"= {stated[name]}"] if node["op"] else []
                grad = fmt(problem.get("output_grad", 1.0)) if name == problem["output"] else fmt(node["grad"])
                assert a[name] == formula + [fmt(node["data"]), grad], (problem["id"], name, a[name])
                given = [grad, "given"] if name == problem["output"] else []
                assert q[name] == formula + [fmt(node["data"])] + given, (problem["id"], name, q[name])


def tinted_rows(svg: bytes) -> dict[str, set[str]]:
    """Table node id -> the names of its rows drawn on a tint (what an answer picture marks)."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG_NS + "g"):
        title = g.find(SVG_NS + "title")
        if g.get("class") != "node" or not title.text.startswith("table_"):
            continue
        spans = []
        for poly in g.iter(SVG_NS + "polygon"):
            if poly.get("fill") == draw.HIGHLIGHT_FILL:
                ys = [float(pt.split(",")[1]) for pt in poly.get("points").split()]
                spans.append((min(ys), max(ys)))
        texts = [t for t in g.iter(SVG_NS + "text") if t.text and t.text.strip()]
        left = min(float(t.get("x")) for t in texts)
        out[title.text] = {t.text.strip() for t in texts if float(t.get("x")) < left + 1
                           and any(lo <= float(t.get("y")) <= hi for lo, hi in spans)}
    return out


def test_a_table_marks_the_asked_rows():
    marked = one(GROUPED, answers=[{"name": "b.grad", "value": 1, "tolerance": 0.01},
                                   {"name": "d.grad", "value": 1, "tolerance": 0.01}])
    svg = draw.render([draw.dot_source(marked, True)])[0]
    assert tinted_rows(svg) == {"table_0": {"b"}, "table_1": {"d"}}
    single = draw.render([draw.dot_source(marked, True, ["d.grad"])])[0]
    assert tinted_rows(single) == {"table_0": set(), "table_1": {"d"}}
    assert draw.size_pt(single, "svg") == draw.size_pt(svg, "svg") == draw.size_pt(draw.render([draw.dot_source(marked, False)])[0], "svg")


@pytest.mark.parametrize("groups, message", [
    ("no", "groups is not a list"),
    ([{"name": "g"}], "group 1 is not an object with a list of nodes"),
    ([{"name": "g", "nodes": ["a", "zz"]}], "group 'g' lists 'zz', which is not a node"),
    ([{"name": "g", "nodes": [["a"]]}], "group 'g' lists ['a'], which is not a node"),
    ([{"name": "g", "nodes": ["a"]}, {"name": "h", "nodes": ["a"]}], "'a' is in two groups"),
])
def test_bad_groups_give_user_errors(groups, message):
    with pytest.raises(UserError, match=re.escape(message)):
        draw.dot_source(one(EXPRESSION, groups=groups), True)


FIT_JS = """() => {
  const bad = [];
  for (const svg of document.querySelectorAll('svg')) {
    for (const g of svg.querySelectorAll('g.node')) {
      const polys = [...g.querySelectorAll('polygon')].map(p => p.getBBox());
      if (!polys.length) continue;  // an op's circle
      const x0 = Math.min(...polys.map(b => b.x)), x1 = Math.max(...polys.map(b => b.x + b.width));
      const y0 = Math.min(...polys.map(b => b.y)), y1 = Math.max(...polys.map(b => b.y + b.height));
      const rules = [...g.querySelectorAll('polyline')].map(p => p.getBBox()).filter(b => b.height < 0.5);
      for (const t of g.querySelectorAll('text')) {
        if (!t.textContent.trim()) continue;  // a blank's placeholder space
        const b = t.getBBox();
        const tag = svg.id + ' ' + g.querySelector('title').textContent + ' ' + t.textContent;
        const where = [b.x - x0, x1 - b.x - b.width, b.y - y0, y1 - b.y - b.height].map(v => v.toFixed(1)).join(' ');
        if (b.x < x0 + 1 || b.x + b.width > x1 - 1 || b.y < y0 || b.y + b.height > y1) bad.push('box ' + tag + ' ' + where);
        for (const r of rules)  // a grad's cell, ruled under: its text stays above and inside the rule
          if (b.x >= r.x - 1 && b.x <= r.x + r.width && b.x + b.width > r.x + r.width - 1) bad.push('cell ' + tag);
      }
    }
  }
  return bad;
}"""


def test_text_fits_its_boxes_in_a_real_browser():
    """Every label inside its box with room to spare, measured by Chromium drawing the SVG with the font the
    SVG names (Liberation Sans here, the font dot laid the boxes out with)."""
    from playwright.sync_api import sync_playwright

    from browser import launch

    problems = generated_problems()
    docs = []
    for i, (problem, pics) in enumerate(zip(problems, draw.card_pictures(problems, "svg"))):
        for j, pic in enumerate([pics.question, pics.answer, *pics.each.values()]):
            svg = pic.data.decode().split("<svg", 1)[1]
            docs.append(f'<svg id="{problem["id"]}/{j}"' + svg)
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page()
            page.set_content("<!doctype html><body>" + "".join(docs) + "</body>")
            assert page.evaluate("document.querySelectorAll('svg').length") == len(docs)
            assert page.evaluate(FIT_JS) == []
        finally:
            browser.close()


def test_dot_measures_with_the_font_the_pictures_name():
    """The font dot lays text out with is installed and is the one it finds (fonts-liberation2); the SVG names it
    first, then its metric twins; PNG text comes from the same font at 3 px a point."""
    import subprocess

    found = subprocess.run(["fc-match", "-f", "%{family}", draw.FONT], capture_output=True, text=True).stdout
    assert draw.FONT in found.split(","), f"fc-match {draw.FONT!r} gives {found!r}: apt-get install fonts-liberation2"
    verbose = subprocess.run(["dot", "-v", "-Tpng", "-o", "/dev/null"], input=draw.dot_source(EXPRESSION, True),
                             capture_output=True, text=True).stderr
    resolved = [line for line in verbose.splitlines() if "resolved to" in line]
    assert resolved and all("Liberation Sans" in line.split("resolved to", 1)[1] for line in resolved), resolved
    svg = draw.render([draw.dot_source(EXPRESSION, True)], "svg")[0]
    families = set(re.findall(rb'font-family="([^"]+)"', svg))
    assert families == {draw.SVG_FONT_FAMILY.encode()} and draw.SVG_FONT_FAMILY.startswith(draw.FONT + ",")


def test_png_is_drawn_at_twice_the_cards_css_size():
    from practice.anki.fields import PICTURE_PX_PER_PT

    svg, png = (draw.render([draw.dot_source(NEURON_EXP, True)], f)[0] for f in ("svg", "png"))
    css_width = draw.size_pt(svg, "svg")[0] * PICTURE_PX_PER_PT
    (png_px,) = struct.unpack(">I", png[16:20])
    assert png_px >= 2 * css_width - 2, (png_px, css_width)


def test_svg_stream_keeps_batches_apart_when_dot_stops_on_one():
    """dot kept running (practice/dotstream.py): a broken or unclosed source stops that dot process; its batch is
    drawn apart (naming the broken picture) and the batches after it, on a new process, are the same pictures."""
    sources = labelled_sources(6)
    alone = [draw.render([s], "svg")[0] for s in sources]
    dot = draw._Dot("svg", 1)  # one process: every batch in one stream
    try:
        jobs = [dot.submit(sources[:2]), dot.submit([sources[2], "digraph { a -> b", sources[3]]),
                dot.submit(sources[4:]), dot.submit(["digraph { a -> }", sources[0]])]
        assert dot.result(jobs[0]) == alone[:2]
        with pytest.raises(draw.RenderError) as info:
            dot.result(jobs[1])
        assert [i for i, _, _ in info.value.failures] == [1]
        assert info.value.results[0] == alone[2] and info.value.results[2] == alone[3]
        assert dot.result(jobs[2]) == alone[4:]
        with pytest.raises(draw.RenderError, match="syntax error"):
            dot.result(jobs[3])
        assert dot.result(dot.submit(sources)) == alone  # a new process after the failures
    finally:
        dot.close()


def test_a_dot_kept_running_gives_way_after_its_share_of_graphs(monkeypatch):
    """dot 2.43's memory grows with every graph it draws: after STREAM_MOST graphs a new process takes over, and the
    pictures are the same."""
    sources = labelled_sources(7)
    alone = [draw.render([s], "svg")[0] for s in sources]
    monkeypatch.setattr(dotrun, "STREAM_MOST", 2)
    dot = draw._Dot("svg", 1)
    try:
        jobs = [dot.submit([s]) for s in sources]
        assert [dot.result(job)[0] for job in jobs] == alone
        assert len(dot.retired) >= 3
    finally:
        dot.close()


def test_a_kept_running_dot_that_goes_silent_is_stopped_and_its_batch_drawn_apart():
    """The stream's watch (practice/dotstream.py) stops a process that keeps pictures waiting past the timeout
    without writing; the waiting batch goes to the fallback, and the watch's thread ends with the last stream.
    The process here reads its input and never answers, as a dot stuck on one graph would."""
    import threading

    from practice import dotstream

    drawn_apart = []

    def fallback(sources):
        drawn_apart.append(list(sources))
        return [(None, "drawn apart")] * len(sources)

    stream = dotstream.Stream(["sh", "-c", "cat >/dev/null"], lambda doc: doc, fallback, timeout=0.3)
    try:
        future = stream.send(["digraph { a }", "digraph { b }"])
        assert future.result(timeout=30) == [(None, "drawn apart")] * 2  # stopped, not waited on for ever
        assert drawn_apart == [["digraph { a }", "digraph { b }"]]
    finally:
        stream.close()
    assert stream not in dotstream._WATCH._streams
    if not dotstream._WATCH._streams:  # (a stream another test left open would keep the watch running)
        assert not any(t.name == "dot-stream-watch" for t in threading.enumerate())
