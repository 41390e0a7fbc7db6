"""Join PDF files into one, a part at a time: memory holds one part, never the whole document.

pypdf's PdfWriter keeps every object of the result until it writes, and drops the tag structure that
screen readers use. This writer takes one part at a time (pypdf reads its structure; the file is mapped,
not read), copies each object it reaches from the part's pages and tags straight to the output under a
new number, and keeps only the objects' offsets and the few entries the whole document needs. What a
part's catalog says of the whole document is merged: the title and XMP metadata, language and viewer
preferences come from the first part; the tag structure (one Document element holding every part's
elements, and one parent tree whose keys are shifted part by part) from all of them.

It is made for Typst's output (no encryption, no forms, no outlines); `unjoined()` names catalog entries
it would leave out, so a Typst that starts writing new ones is caught by the tests.
"""

import gc
import hashlib
import io
import mmap
import re
from array import array
from collections import deque

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject, StreamObject

# What a part's catalog and tag-structure root may hold, and the joined document keeps.
CATALOG_KEYS = ("/Type", "/Pages", "/Metadata", "/Lang", "/StructTreeRoot", "/MarkInfo", "/ViewerPreferences")
FIRST_PART_ONLY = ("/Lang", "/MarkInfo", "/ViewerPreferences")  # the same in every part we join
STRUCT_ROOT_KEYS = ("/Type", "/K", "/ParentTree", "/ParentTreeNextKey", "/RoleMap")
STRUCT_PARENT_KEYS = ("/StructParents", "/StructParent")  # keys into the parent tree: shifted part by part


class _Output:
    """The joined file as it is written: objects go out as they come; only their offsets stay."""

    def __init__(self, f):
        self.f = f
        self.offsets = array("q", [0])  # by object number (0 heads the free list); -1 until written

    def reserve(self) -> int:
        self.offsets.append(-1)
        return len(self.offsets) - 1

    def put(self, num: int, body: bytes) -> None:
        self.offsets[num] = self.f.tell()
        self.f.write(b"%d 0 obj\n%s\nendobj\n" % (num, body))

    def finish(self, trailer: bytes) -> None:
        assert min(self.offsets) >= 0, f"object {self.offsets.index(-1)} was numbered but never written"
        start = self.f.tell()
        self.f.write(b"xref\n0 %d\n0000000000 65535 f \n" % len(self.offsets))
        for at in range(1, len(self.offsets), 4096):
            self.f.write(b"".join(b"%010d 00000 n \n" % x for x in self.offsets[at : at + 4096]))
        self.f.write(b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % start)


# A part's objects are copied as text, with only their references renumbered: far faster than parsing
# them into pypdf objects and writing those back. The scan knows just enough PDF syntax to never mistake
# the inside of a string, a name or a stream for a reference.
_OBJ_HEAD = re.compile(rb"\s*(\d+)\s+(\d+)\s+obj\b")
_TOKEN = re.compile(rb"""
      \((?:[^()\\]|\\.)*\)                  # a string with no parentheses inside
    | (?P<nested>\()                         # one with some: scanned by _string_end
    | <[0-9A-Fa-f\s]*>                        # a hex string
    | %[^\r\n]*                              # a comment
    | (?P<parent>/StructParents?)\s+(?P<key>\d+)
    | (?P<length>/Length)(?![^\s/\[\]()<>{}%])
    | (?<![\w.+#-])(?P<num>\d+)\s+(?P<gen>\d+)\s+R(?![\w#])  # never digits inside a name or a number
    | (?P<stream>\bstream(?=[\r\n]))
    | (?P<end>\bendobj\b)
""", re.X | re.S)
_LENGTH = re.compile(rb"\s*(\d+)(?:\s+(\d+)\s+R(?![\w#]))?")
_STREAM_END = re.compile(rb"\s*endstream\b")


def _string_end(data: bytes, at: int) -> int | None:
    """Where the literal string opening at `at` ends (balanced parentheses, backslash escapes)."""
    depth, i = 0, at
    while i < len(data):
        c = data[i]
        if c == 0x5C:  # backslash: the next byte is taken as it is
            i += 1
        elif c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return None


