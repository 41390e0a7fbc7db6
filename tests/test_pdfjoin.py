"""Joining typeset parts into one PDF: checked through poppler (text, pictures of the pages, the tag tree) and pypdf,
never by reading our own bytes back with our own code."""

import hashlib
import re
import subprocess

import pytest
import typst
from pypdf import PdfReader

from practice import pdfjoin
from practice.worksheets import templates, versions, views
from practice.spec import choose

STAMP = 1_700_000_000


def compile_pdf(path, source: str, inputs=None):
    path.write_bytes(typst.compile(source.encode("utf-8"), format="pdf", sys_inputs=inputs or {},
                                   ignore_system_fonts=True, timestamp=STAMP))
    return path


@pytest.fixture(scope="module")
def sheet_parts(tmp_path_factory):
    """Three parts of a class set, typeset from the real templates: 1, 2 and 1 versions."""
    folder = tmp_path_factory.mktemp("parts")
    spec = choose(None, default="worksheet")
    made = versions.make_versions(spec, 4)
    groups = (made[:1], made[1:3], made[3:])
    parts = []
    for n, group in enumerate(groups):
        old = views.VERSIONS_PER_TYPESET
        views.VERSIONS_PER_TYPESET = len(group)
        try:
            [(context, inputs)] = list(views.groups(spec, group, len(group), "a4"))
        finally:
            views.VERSIONS_PER_TYPESET = old
        parts.append(compile_pdf(folder / f"sheet-{n}.pdf", templates.render_template("sheet.typ.j2", context), inputs))
    return parts


LINKED = """
#set document(title: "Linked (1 0 R) \\\\ notes")
#set text(lang: "en")
*Part {n}*

Text that reads like a PDF reference: 12 0 R and (3 0 R) and a backslash \\\\ and a lone ) paren.
See #link("https://example.org/{n}")[the site] and #link("https://example.org/b{n}")[another].
#table(columns: 2, [a], [b], [c], [d])
#pagebreak()
Second page of part {n}: #link("https://example.org/c{n}")[a third link].
"""


@pytest.fixture(scope="module")
def linked_parts(tmp_path_factory):
    """Small documents with links (annotations that have keys into the parent tree) and reference-like text."""
    folder = tmp_path_factory.mktemp("linked")
    return [compile_pdf(folder / f"linked-{n}.pdf", LINKED.replace("{n}", str(n))) for n in range(3)]


def poppler(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_pictures(pdf, folder, prefix) -> list[str]:
    subprocess.run(["pdftoppm", "-r", "20", "-png", str(pdf), str(folder / prefix)], check=True, capture_output=True)
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob(f"{prefix}-*.png"))]


def tag_tree(pdf, text: bool = False) -> list[str]:
    """poppler's reading of the tag tree: its elements, and with `text` the text under each (slow on big trees)."""
    lines = poppler("pdfinfo", "-struct-text" if text else "-struct", str(pdf)).splitlines()
    return [re.sub(r"Object \d+ \d+", "Object", line) for line in lines]  # a link's annotation: renumbered


@pytest.fixture(params=["as text", "through pypdf"])
def copying(request, monkeypatch):
    """Each object is copied as text with its references renumbered; anything the scan does not follow goes through
    pypdf's objects instead. Both ways must give the same document, and Typst's objects all take the first."""
    if request.param == "through pypdf":
        monkeypatch.setattr(pdfjoin._Part, "_copy", lambda self, idnum, generation: None)
        yield request.param
        return
    real, refused = pdfjoin._Part._copy, []

    def copy(self, idnum, generation):
        body = real(self, idnum, generation)
        if body is None:
            refused.append(idnum)
        return body

    monkeypatch.setattr(pdfjoin._Part, "_copy", copy)
    yield request.param
    assert refused == []


