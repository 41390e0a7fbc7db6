"""The .apkg's zip writer (practice/anki/zipwrite.py) against Python's zipfile.

With zlib deflating, the writer's file is zipfile's own for the same entries, byte for byte: small zips, zips of
65,535 entries or more (zip64 end records) and entries past zipfile's zip64 offset limit (lowered here, on both
sides, to reach it). With ISA-L (the deck's deflater where it is installed), the file differs only in the
deflated bytes: zipfile and `unzip -t` read back every entry whole. Anki's own reading is every deck test's
import into a real Anki collection.
"""

import os
import random
import shutil
import subprocess
import zipfile
import zlib

import pytest

from practice.anki import zipwrite

WHEN = (2026, 12, 3, 11, 40, 7)


def entries(count: int, seed: int = 0, size: int = 4000) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        text = " ".join(rng.choice(["grad", "data", "<text x=", "0.5221", "−2.6"]) for _ in range(rng.randrange(size)))
        out.append((str(i), text.encode() + rng.randbytes(rng.randrange(50))))
    return out + [("media", b'{"0": "bp-0123456789abcdef.svg"}'), ("caf\u00e9.anki2", b"\x00" * 3000)]


def zipfiles(path, items, level: int) -> None:
    """zipfile's file: what the deck writer wrote with zipfile before (deflated, mode 644, dated WHEN)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, data in items:
            info = zipfile.ZipInfo(name, date_time=WHEN)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data, compresslevel=level)


def ours(path, items, batch: int = 7) -> None:
    writer = zipwrite.ZipWriter(path, WHEN)
    for i in range(0, len(items), batch):
        writer.add(items[i : i + batch])
    writer.close()


@pytest.fixture
def with_zlib(monkeypatch):
    monkeypatch.setattr(zipwrite, "_deflater", zlib)
    monkeypatch.setattr(zipwrite, "LEVEL", 3)


def test_with_zlib_the_file_is_zipfiles_own(tmp_path, with_zlib):
    items = entries(40)
    ours(tmp_path / "ours.zip", items)
    zipfiles(tmp_path / "theirs.zip", items, 3)
    assert (tmp_path / "ours.zip").read_bytes() == (tmp_path / "theirs.zip").read_bytes()
    ours(tmp_path / "empty.zip", [])
    zipfiles(tmp_path / "none.zip", [], 3)
    assert (tmp_path / "empty.zip").read_bytes() == (tmp_path / "none.zip").read_bytes()


def test_with_zlib_zip64_records_are_zipfiles_own(tmp_path, with_zlib, monkeypatch):
    many = entries(zipwrite._MANY + 3, size=3)  # past 65,535 entries: zip64 end records
    ours(tmp_path / "ours.zip", many, batch=500)
    zipfiles(tmp_path / "theirs.zip", many, 3)
    assert (tmp_path / "ours.zip").read_bytes() == (tmp_path / "theirs.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "ours.zip") as z:
        assert len(z.namelist()) == len(many)
    monkeypatch.setattr(zipwrite, "_FAR", 20_000)  # offsets past the limit: zip64 extra fields and end records
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 20_000)
    far = entries(30, seed=1, size=1500)
    ours(tmp_path / "far.zip", far)
    zipfiles(tmp_path / "far-theirs.zip", far, 3)
    assert (tmp_path / "far.zip").read_bytes() == (tmp_path / "far-theirs.zip").read_bytes()
    monkeypatch.undo()
    with zipfile.ZipFile(tmp_path / "far.zip") as z:
        assert [(i.filename, z.read(i)) for i in z.infolist()] == far
        assert max(i.header_offset for i in z.infolist()) > 20_000  # (the limit was passed)


def test_the_decks_deflater_reads_back_whole(tmp_path):
    items = entries(60, seed=2)
    ours(tmp_path / "ours.zip", items)
    zipfiles(tmp_path / "theirs.zip", items, 3)
    with zipfile.ZipFile(tmp_path / "ours.zip") as z, zipfile.ZipFile(tmp_path / "theirs.zip") as t:
        assert z.testzip() is None
        assert [(i.filename, z.read(i)) for i in z.infolist()] == items
        keys = ("filename", "date_time", "compress_type", "external_attr", "create_system", "create_version",
                "extract_version", "flag_bits", "file_size", "CRC")
        assert [[getattr(i, k) for k in keys] for i in z.infolist()] == [[getattr(i, k) for k in keys] for i in t.infolist()]
    if shutil.which("unzip"):
        assert subprocess.run(["unzip", "-tq", str(tmp_path / "ours.zip")], capture_output=True).returncode == 0


def test_isal_deflates_the_deck_where_it_is_installed():
    """The deck's dependency is installed here, so the fast deflater is the one used (not the fallback)."""
    from isal import isal_zlib

    assert zipwrite._deflater is isal_zlib
    data = os.urandom(1000) * 20
    assert zlib.decompress(zipwrite.deflate(data), -15) == data


def test_an_entry_too_large_is_refused_before_anything_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(zipwrite, "_FAR", 100)
    writer = zipwrite.ZipWriter(tmp_path / "big.zip", WHEN)
    with pytest.raises(OSError, match="too large"):
        writer.add([("0", os.urandom(500))])
    writer.abort()
    assert (tmp_path / "big.zip").read_bytes() == b""