class _Part:
    """One part's objects, renumbered into the output as they are reached."""

    def __init__(self, out: _Output, reader: PdfReader, data: bytes, shift: int, same_as: dict):
        self.out, self.reader, self.data = out, reader, data
        self.shift = shift  # added to every parent-tree key of this part
        self.new = dict(same_as)  # (number, generation) here -> number in the output
        self.todo = deque()
        self.parsed = set()  # copied through pypdf, not as text: the pages (their inherited attributes)

    def ref(self, ind: IndirectObject) -> int:
        return self._number(ind.idnum, ind.generation)

    def _number(self, idnum: int, generation: int) -> int:
        """The output number of a reference; the object is copied by the next drain()."""
        key = (idnum, generation)
        if key not in self.new:
            self.new[key] = self.out.reserve()
            self.todo.append(key)
        return self.new[key]

    def text(self, obj) -> bytes:
        s = io.BytesIO()
        self._write(obj, s)
        return s.getvalue()

    def _write(self, obj, s) -> None:
        if isinstance(obj, IndirectObject):
            s.write(b"%d 0 R" % self.ref(obj))
        elif isinstance(obj, DictionaryObject):
            stream = isinstance(obj, StreamObject)
            s.write(b"<<")
            for key, value in obj.items():
                if stream and key == "/Length":
                    continue  # written below, from the data as it is
                if key in STRUCT_PARENT_KEYS and isinstance(value, int):
                    value = NumberObject(value + self.shift)
                s.write(b"\n")
                key.write_to_stream(s)
                s.write(b" ")
                self._write(value, s)
            if stream:
                data = obj._data  # the bytes as stored in the part (still compressed): copied, never decoded
                s.write(b"\n/Length %d>>\nstream\n%s\nendstream" % (len(data), data))
            else:
                s.write(b">>")
        elif isinstance(obj, ArrayObject):
            s.write(b"[")
            for i, item in enumerate(obj):
                if i:
                    s.write(b" ")
                self._write(item, s)
            s.write(b"]")
        else:
            obj.write_to_stream(s)

    def _copy(self, idnum: int, generation: int) -> bytes | None:
        """The object's text with its references renumbered; None when it is not plainly in the file."""
        data = self.data
        offset = self.reader.xref.get(generation, {}).get(idnum)
        head = _OBJ_HEAD.match(data, offset) if offset is not None else None
        if head is None or (int(head[1]), int(head[2])) != (idnum, generation):
            return None
        out, start, pos, length = [], head.end(), head.end(), None
        while (m := _TOKEN.search(data, pos)) is not None:
            pos = m.end()
            if m["nested"]:
                pos = _string_end(data, m.start())
                if pos is None:
                    return None
            elif m["length"]:  # a stream's; no dictionary inside one has a /Length of its own
                length = _LENGTH.match(data, pos)
            elif m["num"]:
                out += [data[start : m.start()], b"%d 0 R" % self._number(int(m["num"]), int(m["gen"]))]
                start = pos
            elif m["key"]:
                out += [data[start : m.start("key")], b"%d" % (int(m["key"]) + self.shift)]
                start = pos
            elif m["stream"]:
                if length is None:
                    return None
                size = int(length[1]) if length[2] is None else self.reader.get_object(
                    IndirectObject(int(length[1]), int(length[2]), self.reader))
                at = pos + (2 if data[pos : pos + 2] == b"\r\n" else 1)
                end = _STREAM_END.match(data, at + int(size))
                if end is None:
                    return None
                out.append(data[start : end.end()])
                return b"".join(out).strip()
            elif m["end"]:
                out.append(data[start : m.start()])
                return b"".join(out).strip()
        return None

    def drain(self) -> None:
        """Copy every object reached so far, and those they reach."""
        while self.todo:
            idnum, generation = key = self.todo.popleft()
            body = None if key in self.parsed else self._copy(idnum, generation)
            if body is None:  # a page, an object inside an object stream, or text the scan does not follow
                body = self.text(self.reader.get_object(IndirectObject(idnum, generation, self.reader)))
            self.out.put(self.new[key], body)


