"""The .apkg's zip, an entry at a time: each entry deflated whole in memory, then written once, header and data.

A deck's pictures are most of what a deck build does besides laying them out (the 400-problem deck of bench
item 7: 47 MB of SVG), so they are deflated by ISA-L (the isal package) where it is installed: several times
zlib's speed, to a file about a fifth larger than zlib's default level makes (9.9 MB against 8.2 MB). Where it is
not, zlib at level 3 (half the time of its default level, a sixth larger). Either way Anki unpacks the same files.

zipfile could not take entries deflated elsewhere, and it writes each one twice over (a header, the data, then
the header again once the sizes are known). This writes what zipfile writes for the same entries (deflated, mode
644, the given date), the zip64 records too where zipfile writes them (65,535 entries or more, or past 2 GiB):
with zlib, byte for byte zipfile's own file (tests/test_zipwrite.py); Anki reads it (every deck test imports
its deck into a real Anki collection).
"""

import struct
import zlib

try:
    from isal import isal_zlib as _deflater

    LEVEL = 2  # ISA-L's default
except ImportError:  # (a platform without its wheel)
    _deflater, LEVEL = zlib, 3

_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_END64 = struct.Struct("<IQHHIIQQQQ")
_LOCATOR64 = struct.Struct("<IIQI")
_EXTRA64 = struct.Struct("<HHQ")  # a zip64 extra field holding a header's offset alone
_MAX16, _MAX32 = 0xFFFF, 0xFFFFFFFF
# Where zipfile turns to zip64 records (its ZIP64_LIMIT and ZIP_FILECOUNT_LIMIT): an offset or a directory past
# 2 GiB, or 65,535 entries or more
_FAR, _MANY = (1 << 31) - 1, (1 << 16) - 1
_UNIX = 3 << 8  # "made by" on Unix (the mode is in the external attributes), as zipfile writes it
_UTF8 = 0x800


def deflate(data: bytes) -> bytes:
    """Raw deflate (the zip's method 8) of `data`."""
    z = _deflater.compressobj(LEVEL, _deflater.DEFLATED, -15)
    return z.compress(data) + z.flush()


def _dos_time(when: tuple) -> tuple[int, int]:
    year, month, day, hour, minute, second = when
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day


class ZipWriter:
    """A zip at `path`, entries added in order (add), finished by close; every entry dated `when` (zipfile's
    date_time: year to second) and readable and writable by its owner, by the rest readable."""

    def __init__(self, path, when: tuple):
        self._file = open(path, "wb")
        self._time, self._date = _dos_time(when)
        self._central: list[bytes] = []
        self._at = 0  # the next header's offset

    def add(self, entries) -> None:
        """(name, data) entries, in order, written with one write."""
        self._file.write(b"".join([self._entry(name, data) for name, data in entries]))

    def _entry(self, name: str, data: bytes) -> bytes:
        """An entry's header, name and deflated data; its central directory record kept for the end."""
        packed, crc, size = deflate(data), zlib.crc32(data), len(data)
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else _UTF8
        if size > _FAR or len(packed) > _FAR:
            raise OSError(f"{name} is too large for a zip entry here")
        local = _LOCAL.pack(0x04034B50, 20, flags, 8, self._time, self._date, crc, len(packed), size, len(raw), 0)
        far = self._at > _FAR
        extra = _EXTRA64.pack(1, 8, self._at) if far else b""
        self._central.append(
            _CENTRAL.pack(0x02014B50, _UNIX | (45 if far else 20), 45 if far else 20, flags, 8, self._time, self._date,
                          crc, len(packed), size, len(raw), len(extra), 0, 0, 0, 0o644 << 16,
                          _MAX32 if far else self._at) + raw + extra)
        self._at += len(local) + len(raw) + len(packed)
        return local + raw + packed

    def abort(self) -> None:
        """The file closed as it is (unfinished: the caller removes it)."""
        self._file.close()

    def close(self) -> None:
        """The central directory and the end records; the file closed."""
        try:
            start, count = self._at, len(self._central)
            directory = b"".join(self._central)
            if count >= _MANY or start > _FAR or len(directory) > _FAR:
                end64 = start + len(directory)
                end = (_END64.pack(0x06064B50, _END64.size - 12, 45, 45, 0, 0, count, count, len(directory), start)
                       + _LOCATOR64.pack(0x07064B50, 0, end64, 1))
                end += _END.pack(0x06054B50, 0, 0, min(count, _MAX16), min(count, _MAX16), min(len(directory), _MAX32),
                                 min(start, _MAX32), 0)
            else:
                end = _END.pack(0x06054B50, 0, 0, count, count, len(directory), start, 0)
            self._file.write(directory + end)
        finally:
            self._file.close()
