"""Variants in the Anki deck and in the JSON: every note holds N variants of one exercise, each a whole record
checked like any problem; imported into a real collection with the official `anki` package (Check Media and
Check Database clean; GUIDs and review history kept across rebuilds and across N); the spec key and the
command-line options; `problems --variants N`."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import genanki
import pytest
from anki.collection import Collection

from oracle import central_difference, torch_pass
from practice.anki import deck
from practice.exercises import MAX_VARIANTS, exercise_set
from practice.kinds import DIFFICULTIES
from practice.spec import MAX_VARIANTS as SPEC_MAX_VARIANTS
from practice.spec import choose
from test_deck import import_package, open_collection, problem_notes
from test_grading import calculator, changed_answers, figures4, learner_answers, places4
from variant_deck import N, ROOT, T0, check_note, exercises_json, shared_deck

SMALL = """\
title: Two exercises
seed: 3
problems:
  - {kind: expression, difficulty: easy, count: 1}
  - {kind: neuron, difficulty: medium, count: 1}
"""


def cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "practice", *args], capture_output=True, text=True, cwd=cwd)


def test_every_variant_of_every_note_is_its_record():
    """Each note's N variants, read from the imported note's fields, against `problems --variants N --json`
    of the same spec and seed: the same problems, in the same notes, in the same order."""
    d = shared_deck()
    assert [len(e) for e in d["exercises"]] == [N] * d["spec"].total
    assert set(d["notes"]) == {e[0]["id"] for e in d["exercises"]}
    pictures = sum(check_note(d["notes"][e[0]["id"]], e, d["media"]) for e in d["exercises"])
    assert pictures >= N * d["spec"].total * 3
    assert d["summary"].variants == N and d["summary"].problems == d["spec"].total


def test_check_media_and_check_database_are_clean():
    """Every variant's pictures are referenced from the note's fields: Anki's Check Media finds nothing missing
    and nothing unused (a picture only a script names would be unused, and deleted), and Check Database finds
    nothing to fix."""
    d = shared_deck()
    col = d["col"]
    media = col.media.check()
    assert list(media.missing) == [] and list(media.unused) == []
    assert len(list(d["media"].iterdir())) == d["summary"].pictures
    report, ok = col.fix_integrity()
    assert ok, report
    assert "Database rebuilt and optimized" in report or report.strip() == "" or "No problems found" in report, report


def test_guids_and_review_history_survive_rebuilds_and_other_counts(tmp_path):
    """A note's GUID is variant 1's problem id, whatever N; the same spec and seed rebuilt is the same bytes;
    a deck with 3 variants imported over today's (N = 1) updates every note in place and keeps the cards'
    schedule and review log; going back to N = 1 empties the variant fields again."""
    spec_path = tmp_path / "small.yaml"
    spec_path.write_text(SMALL, encoding="utf-8")
    spec = choose(str(spec_path))
    one, three, again = tmp_path / "one.apkg", tmp_path / "three.apkg", tmp_path / "again.apkg"
    deck.build_deck(spec, one, timestamp=T0, variants=1)
    deck.build_deck(spec, three, timestamp=T0 + 100, variants=3)
    deck.build_deck(spec, again, timestamp=T0 + 100, variants=3)
    assert three.read_bytes() == again.read_bytes()
    firsts = [e[0]["id"] for e in exercise_set(spec.entries, spec.seed, 3)]
    col = open_collection(tmp_path / "col")
    try:
        import_package(col, one)
        notes = problem_notes(col)
        assert {n.guid for n in notes.values()} == {genanki.guid_for(deck.PROBLEM_GUID, i) for i in firsts}
        assert all(n["Variants"] == "" and n["VariantCount"] == "1" for n in notes.values())
        col.decks.select(col.decks.id_for_name("Backprop Practice::Backward passes"))
        card = col.sched.getCard()
        col.sched.answerCard(card, 3)  # Good: a review the learner's history keeps
        reviewed = col.get_card(card.id)
        history = col.db.scalar("select count() from revlog where cid = ?", card.id)
        assert history == 1
        before = {n.guid: [c.id for c in n.cards()] for n in notes.values()}

        log = import_package(col, three).log
        assert len(log.new) == 0 and len(log.updated) == len(firsts)
        notes = problem_notes(col)
        assert {n.guid: [c.id for c in n.cards()] for n in notes.values()} == before
        assert all(n["VariantCount"] == "3" and n["Variants"] for n in notes.values())
        after = col.get_card(card.id)
        assert (after.type, after.queue, after.due, after.ivl, after.reps) == (
            reviewed.type, reviewed.queue, reviewed.due, reviewed.ivl, reviewed.reps)
        assert col.db.scalar("select count() from revlog where cid = ?", card.id) == 1

        back = tmp_path / "back.apkg"
        deck.build_deck(spec, back, timestamp=T0 + 200, variants=1)
        import_package(col, back)
        assert all(n["Variants"] == "" and n["VariantCount"] == "1" for n in problem_notes(col).values())
        assert col.media.check().missing == []
    finally:
        col.close()


GRAPH_KINDS = ("local", "expression", "neuron", "accumulate", "loss", "step", "numeric")


@pytest.fixture(scope="module")
def sampled():
    """Variants 2 and 3 of an exercise of every graph kind and difficulty, made as the deck makes them."""
    entries = [{"kind": k, "difficulty": d, "count": 1, "index": i}
               for i, (k, d) in enumerate((k, d) for k in GRAPH_KINDS for d in DIFFICULTIES)]
    return [p for e in exercise_set(entries, 77, 3) for p in e[1:]]


def test_sampled_variants_match_pytorch_and_finite_differences(sampled):
    for p in sampled:
        oracle = torch_pass(p)
        for n in p["nodes"]:
            data, grad = oracle[n["name"]]
            assert math.isclose(n["data"], data, rel_tol=1e-9, abs_tol=1e-9), (p["id"], n["name"])
            assert math.isclose(n["grad"], grad, rel_tol=1e-9, abs_tol=1e-9), (p["id"], n["name"])
            if n["op"] is None and not n.get("constant"):
                estimate = central_difference(p, n["name"])
                assert math.isclose(n["grad"], estimate, rel_tol=1e-5, abs_tol=1e-5), (p["id"], n["name"])


def test_sampled_variants_grade_like_any_problem(sampled):
    """The grading simulations of test_grading on the variants: careful rounding learners are right, every
    catalogued mistake is wrong, and each listed mistake's value is what that mistake gives."""
    for p in sampled:
        for rounding in (places4, figures4):
            got = learner_answers(p, rounding)
            for a in p["answers"]:
                assert abs(got[a["name"]] - a["value"]) <= a["tolerance"], (p["id"], a["name"], rounding.__name__)
        for a, bend, v in changed_answers(p):
            assert abs(v - a["value"]) > a["tolerance"], (p["id"], a["name"], bend)
        for a in p["answers"]:
            for m in a["mistakes"]:
                expected = learner_answers(p, calculator, m["name"])[a["name"]]
                assert math.isclose(m["value"], expected, rel_tol=1e-9, abs_tol=1e-9), (p["id"], a["name"], m)