def _key(ind: IndirectObject) -> tuple[int, int]:
    return (ind.idnum, ind.generation)


def _page_tree_nodes(node, found: list) -> list:
    """The references of a page tree's inner nodes (all /Pages, none of the /Page leaves)."""
    obj = node.get_object()
    if obj.get("/Type") == "/Pages" or "/Kids" in obj:
        if isinstance(node, IndirectObject):
            found.append(node)
        for kid in obj.get("/Kids") or []:
            _page_tree_nodes(kid, found)
    return found


def _items(dictionary, key: str) -> list:
    """An entry that may be one thing or an array of them (a /K), as a list of its raw items."""
    value = dictionary.raw_get(key) if key in dictionary else None
    if isinstance(value, IndirectObject):
        resolved = value.get_object()
        value = resolved if isinstance(resolved, ArrayObject) else value
    return list(value) if isinstance(value, ArrayObject) else [] if value is None else [value]


def _numbers(tree):
    """A number tree's (key, value) pairs, leaves and all."""
    tree = tree.get_object()
    nums = tree.get("/Nums") or []
    for i in range(0, len(nums) - 1, 2):
        yield int(nums[i]), nums[i + 1]
    for kid in tree.get("/Kids") or []:
        yield from _numbers(kid)


def _version(header: str) -> float:
    try:
        return float(header.removeprefix("%PDF-"))
    except ValueError:
        return 1.7


def unjoined(path) -> list[str]:
    """Catalog and tag-structure entries of `path` that joining would leave out (none, for Typst's output)."""
    reader = PdfReader(path)
    catalog = reader.trailer["/Root"].get_object()
    left = [k for k in catalog if k not in CATALOG_KEYS]
    if "/StructTreeRoot" in catalog:
        left += [k for k in catalog["/StructTreeRoot"].get_object() if k not in STRUCT_ROOT_KEYS]
    return left


