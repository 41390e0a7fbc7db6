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
    """The .apkg, streamed: what genanki's Package.write_to_file does, but notes go into the collection as they
    come and each picture into the zip as it comes, compressed by a thread of its own while dot draws and Python
    writes notes (zlib lets other threads run), so memory stays flat however many problems and compressing
    costs no wall time at the end. The collection is built in a temporary folder that is always removed.
    The same input gives the same bytes: the media in first-use order, then the media map and the collection."""

    PENDING = 64  # pictures handed to the compressing thread and not yet written: memory stays bounded

    def __init__(self, path: Path, timestamp: float):
        self.path, self.timestamp = Path(path), timestamp

    def __enter__(self):
        import itertools
        import sqlite3
        import tempfile
        import zipfile
        from collections import deque
        from concurrent.futures import ThreadPoolExecutor

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
        self.media: dict[str, int] = {}  # name -> its number in the zip, in first-use order
        self._when = zip_time(self.timestamp)
        self._zip = zipfile.ZipFile(self.path, "w")
        self._compress = ThreadPoolExecutor(max_workers=1, thread_name_prefix="apkg-zip")  # one: entries in order
        self._pending = deque()
        return self

    def __exit__(self, *exc):
        try:
            self._compress.shutdown(wait=True, cancel_futures=True)
            self._zip.close()
        finally:
            self._conn.close()
            self._work.cleanup()

    def _entry(self, name: str, data: bytes) -> None:
        import zipfile

        info = zipfile.ZipInfo(name, date_time=self._when)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data)

    def add_deck(self, deck) -> None:
        """The deck and the models added to it; its notes come through add_note."""
        deck.write_to_db(self._cursor, self.timestamp, self._ids)

    def add_note(self, deck, note) -> None:
        note.write_to_db(self._cursor, self.timestamp, deck.deck_id, self._ids)

    def add_media(self, name: str, data: bytes) -> None:
        if name in self.media:
            return
        self.media[name] = len(self.media)
        self._pending.append(self._compress.submit(self._entry, str(self.media[name]), data))
        while len(self._pending) > self.PENDING or (self._pending and self._pending[0].done()):
            self._pending.popleft().result()  # a failed write (a full disk) is raised here, not lost

    def finish(self) -> None:
        while self._pending:
            self._pending.popleft().result()
        self._conn.commit()
        self._entry("media", json.dumps({str(i): name for name, i in self.media.items()}).encode())
        self._entry("collection.anki2", self._db.read_bytes())
        self._zip.close()
