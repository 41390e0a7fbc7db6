"""The .apkg file: a collection and its media, zipped the same way for the same input."""

import hashlib
import json
import re
import time
from pathlib import Path

from .zipwrite import ZipWriter


def stable_id(*parts) -> int:
    """A deck ID from its name: the same name always gives the same ID (above Anki's small built-in IDs)."""
    digest = hashlib.sha256(":".join(("backprop-practice",) + tuple(map(str, parts))).encode()).digest()
    return (1 << 40) + int.from_bytes(digest[:6], "big") % (1 << 50)


def zip_time(timestamp: float) -> tuple:
    return max(time.gmtime(timestamp)[:6], (1980, 1, 1, 0, 0, 0))


# Where genanki's Note._INVALID_HTML_TAG_RE can match: a "<" that does not start a valid tag by its look-ahead
# `/?[a-zA-Z0-9]+(?: .*|/?)>|!--|!\[CDATA\[`. ` [^>\n\x1f]*>` holds where ` .*>` does (a ">" later on the line),
# without running to the line's end and back from every tag: genanki's check cost more than the notes' rows, and
# is run only for a note where this finds something. It stops at \x1f, Anki's field separator, too: one search
# of a note's fields joined (its flds column) finds a "<" wherever a search of each field would.
_MAYBE_INVALID_TAG = re.compile(r"<(?!/?[a-zA-Z0-9]+(?: [^>\n\x1f]*>|/?>)|!--|!\[CDATA\[)")


class PackageWriter:
    """The .apkg, streamed: what genanki's Package.write_to_file does, but notes go into the collection as they come
    and the pictures into the zip as they come, compressed by a thread of its own while dot draws and Python writes
    notes (the deflating lets other threads run; zipwrite.py), so memory stays flat however many problems and
    compressing costs no wall time at the end. The collection is an in-memory SQLite database, filled with the very
    rows genanki's Note.write_to_db inserts (a few hundred notes at a time) and serialized into the zip at the end.
    The same input gives the same bytes: the media in first-use order, then the media map and the collection."""

    PENDING = 8  # batches of pictures handed to the compressing thread and not yet written: memory stays bounded
    BATCH = 32  # pictures handed over at a time (one hand-over per picture kept the threads waking each other)
    ROWS = 200  # notes kept before their rows go into the collection

    def __init__(self, path: Path, timestamp: float):
        self.path, self.timestamp = Path(path), timestamp

    def __enter__(self):
        import itertools
        import sqlite3
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

        from genanki.apkg_col import APKG_COL
        from genanki.apkg_schema import APKG_SCHEMA

        self._conn = sqlite3.connect(":memory:")
        self._cursor = self._conn.cursor()
        self._cursor.executescript(APKG_SCHEMA)
        self._cursor.executescript(APKG_COL)
        self._ids = itertools.count(int(self.timestamp * 1000))
        self._notes, self._cards = [], []  # rows not yet inserted
        self.media: dict[str, int] = {}  # name -> its number in the zip, in first-use order
        self._batch: list[tuple[str, bytes]] = []
        self._zip = ZipWriter(self.path, zip_time(self.timestamp))
        self._compress = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apkg-zip")  # one: entries in order
        self._pending = deque()
        return self

    def __exit__(self, *exc):
        try:
            self._compress.shutdown(wait=True, cancel_futures=True)
        finally:
            try:
                if self._zip is not None:  # left early (an error, Ctrl-C): the file is removed unfinished
                    self._zip.abort()
            finally:
                self._conn.close()

    def add_deck(self, deck) -> None:
        """The deck and the models added to it; its notes come through add_note."""
        self._insert()
        deck.write_to_db(self._cursor, self.timestamp, self._ids)

    def add_note(self, deck, note) -> None:
        """What genanki's note.write_to_db(cursor, timestamp, deck id, ids) inserts, the same checks first."""
        from genanki.builtin_models import _fix_deprecated_builtin_models_and_warn

        note.fields = _fix_deprecated_builtin_models_and_warn(note.model, note.fields)
        note._check_number_model_fields_matches_num_fields()
        fields = note._format_fields()
        if _MAYBE_INVALID_TAG.search(fields):
            note._check_invalid_html_tags_in_fields()  # genanki's own check and warning
        note_id, mod = next(self._ids), int(self.timestamp)
        self._notes.append((note_id, note.guid, note.model.model_id, mod, -1, note._format_tags(),
                            fields, note.sort_field, 0, 0, ""))
        for card in note.cards:  # genanki's Card.write_to_db
            self._cards.append((next(self._ids), note_id, deck.deck_id, card.ord, mod, -1, 0, -1 if card.suspend else 0,
                                note.due, 0, 0, 0, 0, 0, 0, 0, 0, ""))
        if len(self._notes) >= self.ROWS:
            self._insert()

    def _insert(self) -> None:
        self._cursor.executemany("INSERT INTO notes VALUES(?,?,?,?,?,?,?,?,?,?,?);", self._notes)
        self._cursor.executemany("INSERT INTO cards VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?);", self._cards)
        self._notes, self._cards = [], []

    def add_media(self, name: str, data: bytes) -> None:
        if name in self.media:
            return
        self.media[name] = len(self.media)
        self._batch.append((str(self.media[name]), data))
        if len(self._batch) >= self.BATCH:
            self._hand_over()

    def _hand_over(self) -> None:
        if self._batch:
            self._pending.append(self._compress.submit(self._zip.add, self._batch))
            self._batch = []
        while len(self._pending) > self.PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()  # a failed write (a full disk) is raised here, not lost

    def finish(self) -> None:
        self._hand_over()
        while self._pending:
            self._pending.popleft().result()
        self._insert()
        self._conn.commit()
        self._zip.add([("media", json.dumps({str(i): name for name, i in self.media.items()}).encode()),
                       ("collection.anki2", self._conn.serialize())])
        self._zip, done = None, self._zip
        done.close()
