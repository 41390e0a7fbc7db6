"""The Anki deck: built with the real genanki and Graphviz, imported into a fresh collection with the official
`anki` package, and checked card by card as Anki renders them (no mocks of either side)."""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from html import unescape
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from practice import draw
from practice.anki import deck
from practice.anki import fields as deck_fields
from practice.anki import package as deck_package
from practice.anki.concepts import default_concepts_path, load_concepts
from practice.errors import UserError
from practice.generate import problem_set
from practice.numbers import MINUS, fmt
from practice.resources import templates_dir
from practice.spec import choose

from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest  # noqa: E402
from anki.import_export_pb2 import ImportAnkiPackageUpdateCondition  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
IF_NEWER = ImportAnkiPackageUpdateCondition.IMPORT_ANKI_PACKAGE_UPDATE_CONDITION_IF_NEWER
T0 = 1_700_000_000
SEED = 29  # this mix then holds a one-answer local problem (no whole-pass card) and a 7-answer neuron
SVG = "{http://www.w3.org/2000/svg}"
PASS_ORD = deck.MAX_ANSWERS  # card templates: answer slots 0..7, then the whole backward pass

SPEC = """\
title: Deck test
seed: 29
concepts: cards.yaml
deck:
  name: Test Practice
problems:
  - {kind: local, difficulty: easy, count: 2}
  - {kind: local, difficulty: hard, count: 1}
  - {kind: expression, difficulty: medium, count: 1}
  - {kind: neuron, difficulty: hard, count: 1}
  - {kind: accumulate, difficulty: easy, count: 1}
  - {kind: step, difficulty: easy, count: 1}
  - {kind: numeric, difficulty: easy, count: 1}
"""

CONCEPTS = r"""
cards:
  - key: test-tanh
    type: basic
    objective: 4
    tags: [local-derivatives, op-tanh]
    front: |-
      Through \(o = \tanh(n)\), what multiplies <code>o.grad</code> on its way to <code>n</code>?
    back: |-
      \(1 - o^2\), using the output's own value.
    extra: |-
      At \(o = 0.5\) that is \(0.75\).
  - key: test-torch
    type: basic
    objective: 7
    tags: [pytorch]
    front: |-
      How do you make a leaf PyTorch will keep a float64 grad for?
    back: |-
      <code>x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)</code>, then <code>x.grad</code> after backward.
  - key: test-zero
    type: basic
    objective: 6
    tags: [training-loop]
    front: |-
      What goes wrong when a training loop never resets the grads?
    back: |-
      Each backward adds onto the last one's grads, so the steps grow with the number of iterations.
  - key: test-order
    type: cloze
    objective: 5
    tags: [backward-pass]
    text: |-
      Backward begins by {{c1::setting the output's grad to 1}}, then visits nodes in
      {{c2::reverse topological order}}, so {{c1::the seed}} reaches every input.
"""


# ---------------------------------------------------------------- helpers


