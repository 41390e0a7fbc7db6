"""The .apkg file: a collection and its media, zipped the same way for the same input."""

import hashlib
import json
import time
from pathlib import Path


def stable_id(*parts) -> int:
    """A deck ID from its name: the same name always gives the same ID (above Anki's small built-in IDs)."""
    digest = hashlib.sha256(":".join(("backprop-practice",) + tuple(map(str, parts))).encode()).digest()
    return (1 << 40) + int.from_bytes(digest[:6], "big") % (1 << 50)


def zip_time(timestamp: float) -> tuple:
    return max(time.gmtime(timestamp)[:6], (1980, 1, 1, 0, 0, 0))


class PackageWriter:
    """The .apkg, streamed: what genanki's Package.write_to_file does, but notes go into the collection as
    they come and pictures into one spill file, so memory stays flat however many problems; the collection is
    built in a temporary folder that is always removed; finish() zips it, compressed, with the same bytes for
    the same input (the collection, the media map, then the media in first-use order)."""

    def __init__(self, path: Path, timestamp: float):
        self.path, self.timestamp = Path(path), timestamp

    def __enter__(self):
        import itertools
        import sqlite3
        import tempfile

        from genanki.apkg_col import APKG_COL
        from genanki.apkg_schema import APKG_SCHEMA

        self._work = tempfile.TemporaryDirectory(prefix="backprop-practice-")
        self._dir = Path(self._work.name)
        self._db = self._dir / "collection.anki2"
        self._conn = sqlite3.connect(self._db)
        self._cursor = self._conn.cursor()
        self._cursor.executescript(APKG_SCHEMA)
        self._cursor.executescript(APKG_COL)
        self._ids = itertools.count(int(self.timestamp * 1000))
        self.media: dict[str, tuple[int, int]] = {}  # name -> (offset, size) in the spill file, in first-use order
        self._spill = open(self._dir / "media", "w+b")  # one file: thousands of small ones are slow to write
        return self

    def __exit__(self, *exc):
        self._spill.close()
        self._conn.close()
        self._work.cleanup()

    def add_deck(self, deck) -> None:
        """The deck and the models added to it; its notes come through add_note."""
        deck.write_to_db(self._cursor, self.timestamp, self._ids)

    def add_note(self, deck, note) -> None:
        note.write_to_db(self._cursor, self.timestamp, deck.deck_id, self._ids)

    def add_media(self, name: str, data: bytes) -> None:
        if name not in self.media:
            self.media[name] = (self._spill.tell(), len(data))
            self._spill.write(data)

    def finish(self) -> None:
        import zipfile

        self._conn.commit()
        when = zip_time(self.timestamp)
        self._spill.flush()

        def entries():
            yield "collection.anki2", self._db.read_bytes()
            yield "media", json.dumps({str(i): name for i, name in enumerate(self.media)}).encode()
            for i, (offset, size) in enumerate(self.media.values()):
                self._spill.seek(offset)
                yield str(i), self._spill.read(size)

        with zipfile.ZipFile(self.path, "w") as zf:
            for name, data in entries():
                info = zipfile.ZipInfo(name, date_time=when)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, data)
