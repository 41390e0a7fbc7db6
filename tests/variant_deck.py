"""Decks with variants for the tests: one built deck shared by the test modules that read it (built once per
test run, in a temporary folder), and the check of a note's every variant against its record."""

import atexit
import json
import re
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from html import unescape
from pathlib import Path

from practice.anki import deck
from practice.anki.cards import card_answers, wants_pass_card
from practice.equivalence import structure
from practice.numbers import fmt

ROOT = Path(__file__).resolve().parent.parent
T0 = 1_700_000_000
N = 8  # the default: what learners get
SPEC = """\
title: Variant test
seed: 41
deck:
  name: Variant Practice
problems:
  - {kind: local, difficulty: hard, count: 1}
  - {kind: expression, difficulty: medium, count: 1}
  - {kind: neuron, difficulty: hard, count: 1}
  - {kind: accumulate, difficulty: easy, count: 1}
  - {kind: step, difficulty: medium, count: 1}
  - {kind: numeric, difficulty: easy, count: 1}
  - {kind: zero_grad, difficulty: medium, count: 1}
"""


def exercises_json(spec_path: Path, n: int, seed: int | None = None) -> list[list[dict]]:
    """`problems SPEC --variants n --json`, as the CLI prints it, grouped into exercises."""
    args = [sys.executable, "-m", "practice", "problems", str(spec_path), "--variants", str(n), "--json"]
    if seed is not None:
        args += ["--seed", str(seed)]
    records = json.loads(subprocess.run(args, capture_output=True, text=True, cwd=ROOT, check=True).stdout)["problems"]
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(r.get("exercise", r["id"]), []).append(r)
    return list(groups.values())


@lru_cache(maxsize=None)
def shared_deck() -> dict:
    """SPEC built at N variants and imported into a fresh collection, once per test run."""
    from anki.collection import Collection, ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from practice.spec import choose

    root = Path(tempfile.mkdtemp(prefix="bp-variants-"))
    atexit.register(shutil.rmtree, root, True)
    spec_path = root / "variants.yaml"
    spec_path.write_text(SPEC, encoding="utf-8")
    spec = choose(str(spec_path))
    out = root / "variants.apkg"
    summary = deck.build_deck(spec, out, timestamp=T0, variants=N)
    (root / "col").mkdir()
    col = Collection(str(root / "col" / "collection.anki2"))
    col.import_anki_package(ImportAnkiPackageRequest(package_path=str(out), options=ImportAnkiPackageOptions()))
    atexit.register(col.close)
    exercises = exercises_json(spec_path, N)
    notes = {col.get_note(nid)["Id"]: col.get_note(nid) for nid in col.find_notes(f'"note:{deck.PROBLEM_MODEL_NAME}"')}
    cards = {}
    for cid in col.find_cards(f'"note:{deck.PROBLEM_MODEL_NAME}"'):
        card = col.get_card(cid)
        cards.setdefault(card.note()["Id"], []).append(card)
    return {"root": root, "spec_path": spec_path, "spec": spec, "out": out, "summary": summary, "col": col,
            "exercises": exercises, "notes": notes, "cards": cards, "media": Path(col.media.dir())}


# ---------------------------------------------------------------- a note's variants


def variant_parts(note) -> dict[int, dict[str, str]]:
    """{k: {field name: HTML}} of every variant a note holds: 1 from its own fields, 2..N from Variants."""
    from practice.anki.fields import VARIANT_FIELDS

    parts = {1: {name: note[name] for name in VARIANT_FIELDS if note[name]}}
    text = note["Variants"]
    for m in re.finditer(r'<div class="bp-variant" data-variant="(\d+)">', text):
        body, fields, i = _balanced(text, m.end()), {}, 0
        while (f := re.compile(r'<div data-field="([A-Za-z0-9]+)">').match(body, i)):
            fields[f.group(1)] = _balanced(body, f.end())
            i = f.end() + len(fields[f.group(1)]) + len("</div>")
        assert i == len(body), body[i:i + 80]
        parts[int(m.group(1))] = fields
    return parts


def _balanced(text: str, start: int) -> str:
    """The HTML from `start` up to the </div> that closes the div opened just before it."""
    depth, i = 1, start
    tags = re.compile(r"<(/?)div\b[^>]*>")
    while True:
        m = tags.search(text, i)
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return text[start:m.start()]
        i = m.end()


NUMBER = re.compile(r"[−-]?\d+(?:\.\d+)?")