def write_spec(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cards.yaml").write_text(CONCEPTS, encoding="utf-8")
    path = folder / "test-deck.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def open_collection(folder: Path) -> Collection:
    folder.mkdir(parents=True, exist_ok=True)
    return Collection(str(folder / "collection.anki2"))


def import_package(col: Collection, path: Path):
    options = ImportAnkiPackageOptions(update_notes=IF_NEWER, update_notetypes=IF_NEWER, merge_notetypes=True)
    return col.import_anki_package(ImportAnkiPackageRequest(package_path=str(path), options=options))


def cards_of(col: Collection):
    return [col.get_card(cid) for cid in col.find_cards("")]


def shown_values(html: str) -> list[str]:
    return re.findall(r'<span class="answer-value">(.*?)</span>', html)


def number(text: str) -> float:
    return float(text.replace(MINUS, "-"))


def problem_notes(col: Collection) -> dict:
    return {col.get_note(nid)["Id"]: col.get_note(nid) for nid in col.find_notes(f'"note:{deck.PROBLEM_MODEL_NAME}"')}


def on_show(html: str) -> str:
    """A card side without its inert <template> of other variants (nothing in it shows until a script moves it)."""
    return re.sub(r'<template class="bp-variants">.*?</template>', "", html, flags=re.S)


def cloze_count(text: str) -> int:
    return len(set(re.findall(r"\{\{c(\d+)::", text)))


def check_renders(col: Collection) -> int:
    """Every card renders both sides, without template errors, and every picture it shows was imported."""
    media = Path(col.media.dir())
    pictures = 0
    for card in cards_of(col):
        for side in (card.question(), card.answer()):
            body = re.sub(r"<style>.*?</style>", "", side, flags=re.S)
            assert re.sub(r"<[^>]+>", "", body).strip(), f"empty side on card {card.id}"
            assert "{{" not in body and "}}" not in body, body
            assert "no field called" not in body and "front of this card is blank" not in body, body
            for src in re.findall(r'<img src="([^"]+)"', body):
                assert (media / src).is_file(), src
                pictures += 1
    return pictures


UNIT_OPS = {"+", "-", "neg", "relu"}  # local derivative ±1 (or relu's 0): a grad through only these is copied


def chain_paths(problem: dict, start: str) -> list[list[str]]:
    """Every path from `start` up to the output, as the ops it passes (written apart from deck.needs_chain)."""
    users = {}
    for n in problem["nodes"]:
        for inp in set(n["inputs"]):
            users.setdefault(inp, []).append(n)
    if start == problem["output"]:
        return [[]]
    return [[u["op"]] + rest for u in users.get(start, []) for rest in chain_paths(problem, u["name"])]


def takes_the_chain(problem: dict, answer: dict) -> bool:
    if not answer["name"].endswith(".grad"):
        return False
    paths = chain_paths(problem, answer["name"][: -len(".grad")])
    return any(len(path) >= 2 and any(op not in UNIT_OPS for op in path) for path in paths)


def pictures_of(html: str) -> list[tuple[str, str]]:
    """(file, width) of every picture a card side shows."""
    body = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    return re.findall(r'<img src="([^"]+)" width="(\d+)"', body)


def marked_in(svg_path: Path) -> set[str]:
    """The value boxes an SVG picture marks (tinted), by node name, read from the drawn file."""
    root = ET.parse(svg_path).getroot()
    marked = set()
    for g in root.iter(SVG + "g"):
        if g.get("class") == "node" and any(el.get("fill") == draw.HIGHLIGHT_FILL for el in g.iter(SVG + "polygon")):
            marked.add(next(t.text for t in g.iter(SVG + "text")))  # the box's first text is its name
    return marked


def mistake_lines(html: str) -> list[str]:
    """The "If you got X: why" lines a card side shows, as plain text."""
    lists = re.findall(r'<ul class="mistakes">(.*?)</ul>', html, flags=re.S)
    return [unescape(re.sub(r"<[^>]+>", "", li)) for block in lists for li in re.findall(r"<li>(.*?)</li>", block, flags=re.S)]


def step_items(html: str) -> list[str]:
    block = re.search(r'<ol class="steps">(.*?)</ol>', html, flags=re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def check_problem_cards(col: Collection, problems: list[dict], deck_name: str):
    """Each problem: its Id field; a card per asked answer (for expression problems, per answer that takes the
    chain rule) showing that answer, its mistakes and a picture marking it alone; a whole-pass card showing them
    all (unless its one answer is the whole graph) with a picture marking every answer; one picture width on
    every side of every card; tags; and the problem sub-deck."""
    notes = problem_notes(col)
    media = Path(col.media.dir())
    assert set(notes) == {p["id"] for p in problems}
    for p in problems:
        note = notes[p["id"]]
        assert note["Id"] == p["id"]
        assert note["Kind"] == p["kind"] and note["Difficulty"] == p["difficulty"]
        ops = {deck.OP_TAGS.get(n["op"], n["op"]) for n in p["nodes"] if n["op"]}
        own = {f"kind::{p['kind']}", f"difficulty::{p['difficulty']}"} | {f"op::{o}" for o in ops}
        assert own <= set(note.tags) and all(t.startswith("op::") for t in set(note.tags) - own)  # + other variants' ops
        cards = {c.ord: c for c in note.cards()}
        blanks = {n["name"] for n in p["nodes"] if not n.get("constant") and n["name"] != p["output"]}
        whole_pass = len(p["answers"]) > 1 or blanks != {a["name"].removesuffix(".grad") for a in p["answers"]}
        asked = list(range(len(p["answers"])))
        if p["kind"] == "expression" and any(takes_the_chain(p, a) for a in p["answers"]):
            asked = [i for i, a in enumerate(p["answers"]) if takes_the_chain(p, a)]
        assert sorted(cards) == asked + ([PASS_ORD] if whole_pass else [])
        widths = set()
        for i in asked:
            answer, card = p["answers"][i], cards[i]
            front, back = on_show(card.question()), on_show(card.answer())
            assert answer["name"].split(".")[0] in front
            assert "whole backward pass" not in front.lower() and "whole backward pass" not in back.lower()
            assert shown_values(back) == [fmt(answer["value"])]
            assert abs(number(shown_values(back)[0]) - answer["value"]) <= answer["tolerance"]
            assert mistake_lines(back) == [f"If you got {fmt(m['value'])}: {m['why']}" for m in answer.get("mistakes", [])]
            steps = step_items(back)
            assert steps, "no worked steps"
            if answer["name"].endswith(".grad") and p["kind"] != "numeric":
                assert any(re.sub(r"<[^>]+>", "", s).startswith(f"{answer['name']} +=") for s in steps)
            (question_pic, qw), = pictures_of(front)
            (answer_pic, aw), = pictures_of(back)
            widths |= {qw, aw}
            assert marked_in(media / question_pic) == set()
            mark = {answer["name"].rpartition(".")[0]} if "." in answer["name"] else set()
            assert marked_in(media / answer_pic) == mark, (p["id"], answer["name"])
        if whole_pass:
            front, back = on_show(cards[PASS_ORD].question()), on_show(cards[PASS_ORD].answer())
            assert ("Whole backward pass" in front) == all(" " not in a["name"] for a in p["answers"])
            assert shown_values(back) == [fmt(a["value"]) for a in p["answers"]]
            assert len(step_items(back)) == len(p["steps"])
            expected = [
                f"If you got {fmt(m['value'])} for {'new ' + a['name'][:-4] if a['name'].endswith('.new') else a['name']}: {m['why']}"
                for a in p["answers"] for m in a.get("mistakes", [])
            ]
            assert mistake_lines(back) == expected
            (question_pic, qw), = pictures_of(front)
            (answer_pic, aw), = pictures_of(back)
            widths |= {qw, aw}
            assert marked_in(media / answer_pic) == {a["name"].rpartition(".")[0] for a in p["answers"] if "." in a["name"]}
        assert len(widths) == 1, (p["id"], widths)  # no card of a problem shrinks or grows its picture
        for card in cards.values():
            assert col.decks.name(card.did) == deck_name


def check_concept_cards(col: Collection, concepts: list[dict], deck_name: str):
    keys_cards = {"basic": 0, "cloze": 0}
    for c in concepts:
        keys_cards[c["type"]] += 1 if c["type"] == "basic" else cloze_count(c["text"])
    basic = col.find_cards(f'"note:{deck.CONCEPT_MODEL_NAME}"')
    cloze = col.find_cards(f'"note:{deck.CLOZE_MODEL_NAME}"')
    assert len(basic) == keys_cards["basic"]
    assert len(cloze) == keys_cards["cloze"]
    n_notes = len(col.find_notes(f'"note:{deck.CONCEPT_MODEL_NAME}"')) + len(col.find_notes(f'"note:{deck.CLOZE_MODEL_NAME}"'))
    assert n_notes == len(concepts)
    for cid in list(basic) + list(cloze):
        card = col.get_card(cid)
        assert col.decks.name(card.did) == deck_name
        assert any(t.startswith("objective::") for t in card.note().tags)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The small spec built once at T0 and imported into a fresh collection."""
    root = tmp_path_factory.mktemp("small")
    spec_path = write_spec(root / "spec")
    spec = choose(str(spec_path))
    out = root / "out" / "test-deck.apkg"
    out.parent.mkdir()
    summary = deck.build_deck(spec, out, timestamp=T0, variants=1)  # today's notes: one problem each
    col = open_collection(root / "col")
    import_package(col, out)
    yield {"root": root, "spec_path": spec_path, "spec": spec, "out": out, "summary": summary, "col": col}
    col.close()


# ---------------------------------------------------------------- the small deck


def test_every_card_renders_and_shows_imported_pictures(small):
    col, summary = small["col"], small["summary"]
    assert col.card_count() == summary.cards and col.note_count() == summary.notes
    assert check_renders(col) > 0
    imported = {p.name for p in Path(col.media.dir()).iterdir()}
    assert len(imported) == summary.pictures
    assert all(re.fullmatch(r"bp-[0-9a-f]{16}\.svg", name) for name in imported)


def test_answers_match_the_json_answer_key_of_the_same_spec_and_seed(small):
    run = subprocess.run(
        [sys.executable, "-m", "practice", "problems", str(small["spec_path"]), "--seed", str(SEED), "--json"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    )
    problems = json.loads(run.stdout)["problems"]
    assert max(len(p["answers"]) for p in problems) == 7  # the 7th slot is used
    check_problem_cards(small["col"], problems, "Test Practice::Backward passes")
    # the record's mistakes reach the cards: "If you got X: why" under the answers
    shown = [line for c in cards_of(small["col"]) for line in mistake_lines(c.answer())]
    assert sum(len(a["mistakes"]) for p in problems for a in p["answers"]) > 0
    assert any(line.startswith("If you got ") and ": You " in line for line in shown), shown[:3]


def test_concept_cards_tags_and_decks(small):
    col = small["col"]
    concepts = load_concepts(small["spec"].concepts)
    check_concept_cards(col, concepts, "Test Practice::Concepts")
    tanh = col.get_note(col.find_notes("tag:op-tanh")[0])
    assert {"local-derivatives", "op-tanh", "op::tanh", "objective::4"} <= set(tanh.tags)
    assert "\\(1 - o^2\\)" in tanh["Back"]  # MathJax delimiters reach Anki untouched
    names = {d.name for d in col.decks.all_names_and_ids()}
    assert {"Test Practice", "Test Practice::Backward passes", "Test Practice::Concepts"} <= names
    # the same op tag finds both the concept card and the problems that use tanh, when any do
    assert col.find_notes("tag:op::tanh")


def test_guids_come_from_identity_not_content(small):
    col = small["col"]
    problems = problem_set(small["spec"].entries, small["spec"].seed)
    guids = {n.guid for n in problem_notes(col).values()}
    import genanki

    assert guids == {genanki.guid_for(deck.PROBLEM_GUID, p["id"]) for p in problems}
    concept_guids = {col.get_note(nid).guid for nid in col.find_notes(f'-"note:{deck.PROBLEM_MODEL_NAME}"')}
    assert concept_guids == {genanki.guid_for(deck.CONCEPT_GUID, c["key"]) for c in load_concepts(small["spec"].concepts)}
    models = {m["id"]: m["name"] for m in col.models.all()}
    assert models[deck.PROBLEM_MODEL_ID] == deck.PROBLEM_MODEL_NAME
    assert models[deck.CONCEPT_MODEL_ID] == deck.CONCEPT_MODEL_NAME
    assert models[deck.CLOZE_MODEL_ID] == deck.CLOZE_MODEL_NAME


def test_rebuild_updates_in_place_and_a_new_seed_adds_problems(small, tmp_path, monkeypatch):
    spec, summary = small["spec"], small["summary"]
    col = open_collection(tmp_path / "col")
    try:
        import_package(col, small["out"])
        some_id = sorted(problem_notes(col))[0]
        assert problem_notes(col)[some_id].mod == T0

        # Same spec and seed, later timestamp, one template and every question changed: updated, not duplicated.
        edited = tmp_path / "templates"
        shutil.copytree(templates_dir() / "anki", edited / "anki")
        shutil.copytree(templates_dir() / "practice", edited / "practice")  # the typed-answer part the cards include
        back = edited / "anki" / "problem_pass_back.html"
        back.write_text(back.read_text().replace("Worked steps", "Every step"), encoding="utf-8")
        monkeypatch.setattr("practice.resources.templates_dir", lambda: edited)
        deck_fields.clear_caches()
        original = deck_fields.problem_fields

        def changed(*args):
            fields = original(*args)
            fields["Question"] += "<p>(revised)</p>"
            return fields

        monkeypatch.setattr("practice.anki.variants.problem_fields", changed)
        later = tmp_path / "later.apkg"
        deck.build_deck(spec, later, timestamp=T0 + 100, variants=1)
        monkeypatch.undo()
        deck_fields.clear_caches()

        log = import_package(col, later).log
        assert len(log.new) == 0 and len(log.updated) == summary.notes
        assert col.note_count() == summary.notes and col.card_count() == summary.cards
        note = problem_notes(col)[some_id]
        assert note.mod == T0 + 100 and "(revised)" in note["Question"]
        pass_card = next(c for c in note.cards() if c.ord == PASS_ORD)
        assert "Every step" in pass_card.answer()

        # An older package never overwrites a newer note.
        import_package(col, small["out"])
        assert problem_notes(col)[some_id].mod == T0 + 100

        # A new seed: new problem notes; the concept notes stay single.
        other = tmp_path / "other.apkg"
        deck.build_deck(choose(str(small["spec_path"]), seed=SEED + 1), other, timestamp=T0 + 200, variants=1)
        import_package(col, other)
        assert len(problem_notes(col)) == 2 * summary.problems
        assert col.note_count() == 2 * summary.problems + summary.concepts
        check_renders(col)
    finally:
        col.close()


def test_png_pictures(small, tmp_path):
    spec = choose(str(small["spec_path"]))
    spec.entries = spec.entries[:2]
    out = tmp_path / "png.apkg"
    summary = deck.build_deck(spec, out, image_format="png", timestamp=T0, variants=2)
    with zipfile.ZipFile(out) as zf:
        names = json.loads(zf.read("media")).values()
        assert names and all(n.endswith(".png") for n in names)
        assert all(zf.read(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in json.loads(zf.read("media")))
    col = open_collection(tmp_path / "col")
    try:
        import_package(col, out)
        assert check_renders(col) > 0 and col.card_count() == summary.cards
    finally:
        col.close()


def test_same_input_same_bytes(small, tmp_path):
    a, b = tmp_path / "a.apkg", tmp_path / "b.apkg"
    deck.build_deck(small["spec"], a, timestamp=T0, variants=2)
    deck.build_deck(small["spec"], b, timestamp=T0, progress=True, variants=2)
    assert a.read_bytes() == b.read_bytes()


# ---------------------------------------------------------------- failures leave nothing behind


def test_a_failure_or_ctrl_c_keeps_the_old_file_and_leaves_no_temp(small, tmp_path, monkeypatch):
    out = tmp_path / "deck.apkg"
    out.write_bytes(b"the previous deck")
    for exc in (OSError("disk full"), KeyboardInterrupt()):

        def broken(writer, exc=exc):
            Path(writer.path).write_bytes(b"half a zip")
            raise exc

        monkeypatch.setattr(deck_package.PackageWriter, "finish", broken)
        with pytest.raises(type(exc)):
            deck.build_deck(small["spec"], out, timestamp=T0, variants=1)
        assert out.read_bytes() == b"the previous deck"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["deck.apkg"]


def test_too_many_answers_is_refused():
    problem = {
        "id": "x", "kind": "expression", "difficulty": "easy", "question": "find it.", "output": "L",
        "nodes": [{"name": "L", "op": None, "inputs": [], "data": 1.0, "grad": 1.0}],
        "answers": [{"name": f"a{i}.grad", "value": 1.0, "tolerance": 0.001} for i in range(deck.MAX_ANSWERS + 1)],
        "steps": [],
    }
    with pytest.raises(UserError, match="room for 8"):
        deck_fields.problem_fields(problem, None)


def cli(*args, cwd, env=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_no_dot_is_one_line_and_writes_nothing(tmp_path):
    empty_bin, work = tmp_path / "bin", tmp_path / "work"
    empty_bin.mkdir()
    work.mkdir()
    run = cli("deck", cwd=work, env={"PATH": str(empty_bin)})
    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Graphviz" in lines[0], run.stderr
    assert list(work.iterdir()) == []


def test_missing_output_folder_and_bad_options_are_one_line(tmp_path):
    for args in (
        ("deck", "-o", str(tmp_path / "nowhere" / "x.apkg")),
        ("deck", "-o", str(tmp_path / "x.zip")),
        ("deck", "--seed", "-1"),
        ("deck", "no-such-spec"),
        ("deck", "--image-format", "gif"),
    ):
        run = cli(*args, cwd=tmp_path)
        lines = run.stderr.strip().splitlines()
        assert run.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), (args, run.stderr)
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the bundled lesson deck, once


def test_default_build_is_the_lesson_deck(tmp_path):
    run = cli("deck", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "micrograd.apkg"
    assert out.is_file() and [p.name for p in tmp_path.iterdir()] == ["micrograd.apkg"]
    line = run.stdout.strip()
    m = re.fullmatch(
        r"wrote micrograd\.apkg: (\d+) notes \((\d+) problems, 8 variants each, (\d+) concepts\), (\d+) cards, (\d+) pictures \(svg\), "
        r"[\d.]+ [kM]B in [\d.]+ s",
        line,
    )
    assert m, line
    notes, n_problems, n_concepts, n_cards, n_pictures = map(int, m.groups())

    spec = choose(None)
    problems = problem_set(spec.entries, spec.seed)
    concepts = load_concepts(default_concepts_path())
    assert len(concepts) >= 30
    assert (n_problems, n_concepts, notes) == (len(problems), len(concepts), len(problems) + len(concepts))

    col = open_collection(tmp_path / "col")
    try:
        import_package(col, out)
        assert col.note_count() == notes and col.card_count() == n_cards
        assert len(list(Path(col.media.dir()).iterdir())) == n_pictures
        check_renders(col)
        check_problem_cards(col, problems, "Backprop Practice::Backward passes")
        check_concept_cards(col, concepts, "Backprop Practice::Concepts")
        # every note holds the default 8 variants, each the record `problems --variants 8 --json` prints
        from variant_deck import check_note, exercises_json

        notes = problem_notes(col)
        exercises = exercises_json(ROOT / "decks" / "micrograd.yaml", 8)
        assert [e[0] for e in exercises] == [dict(p, exercise=p["id"], variant=1) for p in problems]
        assert sum(check_note(notes[e[0]["id"]], e, Path(col.media.dir())) for e in exercises) > 8 * len(problems)
        media = col.media.check()
        assert list(media.missing) == [] and list(media.unused) == []
    finally:
        col.close()


# ---------------------------------------------------------------- the cards as a learner sees them, in Chromium


CARD_PAGE = """<!doctype html><html><head><meta charset="utf-8"><base href="{base}/">
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body class="card card{ord}{night}">{html}</body></html>"""

LAYOUT_JS = """night => {
  document.body.classList.toggle('nightMode', night);  // as Anki desktop switches its theme
  const r = e => e.getBoundingClientRect();
  const img = document.querySelector('.picture img');
  const first = document.querySelector('.problem, .concept');
  const ol = document.querySelector('ol.steps');
  let marker = null;
  if (ol) {  // the widest step number against the room the list leaves for it
    const ctx = document.createElement('canvas').getContext('2d');
    const cs = getComputedStyle(ol);
    ctx.font = cs.fontSize + ' ' + cs.fontFamily;
    const n = ol.querySelectorAll(':scope > li').length;
    marker = {need: ctx.measureText(n + '. ').width, room: parseFloat(cs.paddingLeft), count: n};
  }
  const bg = getComputedStyle(document.body).backgroundColor;
  return {
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    img: img ? r(img).width : null, natural: img ? img.naturalWidth : null, loaded: img ? img.complete : null,
    left: r(first).left, right: window.innerWidth - r(first).right, top: r(first).top,
    marker, bg, picture: img ? getComputedStyle(img.parentElement).backgroundColor : null,
  };
}"""


def luminance(css_colour: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css_colour)[:3])
    return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255


def test_cards_read_well_on_a_phone_and_a_desktop_by_day_and_night(small, tmp_path):
    """Every card of the imported deck, both sides, in Chromium at 390 and 1280 px, light and night (Anki's
    nightMode class): nothing runs off the side (long code wraps), the picture keeps one width when the card
    turns, step numbers of two digits fit, the card keeps clear of the screen's edges, night mode is dark
    while pictures keep their white ground. Each side is loaded once and then laid out at each width, by day
    and by night (the class set on its body, as Anki desktop does), as a phone turned or a reviewer's theme
    switched lays it out again."""
    from playwright.sync_api import sync_playwright

    from browser import launch

    col = small["col"]
    base = Path(col.media.dir()).as_uri()
    sides = []
    for card in cards_of(col):
        sides.append((card, "q", card.question()))
        sides.append((card, "a", card.answer()))
    looks = [(width, night) for width in (390, 1280) for night in ("", " nightMode")]
    widths = {look: {} for look in looks}
    most_steps = {look: 0 for look in looks}
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 900})
            for card, side, html in sides:
                path = tmp_path / f"{card.id}-{side}.html"
                path.write_text(CARD_PAGE.format(base=base, ord=card.ord + 1, night="", html=html), encoding="utf-8")
                page.goto(path.as_uri())
                for width, night in looks:
                    if page.viewport_size["width"] != width:
                        page.set_viewport_size({"width": width, "height": 900})
                    m = page.evaluate(LAYOUT_JS, bool(night))
                    where = (width, night, card.note()["Id"] if "Id" in card.note() else card.nid, card.ord, side)
                    assert m["scroll"] <= m["inner"], where  # no sideways scrolling
                    assert m["left"] >= 10 and m["right"] >= 10 and m["top"] >= 10, (where, m)
                    if m["img"] is not None:
                        assert m["loaded"] and m["natural"] > 0, where
                        widths[width, night].setdefault(card.nid, set()).add(round(m["img"], 1))
                        assert luminance(m["picture"]) > 0.95, where  # pictures keep a white ground
                    if m["marker"]:
                        assert m["marker"]["need"] + 2 <= m["marker"]["room"], (where, m["marker"])
                        most_steps[width, night] = max(most_steps[width, night], m["marker"]["count"])
                    assert (luminance(m["bg"]) < 0.2) == bool(night), (where, m["bg"])
            page.close()
        finally:
            browser.close()
    for look in looks:
        assert all(len(w) == 1 for w in widths[look].values()), (look, widths[look])  # no jump when a card turns
        assert most_steps[look] >= 10, look


def test_card_css_wraps_code_and_leaves_room():
    css = (templates_dir() / "anki" / "cards.css").read_text(encoding="utf-8")
    assert "nowrap" not in css
    assert re.search(r"\.card \{[^}]*padding: 14px", css)


def test_the_writers_quick_html_check_finds_whatever_genankis_would(tmp_path):
    """PackageWriter runs genanki's invalid-tag check (and its warning) only on a note where a quicker pattern
    finds something: the quicker one must find every field genanki's finds, over many strings of tag-like text."""
    import random

    import genanki

    theirs = genanki.Note._INVALID_HTML_TAG_RE
    pieces = ["<", ">", "/", " ", "a", "B7", "\n", "!--", "![CDATA[", "<b>", "</li>", "<img src=x>", "<1 2>", "−", "x"]
    rng = random.Random(7)
    found = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        if theirs.findall(text):
            found += 1
            assert deck_package._MAYBE_INVALID_TAG.search(text), text
    assert found > 1000
    with pytest.warns(UserWarning):  # a note with an invalid tag still gets genanki's warning
        note = genanki.Note(model=genanki.BASIC_MODEL, fields=["<b>ok</b>", "if a < b, then b > a"])
        with deck_package.PackageWriter(tmp_path / "w.apkg", T0) as writer:
            writer.add_note(genanki.Deck(1, "d"), note)
