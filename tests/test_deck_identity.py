"""A deck holds the very notes, cards and pictures it held before the deck was made faster (issue 19).

The deck may get faster, never different: every note's fields, tags, guid and note type, every card, the deck
and note type JSON and every media file's bytes are the same. Three checks:

- the bundled specs' decks (SVG, their default variants) and the small spec of test_deck.py in PNG hash to
  the digests below, recorded from the code before the speed work (the .apkg's bytes may differ: the zip holds
  a collection SQLite lays out its own way; what it holds may not). The pictures come from Graphviz `dot`, so
  the digests are those of this machine's dot (2.43); only a deliberate change to the deck may update them,
  and its commit says so;
- the collection holds exactly the rows genanki's own Deck.write_to_db and Note.write_to_db write for the
  same notes, in a collection of genanki's own;
- the required fields the deck's note types carry are genanki's own Model._req.
"""

import hashlib
import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest

from practice.anki import deck, models
from practice.anki import package as deck_package
from practice.spec import choose
from test_deck import T0, write_spec

DIGESTS = {
    ("micrograd", "svg"): "c080f17c705c1eec18812c45684df23992f42cdee6fedae66f6e254a7f7f27e5",
    ("training", "svg"): "583f7e499e525895c8ddd0eb78a257f0850b09f20fa81919999435670a9e3ef6",
    ("test_deck small", "png"): "1b7d4688bf3878f12fb36b929c7311a493f81dc364029e8714bbc2e62fe4482d",
}


def tables(db: bytes) -> dict:
    """Every row of every table of a collection, in rowid order."""
    with sqlite3.connect(":memory:") as conn:
        conn.deserialize(db)
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(f"SELECT * FROM {n} ORDER BY rowid").fetchall() for n in names}


def content_digest(path: Path) -> str:
    """sha256 of what a learner's Anki imports from the .apkg: the collection's rows, the media map and, in the
    zip's order, every media file's name and bytes."""
    h = hashlib.sha256()
    with zipfile.ZipFile(path) as zf:
        media = json.loads(zf.read("media"))
        h.update(json.dumps(tables(zf.read("collection.anki2")), sort_keys=True).encode())
        h.update(json.dumps(media, sort_keys=True).encode())
        for number in sorted(media, key=int):
            h.update(media[number].encode() + b"\0" + hashlib.sha256(zf.read(number)).digest())
    return h.hexdigest()


def build(which: str, fmt: str, folder: Path) -> Path:
    if which == "test_deck small":
        spec, variants = choose(str(write_spec(folder / "spec"))), 2
    else:
        spec, variants = choose(which), None
    out = folder / f"{which.replace(' ', '-')}-{fmt}.apkg"
    deck.build_deck(spec, out, fmt, timestamp=T0, variants=variants)
    return out


@pytest.mark.parametrize("which, fmt", list(DIGESTS))
def test_the_deck_holds_what_it_held(which, fmt, tmp_path):
    assert content_digest(build(which, fmt, tmp_path)) == DIGESTS[(which, fmt)]


def test_the_collection_is_what_genanki_writes(tmp_path, monkeypatch):
    """The writer's rows against genanki's own Deck.write_to_db and Note.write_to_db for the same decks and
    notes, in the order the build hands them over (concept notes, cloze notes, several variants: all kinds)."""
    calls = []
    add_deck, add_note = deck_package.PackageWriter.add_deck, deck_package.PackageWriter.add_note
    monkeypatch.setattr(deck_package.PackageWriter, "add_deck", lambda w, d: (calls.append(("deck", d)), add_deck(w, d)))
    monkeypatch.setattr(deck_package.PackageWriter, "add_note",
                        lambda w, d, n: (calls.append(("note", d, n)), add_note(w, d, n)))
    out = build("test_deck small", "svg", tmp_path)
    assert any(c[0] == "note" and c[2].model.model_type == genanki.Model.CLOZE for c in calls)

    from genanki.apkg_col import APKG_COL
    from genanki.apkg_schema import APKG_SCHEMA
    import itertools

    theirs = sqlite3.connect(tmp_path / "genanki.anki2")
    cursor = theirs.cursor()
    cursor.executescript(APKG_SCHEMA)
    cursor.executescript(APKG_COL)
    ids = itertools.count(int(T0 * 1000))
    for call in calls:
        if call[0] == "deck":
            call[1].write_to_db(cursor, T0, ids)
        else:
            call[2].write_to_db(cursor, T0, call[1].deck_id, ids)
    theirs.commit()
    with zipfile.ZipFile(out) as zf:
        ours = tables(zf.read("collection.anki2"))
    expected = tables(theirs.serialize())
    theirs.close()
    assert ours.keys() == expected.keys()
    for name in expected:
        assert ours[name] == expected[name], name
    assert len(ours["notes"]) > 3 and len(ours["cards"]) > len(ours["notes"])


def test_required_fields_are_genankis():
    for model in models.models():
        fresh = genanki.Model(model.model_id, model.name, fields=model.fields, templates=model.templates,
                              css=model.css, model_type=model.model_type)
        assert model._req == fresh._req, model.name
