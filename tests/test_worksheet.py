"""The `worksheet` command: PDFs read back through their text (pypdf), the manifest, HTML, and bad input.

Typst writes math as math-italic Unicode, so every page's text is NFKC-normalised before it is searched.
"""

import io
import json
import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
from pypdf import PdfReader

from practice import GENERATOR, worksheet
from practice.cli import main
from practice.generate import problem_set
from practice.worksheets import layout, manifest, templates, typeset, versions, views
from practice.numbers import fmt
from practice.record import leaves
from practice.spec import Spec, choose


CODE = re.compile(r"V\d{2,3}-[0-9A-Z]{4}")
PAGE = re.compile(r"page (\d+) of (\d+)")


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def flat(text: str) -> str:
    return " ".join(text.split())


def pages(path) -> list[str]:
    return [norm(p.extract_text()) for p in PdfReader(str(path)).pages]


def by_version(texts: list[str]) -> dict[str, list[str]]:
    """Page texts grouped by the version code printed on them (each page must carry exactly one)."""
    groups = {}
    for i, text in enumerate(texts):
        codes = set(CODE.findall(text))
        assert len(codes) == 1, f"page {i + 1} shows version codes {codes}"
        groups.setdefault(codes.pop(), []).append(text)
    return groups


def answer_marker(answer: dict) -> str:
    """Text the sheet prints on an answer line for this answer."""
    name = answer["name"]
    if name.endswith(".grad"):
        return name
    if name.endswith(".new"):
        return "after the step"
    return "estimate of"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Three versions of the bundled worksheet spec, with keys and manifest, made once for the module."""
    folder = tmp_path_factory.mktemp("class")
    spec = choose(None, default="worksheet")
    summary = worksheet.build_worksheets(spec, 3, folder / "class.pdf", None, "a4", "pdf")
    manifest = json.loads((folder / "class.json").read_text(encoding="utf-8"))
    return {
        "folder": folder,
        "spec": spec,
        "summary": summary,
        "manifest": manifest,
        "sheet": pages(folder / "class.pdf"),
        "key": pages(folder / "class-key.pdf"),
    }


def test_files_and_summary(built):
    folder, summary = built["folder"], built["summary"]
    assert sorted(p.name for p in folder.iterdir()) == ["class-key.pdf", "class.json", "class.pdf"]
    assert summary.versions == 3 and summary.problems == 15
    assert summary.pages == len(built["sheet"]) and summary.key_pages == len(built["key"])
    assert summary.smallest_font_pt >= worksheet.MIN_PRINT_PT


@pytest.mark.parametrize("which", ["sheet", "key"])
def test_every_page_shows_its_version_code_and_page_i_of_n(built, which):
    groups = by_version(built[which])
    assert list(groups) == [v["code"] for v in built["manifest"]["versions"]]
    for code, texts in groups.items():
        numbers = [PAGE.findall(t) for t in texts]
        assert all(len(n) == 1 for n in numbers), f"{code}: a page lacks 'page i of n'"
        assert [tuple(map(int, n[0])) for n in numbers] == [(i, len(texts)) for i in range(1, len(texts) + 1)]


def test_sheet_has_title_header_instructions_and_given_values(built):
    title = built["spec"].sections["worksheet"]["title"]
    groups = by_version(built["sheet"])
    for version in built["manifest"]["versions"]:
        texts = groups[version["code"]]
        first = flat(texts[0])
        for word in (title, "Name", "Date", "Score", "Instructions"):
            assert word in first
        rounding = {p["rounding"] for p in version["problems"]}  # the record's rule, stated once
        assert len(rounding) == 1 and flat(norm(rounding.pop())) in first
        points = sum(len(p["answers"]) for p in version["problems"])
        assert f"/ {points}" in first
        whole = norm("\n".join(texts))
        for number, problem in enumerate(version["problems"], 1):
            assert f"Problem {number}" in whole
            for leaf in leaves(problem["nodes"]):
                assert re.search(rf"{re.escape(leaf['name'])}\s*=\s*{re.escape(norm(fmt(leaf['data'])))}", whole), leaf


def test_answers_are_in_the_key_and_not_on_the_sheet(built):
    sheets, keys = by_version(built["sheet"]), by_version(built["key"])
    for version in built["manifest"]["versions"]:
        sheet = "\n".join(sheets[version["code"]])
        key = "\n".join(keys[version["code"]])
        assert "Answer key" in key and "Answer key" not in sheet
        for word in ("Worked steps", "±"):
            assert word in key and word not in sheet
        for number, problem in enumerate(version["problems"], 1):
            assert f"Problem {number}" in key
            for answer in problem["answers"]:
                shown = norm(fmt(answer["value"]))
                assert re.search(rf"{re.escape(answer['name'] if answer['name'].endswith('.grad') else '')}.*=\s*{re.escape(shown)}\s*±", key), (problem["id"], answer)
            assert norm(problem["steps"][-1]).split(" = ")[0] in key


def test_a_problem_never_splits_across_pages(built):
    """Each problem's heading and all its answer lines are on one page (a problem too tall for a page is split on
    purpose: its answer lines are then all on the page headed "Problem N (continued)", the page after its picture)."""
    groups = by_version(built["sheet"])
    for version in built["manifest"]["versions"]:
        texts = groups[version["code"]]
        for number, problem in enumerate(version["problems"], 1):
            heading = f"Problem {number} (continued)"
            where = [i for i, t in enumerate(texts) if heading in t]
            if where:
                assert heading not in texts[where[0] - 1] and f"Problem {number}" in texts[where[0] - 1]
            else:
                heading = f"Problem {number}"
                where = [i for i, t in enumerate(texts) if re.search(rf"Problem {number}\b", t)]
            assert len(where) == 1
            page = texts[where[0]]
            rest = page[page.index(heading):]
            nxt = rest.find(f"Problem {number + 1}")
            rest = rest if nxt < 0 else rest[:nxt]
            for answer in problem["answers"]:
                assert answer_marker(answer) in rest, (version["code"], number, answer["name"])


def test_manifest_regenerates_every_version(built):
    doc, spec = built["manifest"], built["spec"]
    assert doc["format"] == "backprop-practice.worksheets/2"
    assert doc["generator"] == GENERATOR
    assert doc["spec"] == "worksheet" and doc["seed"] == spec.seed and doc["duplex"] is True
    codes = [v["code"] for v in doc["versions"]]
    assert len(set(codes)) == 3 and all(CODE.fullmatch(c) for c in codes)
    again = choose(doc["spec"], default="worksheet")
    for v in doc["versions"]:
        assert len(v["seeds"]) == len(v["problems"]) == again.total
        for i, (seed, problem) in enumerate(zip(v["seeds"], v["problems"])):
            assert problem_set(again.entries, seed)[i] == problem
    # distinct versions: no two share their problems
    questions = [tuple(p["question"] for p in v["problems"]) for v in doc["versions"]]
    assert len(set(questions)) == 3
    # and the problems command shows the very same problem at the same position from its seed
    v = doc["versions"][1]
    for i in (0, len(v["seeds"]) - 1):
        out = subprocess.run([sys.executable, "-m", "practice", "problems", doc["spec"], "--seed", str(v["seeds"][i]), "--json"],
                             capture_output=True, text=True, check=True).stdout
        assert json.loads(out)["problems"][i] == v["problems"][i]


FAMILY = {"+": "+-", "-": "+-", "*": "*/", "/": "*/", "tanh": "curve", "sigmoid": "curve", "exp": "curve", "log": "curve"}


def shape(problem: dict) -> tuple:
    """What versions of one class set share at a position: kind, difficulty, leaves, asked answers (marks),
    value nodes, worked steps, and ops counted by family."""
    nodes = problem["nodes"]
    ops = sorted(FAMILY.get(n["op"], n["op"]) for n in nodes if n["op"])
    return (problem["kind"], problem["difficulty"], len(leaves(nodes)), len(problem["answers"]),
            sum(not n.get("constant") for n in nodes), len(problem["steps"]), tuple(ops))


def test_versions_of_a_class_set_are_equivalent(built):
    """Same structure at every position, so the same maximum score and length; different numbers."""
    doc = built["manifest"]
    shapes = [[shape(p) for p in v["problems"]] for v in doc["versions"]]
    assert all(s == shapes[0] for s in shapes)
    points = {sum(len(p["answers"]) for p in v["problems"]) for v in doc["versions"]}
    assert len(points) == 1
    sheets = by_version(built["sheet"])
    for v in doc["versions"]:  # and the sheet says so
        assert f"/ {points.pop() if False else sum(len(p['answers']) for p in v['problems'])}" in sheets[v["code"]][0]
    for position in zip(*(v["problems"] for v in doc["versions"])):
        assert len({p["question"] for p in position}) == len(position)  # each version its own numbers


def test_a_bigger_class_set_is_equivalent_too(tmp_path):
    """Six versions of the micrograd mix (every kind) as HTML: at every position the same kind, difficulty,
    leaves, answers, value nodes and worked steps; a rare structure may settle for other op families after many
    draws (problems are costly to make), but most positions match whole."""
    worksheet.build_worksheets(choose("micrograd"), 6, tmp_path / "m.html", fmt="html")
    doc = json.loads((tmp_path / "m.json").read_text(encoding="utf-8"))
    assert doc["duplex"] is False  # HTML pages are not padded
    shapes = [[shape(p) for p in v["problems"]] for v in doc["versions"]]
    assert all([s[:-1] for s in shape_list] == [s[:-1] for s in shapes[0]] for shape_list in shapes)
    whole = sum(len({v[i] for v in shapes}) == 1 for i in range(len(shapes[0])))
    assert whole >= 0.75 * len(shapes[0]), (whole, len(shapes[0]))


@pytest.mark.parametrize("which", ["sheet", "key"])
def test_every_version_has_an_even_page_count_for_double_sided_printing(built, which):
    groups = by_version(built[which])
    for code, texts in groups.items():
        assert len(texts) % 2 == 0, (code, len(texts))
        blank = [t for t in texts if "left blank" in t]
        assert len(blank) <= 1 and (not blank or blank[0] is texts[-1])


def test_no_duplex_leaves_versions_unpadded(built, tmp_path):
    out = tmp_path / "single.pdf"
    r = subprocess.run([sys.executable, "-m", "practice", "worksheet", "--versions", "3", "--no-duplex", "-o", str(out)],
                       capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr
    assert json.loads((tmp_path / "single.json").read_text())["duplex"] is False
    for path in (out, tmp_path / "single-key.pdf"):
        texts = pages(path)
        assert not any("left blank" in t for t in texts)
        for code, group in by_version(texts).items():  # each version as long as its problems need
            assert PAGE.findall(group[-1])[0] == (str(len(group)), str(len(group)))
    # the same class set padded (the module's, made for double-sided printing): one blank page more for each
    # version of odd length
    for single, double in (("single.pdf", "sheet"), ("single-key.pdf", "key")):
        a, b = by_version(pages(tmp_path / single)), by_version(built[double])
        assert list(a) == list(b)  # the same versions
        assert [len(x) + len(x) % 2 for x in a.values()] == [len(x) for x in b.values()]


_RULE = re.compile(rb'<polyline fill="none" stroke="black" points="([\d.-]+),([\d.-]+) ([\d.-]+),([\d.-]+) "/>')


def test_grad_blanks_are_large_enough_to_write_in(built):
    """Every blank in a question picture prints at least 2 cm wide (read from the SVG's rules and the printed
    picture width) and 0.7 cm tall (the layout's figure), on A4 and letter."""
    from practice import draw

    spec = built["spec"]
    for paper in ("a4", "letter"):
        made = versions.make_versions(spec, 2)
        for v in made:
            v.pictures, v.blanks = views.draw(v.problems, paper)
        context, _ = views.views(spec, made, paper)
        for v in context["versions"]:
            for p in v["problems"]:
                q = p["question_picture"]
                natural_width = q["picture"].size_pt[0]
                rules = [abs(float(x2) - float(x1)) for x1, y1, x2, y2 in _RULE.findall(q["picture"].data) if y1 == y2]
                assert rules, p["id"]
                printed = min(rules) * q["width"] / natural_width
                assert printed >= 2 / 2.54 * 72, (paper, p["id"], printed)
                assert q["blank"][1] >= 0.7 / 2.54 * 72 - 0.01, (paper, p["id"], q["blank"])
                assert q["font"] >= worksheet.MIN_PRINT_PT
    assert draw  # the pictures are dot's own SVG


def test_the_key_says_what_each_classic_mistake_gives(built):
    """Under each answer: "If you got" and each catalogued mistake's value, lettered with its reason, listed once."""
    keys = by_version(built["key"])
    seen = 0
    for version in built["manifest"]["versions"]:
        key = flat(norm("\n".join(keys[version["code"]])))
        for problem in version["problems"]:
            for answer in problem["answers"]:
                for mistake in answer["mistakes"]:
                    seen += 1
                    assert re.search(rf"If you got (?:\S+ \([a-z]\), )*{re.escape(norm(fmt(mistake['value'])))} \([a-z]\)", key), mistake
                    assert flat(norm(mistake["why"])) in key, mistake["why"]
    assert seen > 0


def test_names_of_more_than_one_letter_are_upright(built):
    """In the forward pass a one-letter name is math italic (𝑥1, 𝑛) and a longer one upright (x1w1), so that
    x1w1x2w2 never reads as a product. Read from the PDF's own text, before any normalising."""
    raw = [p.extract_text() for p in PdfReader(str(built["folder"] / "class.pdf")).pages]
    neurons = [p for v in built["manifest"]["versions"] for p in v["problems"] if p["kind"] == "neuron"]
    assert neurons
    text = "\n".join(raw)
    for problem in neurons:
        long = [n["name"] for n in problem["nodes"] if n["op"] and len(n["name"]) > 2 and not n["name"][1:].isdigit()]
        assert long
        for name in long:
            assert re.search(rf"(?<![\w]){re.escape(name)}\s*=", text), name  # plain ASCII letters: upright
    assert "𝑥1" in text and "𝑏" in text  # one letter and digits: math italic


def test_version_seeds_and_codes_are_stable():
    assert versions.version_seed(1, 1) == versions.version_seed(1, 1) != versions.version_seed(1, 2)
    assert versions.version_code(7, 0) == "V07-0000"
    assert versions.version_code(7, 31 + 32 * 3) == "V07-Z300"
    assert versions.version_code(123, 5, width=3) == "V123-5000"


def test_letter_paper_through_the_cli(tmp_path):
    out = tmp_path / "letter.pdf"
    r = subprocess.run([sys.executable, "-m", "practice", "worksheet", "--paper", "letter", "--seed", "9", "-o", str(out)],
                       capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("\n") == 1 and "1 version" in r.stdout
    for path in (out, tmp_path / "letter-key.pdf"):
        for page in PdfReader(str(path)).pages:
            assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (612, 792)
    assert json.loads((tmp_path / "letter.json").read_text())["seed"] == 9


@pytest.mark.parametrize("paper", ["letter", "a4"])
def test_every_kind_fits_a_page_at_readable_size(paper):
    """All kinds and difficulties: Typst's measured height of each problem is within our estimate, and the pages
    are the ones the layout planned. On the sheets no problem breaks across pages (one too tall for a page is
    split on purpose: its picture alone on a page, the rest on the next), picture text is at least 7 pt and
    blanks print at least 2 cm x 0.7 cm (unless the picture cannot fit the page at 7 pt: then it fits the page's
    width), and each working space gets at least its least height, the last on a page reaching down to the
    page's foot."""
    import typst
    from practice.kinds import DIFFICULTIES, KINDS

    entries = [{"kind": k, "difficulty": d, "count": 1, "index": i}
               for i, (k, d) in enumerate((k, d) for k in KINDS for d in DIFFICULTIES)]
    spec = Spec("all-kinds", Path("all-kinds"), "All kinds", 4, entries, sections={"worksheet": {}})
    made = versions.make_versions(spec, 1)
    made[0].pictures, made[0].blanks = views.draw(made[0].problems, paper)
    context, inputs = views.views(spec, made, paper, probe=True)
    version = context["versions"][0]
    placed = {p["id"]: p for p in version["problems"]}
    tw, room = layout.text_box(paper)
    bottom = layout.MARGIN_TOP + room

    def query(source, labels):
        """{label: [value of each element so labelled]}, from one typesetting of the source."""
        selector = "selector(" + ").or(".join(labels) + ")"
        found = {label: [] for label in labels}
        for element in json.loads(typst.query(source, selector, sys_inputs=inputs, ignore_system_fonts=True)):
            found[element["label"]].append(element["value"])
        return found

    for template, side in (("sheet.typ.j2", "question_picture"), ("key.typ.j2", "answer_picture")):
        source = templates.render_template(template, context).encode()
        labels = query(source, ["<probe>", "<header>", "<work>"] if template == "sheet.typ.j2" else ["<probe>"])
        found = labels["<probe>"]
        split = [p["id"] for p in version["problems"] if p[side]["mode"] == "split"]
        assert len(found) == len(entries) + len(split)
        for probe in found:
            pid, part = probe["id"].partition("/")[::2]
            place = placed[pid][side]
            estimate = place["rest"] if part == "rest" else place["content"]
            assert probe["height"] <= estimate + 0.5, (template, probe, estimate)
            assert place["breakable"] or probe["height"] <= room, (template, probe)
        if template == "key.typ.j2":
            continue
        [header] = labels["<header>"]
        assert header["height"] <= layout.header_pt(" ".join(["word."] * 38), paper), header
        pages = {probe["id"]: probe["page"] for probe in found}
        assert len(set(pages.values())) == len(version["pages"])  # the pages the layout planned, no more
        works = labels["<work>"]
        assert [w["id"] for w in works] == [p["id"] for p in version["problems"]]
        for page in version["pages"]:
            for n, p in enumerate(page):
                if p["part"] == "picture":
                    assert len(page) == 1 and pages[p["id"] + "/rest"] == pages[p["id"]] + 1
                    continue
                work = next(w for w in works if w["id"] == p["id"])
                assert work["page"] == pages[p["id"] + ("/rest" if p["part"] == "rest" else "")]
                assert work["work"] >= p[side]["work"] - 0.5, (p["id"], work, p[side]["work"])
                if n == len(page) - 1:  # the page's last working space reaches its foot
                    assert abs(work["bottom"] - bottom) <= 1.0, (p["id"], work, bottom)
        problems = {p["id"]: p for p in made[0].problems}
        for p in version["problems"]:
            q = p[side]
            shown = (p["id"], {k: v for k, v in q.items() if k != "picture"})
            assert not q["breakable"], shown
            w, h = q["picture"].size_pt
            floor = worksheet.MIN_PRINT_PT / layout.smallest_font_pt(q["picture"].data)
            if w * floor <= tw and h * floor <= room - layout.head_pt(problems[p["id"]], tw) - layout.LINE_PT:
                assert q["font"] >= worksheet.MIN_PRINT_PT, shown
                assert q["blank"][0] >= layout.BLANK_PT[0] - 0.01 and q["blank"][1] >= layout.BLANK_PT[1] - 0.01, shown
            else:  # a picture larger than a page at 7 pt: as large as its page allows
                assert q["mode"] == "split" and q["width"] <= tw + 0.01, shown


def test_html_is_one_self_contained_file_per_output(tmp_path):
    out = tmp_path / "sheet.html"
    spec = choose(None, default="worksheet")
    summary = worksheet.build_worksheets(spec, 2, out, None, "letter", "html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sheet-key.html", "sheet.html", "sheet.json"]
    assert summary.pages is None
    codes = [v["code"] for v in json.loads((tmp_path / "sheet.json").read_text())["versions"]]
    for path, words in ((out, ("Name", "Working")), (tmp_path / "sheet-key.html", ("Answer key", "Worked steps"))):
        html = path.read_text(encoding="utf-8")
        links = re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", html)
        assert links and all(link.startswith(("data:", "#")) for link in links)
        assert "<link" not in html and "@import" not in html
        for code in codes:
            assert html.count(f'id="{code}"') == 1
        assert "@media print" in html and "break-inside: avoid" in html and "size: letter" in html
        for word in words:
            assert word in html
    assert "Worked steps" not in out.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def html_set(tmp_path_factory):
    """The bundled spec's class set as HTML, on A4 and on letter, and the all-kinds worksheet (letter)."""
    folder = tmp_path_factory.mktemp("html")
    spec = choose(None, default="worksheet")
    for paper in ("a4", "letter"):
        worksheet.build_worksheets(spec, 3, folder / f"{paper}.html", None, paper, "html")
    return folder


def _print(html: Path, pdf: Path) -> list[str]:
    """The page printed by Chromium at its CSS page size: each printed page's text."""
    from playwright.sync_api import sync_playwright
    from browser import launch

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        page.goto(html.as_uri())
        page.pdf(path=str(pdf), prefer_css_page_size=True)
        browser.close()
    return pages(pdf)


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_html_prints_every_problem_whole_with_its_version_code_on_every_page(html_set, paper):
    """Printed from Chromium: every version starts a page, every page's foot shows its version's code, and each
    problem's heading, answer lines and working space are on one page (the working space never spills)."""
    book = json.loads((html_set / f"{paper}.json").read_text(encoding="utf-8"))
    for name, key in ((f"{paper}.html", False), (f"{paper}-key.html", True)):
        texts = _print(html_set / name, html_set / f"{name}.pdf")
        size = PdfReader(str(html_set / f"{name}.pdf")).pages[0].mediabox
        assert (round(float(size.width)), round(float(size.height))) == ((595, 842) if paper == "a4" else (612, 792))
        groups = by_version(texts)  # exactly one code on every page
        assert list(groups) == [v["code"] for v in book["versions"]]
        if key:
            continue
        for v in book["versions"]:
            group = groups[v["code"]]
            count = len(v["problems"])
            for number in range(1, count + 1):
                heading = re.compile(rf"Problem {number}( \(continued\))? of {count}")
                where = [i for i, t in enumerate(group) if heading.search(t)]
                last = group[where[-1]]
                assert f"Working · Problem {number}" in last, (paper, v["code"], number)
                for answer in v["problems"][number - 1]["answers"]:
                    assert answer_marker(answer) in last


def test_html_on_a_phone_stacks_the_given_values_under_the_picture(html_set):
    """At 390 px wide nothing scrolls sideways, and the given values and answer lines sit under the picture;
    on a desktop a small picture keeps them beside it."""
    from playwright.sync_api import sync_playwright
    from browser import launch, no_horizontal_scroll

    with sync_playwright() as p:
        browser = launch(p)
        for width, stacked in ((390, True), (1280, False)):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for name in ("a4.html", "a4-key.html"):
                page.goto((html_set / name).as_uri())
                assert no_horizontal_scroll(page), (width, name)
            page.goto((html_set / "a4.html").as_uri())
            boxes = page.evaluate("""Array.from(document.querySelectorAll('.layout:not(.stacked)')).map(l => {
                const img = l.querySelector('img').getBoundingClientRect(), side = l.querySelector('.side').getBoundingClientRect();
                return [img.bottom, side.top, side.width, img.width];
            })""")
            assert boxes, "no picture with its values beside it"
            for img_bottom, side_top, side_width, img_width in boxes:
                if stacked:
                    assert side_top >= img_bottom - 1 and side_width >= 300
                else:
                    assert side_top < img_bottom and side_width >= 200
            page.close()
        browser.close()


def test_html_key_lists_the_mistakes(html_set):
    import html as markup

    text = markup.unescape((html_set / "a4-key.html").read_text(encoding="utf-8")).replace("\xa0", " ")
    book = json.loads((html_set / "a4.json").read_text(encoding="utf-8"))
    seen = 0
    for problem in book["versions"][0]["problems"]:
        for answer in problem["answers"]:
            for mistake in answer["mistakes"]:
                seen += 1
                assert mistake["why"] in text
                assert re.search(rf"If you got (?:\S+ \([a-z]\), )*{re.escape(fmt(mistake['value']))} \([a-z]\)", text)
    assert seen


def test_format_follows_the_output_name(tmp_path):
    assert worksheet.output_format(str(tmp_path / "a.html"), None) == "html"
    assert worksheet.output_format(None, None) == "pdf"
    assert worksheet.output_format("a.pdf", "pdf") == "pdf"


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as exit_info:
        main(["worksheet", *args])
    err = capsys.readouterr().err
    return exit_info.value.code, err


@pytest.mark.parametrize(
    "args, message",
    [
        (["--versions", "0"], "--versions must be from 1 to 500"),
        (["--versions", "-3"], "--versions must be from 1 to 500"),
        (["--versions", "501"], "--versions must be from 1 to 500"),
        (["--paper", "a5"], "'a5' is not one of"),
        (["--format", "docx"], "'docx' is not one of"),
        (["--seed", "-1"], "--seed must be"),
        (["no-such-spec"], "not found"),
        (["--format", "html", "-o", "{tmp}/x.pdf"], "make them agree"),
        (["-o", "{tmp}/missing/x.pdf"], "does not exist"),
        (["-o", "{tmp}/same.pdf", "--key", "{tmp}/same.pdf"], "three different files"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        code, err = run_cli(capsys, *args)
    finally:
        os.chdir(before)
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1 and message in err, err
    assert list(tmp_path.iterdir()) == []


def test_missing_dot_is_reported_before_any_work(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(worksheet.UserError, match="Graphviz"):
        worksheet.build_worksheets(choose(None, default="worksheet"), 1, tmp_path / "w.pdf", None, "a4", "pdf")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt,where,fail_in", [
    ("pdf", "views", "views"),  # drawing the second group, while the first is typeset
    ("pdf", "typeset", "typeset"),
    ("pdf", "Joiner", "add"),  # joining a part onto the output
    ("pdf", "Manifest", "close"),  # the manifest's last lines
    ("html", "views", "views"),  # the second group, after the first was written
])
def test_a_failed_or_interrupted_run_leaves_no_file(tmp_path, monkeypatch, fmt, where, fail_in):
    from practice import pdfjoin

    module = {"Joiner": pdfjoin.Joiner, "Manifest": manifest.Manifest, "views": views, "typeset": typeset}[where]
    real, calls = getattr(module, fail_in), []

    def boom(*args, **kwargs):
        calls.append(1)
        if fail_in != "views" or len(calls) == 3:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, fail_in, boom)
    monkeypatch.setattr(views, "VERSIONS_PER_TYPESET", 1)
    with pytest.raises(KeyboardInterrupt):
        worksheet.build_worksheets(choose(None, default="worksheet"), 3, tmp_path / f"w.{fmt}", None, "a4", fmt)
    assert calls and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("full", ["the key", "the manifest"])
def test_a_full_disk_leaves_no_file(tmp_path, monkeypatch, full):
    """All three files are written to temporaries first; a failure in any leaves none of them, in one line."""
    from practice import pdfjoin

    no_space = OSError(28, "No space left on device")
    if full == "the key":
        real = pdfjoin.Joiner.add

        def add(self, part):
            if "key" in Path(self.f.name).name:
                raise no_space
            return real(self, part)

        monkeypatch.setattr(pdfjoin.Joiner, "add", add)
    else:
        class Full(io.StringIO):  # the manifest's file, on a disk with no room left
            def write(self, text):
                raise no_space

        real = manifest.Manifest.__init__
        monkeypatch.setattr(manifest.Manifest, "__init__", lambda self, f, *args: real(self, Full(), *args))
    with pytest.raises(worksheet.UserError, match="No space left") as caught:
        worksheet.build_worksheets(choose(None, default="worksheet"), 1, tmp_path / "w.pdf", None, "a4", "pdf")
    assert str(caught.value).startswith(f"cannot write {tmp_path / ('w-key.pdf' if full == 'the key' else 'w.json')}:")
    assert list(tmp_path.iterdir()) == []


def test_user_text_cannot_become_typst_code():
    hostile = 'x" + eval("1") + "\\ #pagebreak() $ ] } // <# #> << >>\n'
    literal = templates.typst_string(hostile)
    assert literal.startswith('"') and literal.endswith('"') and "\n" not in literal
    import typst

    pdf = typst.compile(f"#({literal})".encode(), format="pdf", ignore_system_fonts=True)
    text = norm(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert 'eval("1")' in text and "#pagebreak()" in text


def test_spec_text_is_printed_as_written(tmp_path):
    """A title and instructions full of Typst syntax come out as plain text on the page."""
    spec_file = tmp_path / "odd.yaml"
    spec_file.write_text(
        'title: "odd"\n'
        'worksheet: {title: "Quiz #3: $x$ \\"hard\\" <b>", instructions: "Use [brackets], *stars* and a \\\\ backslash.", minutes: 5}\n'
        "problems:\n  - {kind: local, difficulty: easy}\n",
        encoding="utf-8",
    )
    out = tmp_path / "odd.pdf"
    worksheet.build_worksheets(choose(str(spec_file)), 1, out, None, "a4", "pdf")
    text = flat("\n".join(pages(out)))
    assert 'Quiz #3: $x$ "hard" <b>' in text
    assert "Use [brackets], *stars* and a \\ backslash." in text


def test_typesetting_in_chunks_gives_the_same_pages(tmp_path, monkeypatch):
    """Versions are typeset a chunk at a time (memory stays flat); the joined PDFs read exactly as one whole."""
    spec = choose(None, default="worksheet")
    monkeypatch.setattr(views, "VERSIONS_PER_TYPESET", 100)
    worksheet.build_worksheets(spec, 3, tmp_path / "whole.pdf")
    monkeypatch.setattr(views, "VERSIONS_PER_TYPESET", 2)  # two chunks, the last one short
    summary = worksheet.build_worksheets(spec, 3, tmp_path / "chunked.pdf")
    for whole, chunked in (("whole.pdf", "chunked.pdf"), ("whole-key.pdf", "chunked-key.pdf")):
        a, b = PdfReader(tmp_path / whole), PdfReader(tmp_path / chunked)
        assert len(a.pages) == len(b.pages)
        squeeze = lambda page: "".join(page.extract_text().split())  # noqa: E731 (pypdf's spacing is a guess)
        assert [squeeze(p) for p in a.pages] == [squeeze(p) for p in b.pages]
        assert [p.mediabox for p in a.pages] == [p.mediabox for p in b.pages]
    assert summary.pages == len(PdfReader(tmp_path / "chunked.pdf").pages)
    assert summary.key_pages == len(PdfReader(tmp_path / "chunked-key.pdf").pages)


def test_a_spec_too_small_to_vary_says_its_versions_repeat(tmp_path, monkeypatch):
    """When every seed gives the same problems, the versions are made anyway, and the summary says how many repeat."""
    import practice.generate

    spec = choose(None, default="worksheet")
    same = {(p["kind"], p["difficulty"]): p for p in problem_set(spec.entries, 1)}
    monkeypatch.setattr(practice.generate, "make_problem", lambda kind, difficulty, seed: same[kind, difficulty])
    monkeypatch.setattr(versions, "DISTINCT_TRIES", 2)
    summary = worksheet.build_worksheets(spec, 3, tmp_path / "w.html", fmt="html")
    assert (summary.versions, summary.problems, summary.repeats) == (3, 3 * len(same), 2)
    assert "; 2 versions repeat an earlier one: the spec allows too few different problems)" in \
        worksheet.summary_line(summary)
    book = json.loads((tmp_path / "w.json").read_text(encoding="utf-8"))
    # the first version's first seed, then the last seed tried for each repeat: what regenerates it
    tried = [(1, 0), (2, 1), (3, 1)]
    assert [v["seed"] for v in book["versions"]] == [versions.version_seed(book["seed"], n, a) for n, a in tried]
    assert all(v["seeds"] == [v["seed"]] * len(same) for v in book["versions"])


def test_a_class_set_is_the_same_bytes_in_any_process(tmp_path):
    """With SOURCE_DATE_EPOCH set (the PDFs' date), two runs under different hash seeds write the same three files,
    several joined parts included (21 versions: two groups)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "SOURCE_DATE_EPOCH": "1700000000"}
    spec = tmp_path / "one.yaml"
    spec.write_text("title: one\nproblems:\n  - {kind: local, difficulty: easy}\n", encoding="utf-8")
    for run, seed in (("a", "1"), ("b", "2")):
        subprocess.run([sys.executable, "-m", "practice", "worksheet", str(spec), "--versions", "21", "-o",
                        str(tmp_path / f"{run}.pdf")], env={**env, "PYTHONHASHSEED": seed}, check=True,
                       capture_output=True)
    for a, b in (("a.pdf", "b.pdf"), ("a-key.pdf", "b-key.pdf"), ("a.json", "b.json")):
        assert (tmp_path / a).read_bytes() == (tmp_path / b).read_bytes(), a
    assert "CreationDate:    Tue Nov 14 22:13:20 2023 UTC" in subprocess.run(
        ["pdfinfo", str(tmp_path / "a.pdf")], capture_output=True, text=True).stdout


def test_html_written_a_group_at_a_time_is_the_same_file(tmp_path, monkeypatch):
    """HTML is written a group of versions at a time (head, groups, tail): the bytes do not depend on the grouping."""
    spec = choose(None, default="worksheet")
    monkeypatch.setattr(views, "VERSIONS_PER_TYPESET", 100)
    worksheet.build_worksheets(spec, 5, tmp_path / "whole.html", fmt="html")
    monkeypatch.setattr(views, "VERSIONS_PER_TYPESET", 2)
    worksheet.build_worksheets(spec, 5, tmp_path / "grouped.html", fmt="html")
    for whole, grouped in (("whole.html", "grouped.html"), ("whole-key.html", "grouped-key.html")):
        text = (tmp_path / whole).read_text(encoding="utf-8")
        assert (tmp_path / grouped).read_text(encoding="utf-8") == text
        assert text.startswith("<!DOCTYPE html>") and text.endswith("</body>\n</html>\n")
        assert text.count('<section class="version"') == 5 and text.count("data:image/svg+xml;base64,") == 25


@pytest.mark.parametrize("to,signum,status,message", [
    ("group", "SIGINT", 130, "interrupted"),  # Ctrl-C at a terminal: the tool and its children get it
    ("tool", "SIGTERM", 143, "terminated"),  # kill PID: only the tool gets it, and ends its children itself
])
def test_a_signal_while_typesetting_leaves_no_file_and_no_child(tmp_path, to, signum, status, message):
    """One line, the signal's status, no file, and no typesetting child left running."""
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "practice", "worksheet", "--versions", "60", "-o", str(tmp_path / "c.pdf")],
        cwd=tmp_path, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        # as at a terminal: a test run started in the background (`make test &`) has SIGINT ignored, which the tool
        # rightly keeps ignored
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    for _ in range(100):  # until a typesetting child runs
        children = subprocess.run(["pgrep", "-f", "-s", str(proc.pid), "import json, sys, typst"],
                                  capture_output=True, text=True).stdout.split()
        if children:
            break
        time.sleep(0.05)
    assert children, "no typesetting child started"
    (os.killpg if to == "group" else os.kill)(proc.pid, getattr(signal, signum))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == status and err == message + "\n" and out == ""
    assert list(tmp_path.iterdir()) == []
    for _ in range(50):  # the typesetting children end within moments
        left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
        if not left:
            break
        time.sleep(0.1)
    assert left == []


def test_a_key_taller_than_a_page_starts_on_a_page_of_its_own(tmp_path):
    """The training sitting's keys hold problems taller than a page (zero_grad's two steps, both ways): such a
    problem starts at the top of a page, so its heading is never left alone at the foot of the page before."""
    worksheet.build_worksheets(choose("training-worksheet"), 2, tmp_path / "tw.pdf", None, "a4", "pdf")
    manifest = json.loads((tmp_path / "tw.json").read_text(encoding="utf-8"))
    tall = 0
    for version, texts in zip(manifest["versions"], by_version(pages(tmp_path / "tw-key.pdf")).values()):
        for number, problem in enumerate(version["problems"], 1):
            [page] = [t for t in texts if re.search(rf"Problem {number}\b", t)]
            rest = page[re.search(rf"Problem {number}\b", page).start():]
            assert "Worked steps" in rest, (version["code"], number, rest[:300])
            tall += problem["kind"] == "zero_grad"
    assert tall == 2  # each version has one: its key runs over a page (the heading was left alone before)