@pytest.mark.parametrize("count", [1, 3])
def test_a_joined_class_set_reads_and_looks_exactly_like_its_parts(sheet_parts, tmp_path, copying, count):
    parts = sheet_parts[:count]
    out = tmp_path / "joined.pdf"
    pages = pdfjoin.join(parts, out)
    assert pages == sum(len(PdfReader(p).pages) for p in parts) == len(PdfReader(out).pages)
    assert poppler("pdftotext", str(out), "-") == "".join(poppler("pdftotext", str(p), "-") for p in parts)
    pictures = [h for i, p in enumerate(parts) for h in page_pictures(p, tmp_path, f"part{i}")]
    assert page_pictures(out, tmp_path, "joined") == pictures
    info = poppler("pdfinfo", str(out))
    assert "Tagged:          yes" in info and "Title:           Backpropagation by hand" in info
    # the tag tree: one Document element holding every part's elements, in order
    trees = [tag_tree(p) for p in parts]
    assert all(t[0] == "Document" for t in trees) and all(len(t) > 100 for t in trees)
    assert tag_tree(out) == ["Document"] + [line for t in trees for line in t[1:]]


def test_the_tag_tree_stays_consistent_with_links(linked_parts, tmp_path, copying):
    """Every page's and every link's key into the parent tree is found there, once, pointing back at its page."""
    out = tmp_path / "linked.pdf"
    pdfjoin.join(linked_parts, out)
    reader = PdfReader(out, strict=True)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    struct = root["/StructTreeRoot"]
    [document] = struct["/K"]
    assert document.get_object()["/S"] == "/Document" and document.get_object().raw_get("/P").idnum == \
        root.raw_get("/StructTreeRoot").idnum
    nums = struct["/ParentTree"]["/Nums"]
    keys = [int(k) for k in nums[0::2]]
    assert keys == sorted(set(keys)) and struct["/ParentTreeNextKey"] == keys[-1] + 1
    tree = dict(zip(keys, nums[1::2]))
    links = 0
    for page in reader.pages:
        elements = tree[page["/StructParents"]].get_object()
        for element in elements:
            assert element.get_object().raw_get("/Pg").idnum == page.indirect_reference.idnum
        for ref in page.get("/Annots") or []:
            element = tree[ref.get_object()["/StructParent"]].get_object()
            marks = [k.get_object() for k in element["/K"] if not isinstance(k, int)]
            assert element["/S"] == "/Link"
            assert ref.idnum in [m.raw_get("/Obj").idnum for m in marks if m["/Type"] == "/OBJR"]
            links += 1
    annotations = sum(len(p.get("/Annots") or []) for part in linked_parts for p in PdfReader(part).pages)
    assert links == annotations >= 9  # three links in each of three parts (a link may have two areas), none lost
    # each element still holds its own text (poppler follows the marked content through the parent tree)
    trees = [tag_tree(p, text=True) for p in linked_parts]
    assert tag_tree(out, text=True) == ["Document"] + [line for t in trees for line in t[1:]]
    assert sum(line.strip() == '"another"' for line in tag_tree(out, text=True)) == 3
    # the reference-like text and the title's escapes come through untouched
    text = poppler("pdftotext", str(out), "-")
    assert text.count("12 0 R and (3 0 R) and a backslash \\ and a lone ) paren.") == 3
    assert "Title:           Linked (1 0 R) \\ notes" in poppler("pdfinfo", str(out))
    uris = [a.get_object()["/A"]["/URI"] for p in reader.pages for a in p.get("/Annots") or []]
    assert list(dict.fromkeys(uris)) == [f"https://example.org/{b}{n}" for n in range(3) for b in ("", "b", "c")]


def test_joining_is_deterministic(linked_parts, tmp_path):
    pdfjoin.join(linked_parts, tmp_path / "a.pdf")
    pdfjoin.join(linked_parts, tmp_path / "b.pdf")
    assert (tmp_path / "a.pdf").read_bytes() == (tmp_path / "b.pdf").read_bytes()


def test_typst_writes_nothing_the_join_leaves_out(sheet_parts, linked_parts, tmp_path):
    """The join keeps every catalog entry Typst writes for worksheets. Were a new Typst to add one (say, bookmarks
    from headings), this fails and names it, rather than the joined worksheets quietly losing it."""
    for part in sheet_parts + linked_parts:
        assert pdfjoin.unjoined(part) == [], part.name
    # the check sees what it is meant to: a heading makes a bookmark, which the join would leave out
    headed = compile_pdf(tmp_path / "headed.pdf", "= A heading\nText.")
    assert pdfjoin.unjoined(headed) == ["/Outlines"]