def numbers_in(text: str) -> set[str]:
    return set(NUMBER.findall(text))


def setup_numbers(record: dict) -> set[str]:
    """The numbers a problem's setup states (its question less the rounding rule): what tells variants apart."""
    lines = record["question"].removesuffix(record.get("rounding", "")).split("\n")
    return numbers_in("\n".join(line for line in lines if not line.startswith("find ")))  # "find" is each card's


def question_html(record: dict) -> str:
    """The Question field a record makes (its setup, less the "find" line each card asks apart)."""
    from practice.anki.cards import question_parts
    from practice.anki.fields import field

    blocks, _ = question_parts(record["question"], record.get("rounding", ""))
    return field("question", blocks, record.get("rounding", ""))


def grading_docs(note) -> list[dict]:
    """The typed answers' grading data of every variant: Grading, then VariantGrading's list."""
    docs = [json.loads(note["Grading"])]
    if note["Variants"]:
        docs += json.loads(note["VariantGrading"])
    return docs


def check_note(note, exercise: list[dict], media: Path) -> int:
    """Every variant of a note is its record: id, question, answers with their mistakes, worked steps, pictures
    (the question's marks nothing, an answer's marks its node) and grading data; all of one structure.
    Returns the number of pictures the variants reference."""
    from test_deck import marked_in, mistake_lines, shown_values, step_items

    n = len(exercise)
    assert note["VariantCount"] == str(n)
    assert bool(note["Variants"]) == (n > 1)
    parts, docs = variant_parts(note), grading_docs(note)
    assert sorted(parts) == list(range(1, n + 1)) and len(docs) == n
    slots, whole = card_answers(exercise[0]), wants_pass_card(exercise[0])
    assert len({p["id"] for p in exercise}) == n and len({p["question"] for p in exercise}) == n
    ops = {deck.OP_TAGS.get(n["op"], n["op"]) for p in exercise for n in p["nodes"] if n["op"]}
    assert set(note.tags) == {f"kind::{exercise[0]['kind']}", f"difficulty::{exercise[0]['difficulty']}"} | {f"op::{o}" for o in ops}
    pictures = 0
    for k, (record, fields, doc) in enumerate(zip(exercise, parts.values(), docs), start=1):
        where = (exercise[0]["id"], k)
        assert record.get("variant", 1) == k and record.get("exercise", record["id"]) == exercise[0]["id"]
        assert structure(record)[:5] == structure(exercise[0])[:5], where
        assert fields["Id"] == record["id"]
        assert fields["Question"] == question_html(record), where  # this variant's setup, in this variant's place
        assert shown_values(fields["Answer"]) == [fmt(a["value"]) for a in record["answers"]], where
        assert len(step_items(fields["Steps"])) == len(record["steps"]), where
        assert bool(fields.get("Pass")) == whole
        (question_pic,) = re.findall(r'<img src="([^"]+)"', fields["QuestionPicture"])
        assert marked_in(media / question_pic) == set(), where
        (all_pic,) = re.findall(r'<img src="([^"]+)"', fields["AnswerPicture"])
        assert (media / all_pic).is_file()
        pictures += 2
        for i, (answer, on) in enumerate(zip(record["answers"], slots), start=1):
            assert bool(fields.get(f"Ask{i}")) == on, where
            if not on:
                continue
            assert answer["name"].split(".")[0] in fields[f"Ask{i}"], where
            assert shown_values(fields[f"Answer{i}"]) == [fmt(answer["value"])], where
            assert mistake_lines(fields[f"Answer{i}"]) == [f"If you got {fmt(m['value'])}: {m['why']}" for m in answer["mistakes"]]
            assert step_items(fields[f"Steps{i}"]), where
            (pic,) = re.findall(r'<img src="([^"]+)"', fields[f"AnswerPicture{i}"])
            if re.fullmatch(r"\w+\.(grad|new)", answer["name"]):  # (training kinds' pictures: test_training_kinds)
                assert marked_in(media / pic) == {answer["name"].rpartition(".")[0]}, (where, answer["name"])
            assert (media / pic).is_file()
            pictures += 1
        assert doc["id"] == record["id"]
        for a, shown in zip(record["answers"], doc["answers"], strict=True):
            assert (shown["name"], shown["value"], shown["tolerance"]) == (a["name"], a["value"], a["tolerance"])
            assert shown["mistakes"] == a["mistakes"]
    return pictures