# ---------------------------------------------------------------- the spec key and the options


def test_the_spec_key_sets_n_and_the_option_overrides_it(tmp_path):
    assert SPEC_MAX_VARIANTS == MAX_VARIANTS == 32
    spec_path = tmp_path / "two.yaml"
    spec_path.write_text(SMALL.replace("problems:", "deck: {variants: 2}\nproblems:"), encoding="utf-8")
    spec = choose(str(spec_path))
    spec.entries = spec.entries[:1]
    summary = deck.build_deck(spec, tmp_path / "two.apkg", timestamp=T0)
    assert summary.variants == 2
    col = Collection(str(tmp_path / "collection.anki2"))
    try:
        import_package(col, tmp_path / "two.apkg")
        (note,) = problem_notes(col).values()
        assert note["VariantCount"] == "2"
    finally:
        col.close()
    one_entry = tmp_path / "one.yaml"
    one_entry.write_text(SMALL.replace("problems:", "deck: {variants: 2}\nproblems:").rsplit("\n  - {kind: neuron", 1)[0] + "\n",
                         encoding="utf-8")
    run = cli("deck", str(one_entry), "--variants", "1", "-o", str(tmp_path / "cli.apkg"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(r"wrote \S+cli\.apkg: 1 notes \(1 problems, 0 concepts\), \d+ cards, \d+ pictures \(svg\), "
                        r"\d+ kB in [\d.]+ s", run.stdout.strip()), run.stdout
    run = cli("deck", str(one_entry), "-o", str(tmp_path / "spec.apkg"), cwd=tmp_path)
    assert ", 2 variants each, " in run.stdout, run.stdout


@pytest.mark.parametrize("value,message", [
    ("0", "deck.variants must be from 1 to 32, not 0"),
    ("33", "deck.variants must be from 1 to 32, not 33"),
    ("eight", "deck.variants must be a whole number from 1 to 32, not 'eight'"),
    ("true", "deck.variants must be a whole number from 1 to 32, not True"),
    ("2.5", "deck.variants must be a whole number from 1 to 32, not 2.5"),
])
def test_a_bad_spec_value_is_one_line_naming_the_key_and_line(tmp_path, value, message):
    spec_path = tmp_path / "bad.yaml"
    spec_path.write_text(f"title: Bad\ndeck:\n  name: X\n  variants: {value}\nproblems:\n  - {{kind: local}}\n", encoding="utf-8")
    run = cli("deck", str(spec_path), "-o", str(tmp_path / "x.apkg"), cwd=tmp_path)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1, run.stderr
    assert lines[0] == f"error: {spec_path}, line 4: {message}", lines[0]
    assert [p.name for p in tmp_path.iterdir()] == ["bad.yaml"]


@pytest.mark.parametrize("args", [("deck", "--variants", "0"), ("deck", "--variants", "33"), ("deck", "--variants", "x"),
                                  ("problems", "--variants", "0"), ("problems", "--variants", "33")])
def test_a_bad_option_is_one_line(tmp_path, args):
    run = cli(*args, cwd=tmp_path)
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2 and len(lines) == 1 and "--variants" in lines[0] and "32" in lines[0], run.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- the JSON and the text


def test_problems_json_with_variants(tmp_path):
    """--variants 1 is today's output, byte for byte; with N each exercise's N variants follow each other,
    variant 1 being today's record with "exercise" and "variant" after "seed", and the others whole records
    of the same exercise under their own ids."""
    spec_path = tmp_path / "small.yaml"
    spec_path.write_text(SMALL, encoding="utf-8")
    plain = cli("problems", str(spec_path), "--json").stdout
    assert cli("problems", str(spec_path), "--json", "--variants", "1").stdout == plain
    today = json.loads(plain)["problems"]
    exercises = exercises_json(spec_path, 4)
    assert [len(e) for e in exercises] == [4, 4]
    for record, exercise in zip(today, exercises):
        first = exercise[0]
        keys = list(first)
        assert keys[keys.index("seed") + 1: keys.index("seed") + 3] == ["exercise", "variant"]
        assert {k: v for k, v in first.items() if k not in ("exercise", "variant")} == record
        assert [p["variant"] for p in exercise] == [1, 2, 3, 4]
        assert {p["exercise"] for p in exercise} == {record["id"]}
        assert len({p["id"] for p in exercise}) == 4
        assert all(list(p)[:4] == ["id", "seed", "exercise", "variant"] for p in exercise)
    text = cli("problems", str(spec_path), "--variants", "2").stdout
    headers = re.findall(r"^Problem .*$", text, flags=re.M)
    assert [h.split(" · ")[:2] for h in headers] == [
        ["Problem 1 of 2", "numbers set 1 of 2"], ["Problem 1 of 2", "numbers set 2 of 2"],
        ["Problem 2 of 2", "numbers set 1 of 2"], ["Problem 2 of 2", "numbers set 2 of 2"]]
    assert cli("problems", str(spec_path), "--variants", "1").stdout == cli("problems", str(spec_path)).stdout