class _Joined:
    """The joined document's own objects, filled in part by part: its page list, tag tree and catalog."""

    def __init__(self, output: _Output):
        self.output = output
        self.pages, self.catalog = output.reserve(), output.reserve()
        self.struct, self.tree, self.doc = output.reserve(), output.reserve(), output.reserve()
        self.kids: list[int] = []  # the pages, in order
        self.doc_kids: list[bytes] = []  # the Document element's children
        self.parent_tree: list[tuple[int, bytes]] = []
        self.role_map: dict[str, bytes] = {}
        self.catalog_extra: dict[str, bytes] = {}
        self.doc_extra = b""
        self.shift = 0  # parent-tree keys used so far
        self.version, self.ids, self.tagged, self.info = 0.0, [], False, None

    def add(self, reader: PdfReader, data, first: bool) -> None:
        """Copy one part's pages, and what they reach, to the output; merge its catalog and tag tree."""
        self.version = max(self.version, _version(reader.pdf_header))
        catalog = reader.trailer["/Root"].get_object()
        self.ids.append(repr(reader.trailer.get("/ID")).encode())
        same_as = {_key(node): self.pages for node in _page_tree_nodes(catalog.raw_get("/Pages"), [])}
        struct = doc = None
        if "/StructTreeRoot" in catalog:
            self.tagged = True
            root = catalog.raw_get("/StructTreeRoot")
            struct = root.get_object()
            same_as[_key(root)] = self.struct
            top = _items(struct, "/K")
            if len(top) == 1 and isinstance(top[0], IndirectObject) and top[0].get_object().get("/S") == "/Document":
                doc = top[0].get_object()
                same_as[_key(top[0])] = self.doc  # every part's Document element becomes the one
            else:  # the part's top elements go under the one Document element made here
                same_as[_key(root)] = self.doc
        part = _Part(self.output, reader, data, self.shift, same_as)
        for page in reader.pages:  # pypdf has put on each page what it inherits from the page tree
            ind = page.indirect_reference
            part.parsed.add(_key(ind))
            self.kids.append(part.ref(ind))
        if struct is not None:
            items = top
            if doc is not None:
                items = _items(doc, "/K")
                if first:
                    self.doc_extra = b"".join(b"\n" + k.encode() + b" " + part.text(v) for k, v in doc.items()
                                              if k not in ("/K", "/P", "/Type", "/S"))
            self.doc_kids += [part.text(item) for item in items]
            numbers = list(_numbers(struct["/ParentTree"])) if "/ParentTree" in struct else []
            self.parent_tree += [(k + self.shift, part.text(v)) for k, v in numbers]
            next_key = struct.get("/ParentTreeNextKey")
            self.shift += int(next_key) if next_key is not None else 1 + max((k for k, _ in numbers), default=-1)
            for name, role in (struct.get("/RoleMap") or {}).items():
                self.role_map.setdefault(str(name), part.text(role))
        if first:
            info = reader.trailer.raw_get("/Info") if "/Info" in reader.trailer else None
            self.info = part.ref(info) if isinstance(info, IndirectObject) else None
            for key in ("/Metadata",) + FIRST_PART_ONLY:
                if key in catalog:
                    self.catalog_extra[key] = part.text(catalog.raw_get(key))
        part.drain()

    def finish(self) -> None:
        out = self.output
        out.put(self.pages, b"<</Type /Pages\n/Count %d\n/Kids [%s]>>" % (
            len(self.kids), b" ".join(b"%d 0 R" % k for k in self.kids)))
        if self.tagged:
            out.put(self.doc, b"<</Type /StructElem\n/S /Document\n/P %d 0 R%s\n/K [%s]>>" % (
                self.struct, self.doc_extra, b" ".join(self.doc_kids)))
            out.put(self.tree, b"<</Nums [%s]>>" % b" ".join(b"%d %s" % kv for kv in sorted(self.parent_tree)))
            roles = b"".join(b"\n" + name.encode() + b" " + role for name, role in sorted(self.role_map.items()))
            out.put(self.struct, b"<</Type /StructTreeRoot\n/K [%d 0 R]\n/ParentTree %d 0 R\n/ParentTreeNextKey %d"
                                 b"\n/RoleMap <<%s>>>>" % (self.doc, self.tree, self.shift, roles))
            self.catalog_extra["/StructTreeRoot"] = b"%d 0 R" % self.struct
        else:  # nothing refers to the three numbers kept for the tags
            for num in (self.struct, self.tree, self.doc):
                out.put(num, b"null")
        out.put(self.catalog, b"<</Type /Catalog\n/Pages %d 0 R%s>>" % (
            self.pages, b"".join(b"\n" + k.encode() + b" " + v for k, v in sorted(self.catalog_extra.items()))))
        digest = hashlib.md5(b"\n".join(self.ids)).hexdigest().encode()
        info = b"/Info %d 0 R\n" % self.info if self.info else b""
        out.finish(b"<</Size %d\n/Root %d 0 R\n%s/ID [<%s> <%s>]>>" % (
            len(out.offsets), self.catalog, info, digest, digest))


class Joiner:
    """A PDF at `path` written a part at a time: add() each part in order, then close(), which returns the page
    count. Parts can be added as soon as they exist, while later ones are still being made."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")  # the version is raised at the end if a part needs a later one
        self.joined = _Joined(_Output(self.f))
        self.parts = 0

    def add(self, part) -> None:
        # mapped, not read: memory never holds a part's bytes, and they leave no holes behind when let go
        with open(part, "rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            self.joined.add(PdfReader(fh, strict=True), data, first=self.parts == 0)
        self.parts += 1
        gc.collect()  # a part's pypdf objects refer to each other: let them go now, not some parts later

    def close(self) -> int:
        """Finish the file (after at least one part): its page count."""
        with self.f:
            self.joined.finish()
            if self.joined.version > 1.7:
                self.f.seek(0)
                self.f.write(b"%%PDF-%.1f" % self.joined.version)
        return len(self.joined.kids)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            self.f.close()


def join(parts: list, out) -> int:
    """Write the PDFs `parts` (paths), in order, as one PDF at `out`. Returns its page count."""
    with Joiner(out) as joiner:
        for part in parts:
            joiner.add(part)
        return joiner.close()
