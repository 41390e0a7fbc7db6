"""`quiz --format qti`: QTI 1.2 packages for Canvas, checked for real.

- Every package's assessment validates against the IMS QTI ASI 1.2.1 DTD (tests/qti/, with lxml; the
  namespace declarations stripped, as the DTD is namespace-free).
- The manifest is checked against the structure IMS Content Packaging 1.1 defines (its XSD is not
  available here, so the rules are written out below: element order, required attributes, unique
  identifiers, dependencies that resolve, files that exist); every file the package references is in it.
- Each item's scoring is read back by two independent evaluators written here from the rules, not from
  practice/qti.py: QTI 1.2's response processing (conditions in order, continue="No" stops, setvar,
  displayfeedback), and Canvas's reading of a numerical item (every condition with a range or an exact
  value becomes a full-credit answer, a margin being varlte minus the exact value). Both must accept the
  key and values within its tolerance, and reject every catalogued mistake.
"""

import html
import posixpath
import re
import zipfile
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from lxml import etree

from practice.quiz import command as quiz
from practice.quiz import qti
from practice.exercises import exercise_set
from practice.spec import choose

ROOT = Path(__file__).resolve().parents[1]
DTD = ROOT / "tests" / "qti" / "ims_qtiasiv1p2p1.dtd"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
QTI = "{http://www.imsglobal.org/xsd/ims_qtiasiv1p2}"
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
CASES = [("micrograd", None, "png", 1), ("worksheet", 5, "svg", 1), ("worksheet", 5, "svg", 3)]


def build(tmp_path_factory, spec_name, seed, fmt, variants=1):
    spec = choose(spec_name, seed=seed)
    out = tmp_path_factory.mktemp("qti") / "quiz.zip"
    summary = quiz.build_quiz(spec, out, "qti", fmt, variants=variants)
    exercises = exercise_set(spec.entries, spec.seed, variants)
    with zipfile.ZipFile(out) as z:
        files = {name: z.read(name) for name in z.namelist()}
    return {"spec": spec, "summary": summary, "records": [r for e in exercises for r in e], "exercises": exercises,
            "variants": variants, "files": files, "out": out, "fmt": fmt}


@pytest.fixture(scope="module", params=CASES, ids=[c[0] + ("-variants" if c[3] > 1 else "") for c in CASES])
def package(request, tmp_path_factory):
    if request.param not in BUILT:
        BUILT[request.param] = build(tmp_path_factory, *request.param)
    return BUILT[request.param]


BUILT = {}  # case -> its package: pytest sets a parametrized module fixture up again when the cases interleave


def expected_items(package) -> list[tuple[dict, dict]]:
    """(record, answer) of every item in document order: one variant, each problem's answers; more, for
    each exercise and each of its answers, that answer in every variant (one question group)."""
    if package["variants"] == 1:
        return [(r, a) for r in package["records"] for a in r["answers"]]
    return [(r, r["answers"][k]) for variants in package["exercises"] for k in range(len(variants[0]["answers"])) for r in variants]


def manifest(package):
    return etree.fromstring(package["files"]["imsmanifest.xml"])


def assessment_path(package):
    (resource,) = [r for r in manifest(package).iter(f"{CP}resource") if r.get("type") == "imsqti_xmlv1p2"]
    return resource.get("href")


def assessment(package):
    return etree.fromstring(package["files"][assessment_path(package)])


def items(package):
    return assessment(package).findall(f".//{QTI}item")


def local(tag):
    return tag.rsplit("}", 1)[-1]


# ---------------------------------------------------------------- the DTD


def without_namespaces(root):
    """A copy with every element and attribute name local and no namespace declarations: what the
    namespace-free DTD expects."""
    root = etree.fromstring(etree.tostring(root))
    for el in root.iter():
        if isinstance(el.tag, str):
            el.tag = local(el.tag)
            for name in list(el.attrib):
                if name.startswith("{"):
                    del el.attrib[name]
    etree.cleanup_namespaces(root)
    return root


def test_the_assessment_validates_against_the_qti_1_2_1_dtd(package):
    dtd = etree.DTD(str(DTD))
    doc = without_namespaces(assessment(package))
    assert "xmlns" not in etree.tostring(doc).decode()
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()


def test_the_dtd_does_reject_a_broken_item(package):
    """The check can fail: an item whose resprocessing lost its outcomes is refused."""
    dtd = etree.DTD(str(DTD))
    doc = without_namespaces(assessment(package))
    outcomes = doc.find(".//resprocessing/outcomes")
    outcomes.getparent().remove(outcomes)
    assert not dtd.validate(doc)


# ---------------------------------------------------------------- the manifest (IMS CP 1.1 structure)


def check_cp_manifest(root, names: set[str]) -> list[str]:
    """Problems with an IMS Content Packaging 1.1 manifest, by the rules of its XSD (imscp_v1p1):
    <manifest identifier=ID [version]> holds metadata?, organizations, resources, in that order;
    <organizations> holds organization* (a `default` names one); <resources> holds resource*; a resource
    has identifier=ID, type (required) and href (optional), and holds metadata?, file*, dependency*;
    <file href> is required; <dependency identifierref=IDREF> names a resource. IDs are NCNames, unique.
    Beyond the XSD: every href is a relative path inside the zip, and every file of the zip but the
    manifest is listed."""
    problems, ids = [], {}

    def need_id(el):
        value = el.get("identifier")
        if not value or not NCNAME.fullmatch(value):
            problems.append(f"<{local(el.tag)}> has no valid identifier: {value!r}")
        elif value in ids:
            problems.append(f"identifier {value} is used twice")
        else:
            ids[value] = el

    def order(el, allowed: list[tuple[str, str]]):
        """allowed: (tag, "?"|"1"|"*") in order; every child in the CP namespace must fit."""
        kids = [c for c in el if isinstance(c.tag, str)]
        i = 0
        for tag, count in allowed:
            seen = 0
            while i < len(kids) and kids[i].tag == CP + tag:
                i += 1
                seen += 1
            if count == "1" and seen != 1 or count == "?" and seen > 1:
                problems.append(f"<{local(el.tag)}> needs {'one' if count == '1' else 'at most one'} <{tag}>, has {seen}")
        for extra in kids[i:]:
            problems.append(f"<{local(el.tag)}> has <{local(extra.tag)}> out of place")

    if root.tag != CP + "manifest":
        return [f"the root is {root.tag}, not an IMS CP 1.1 manifest"]
    need_id(root)
    order(root, [("metadata", "?"), ("organizations", "1"), ("resources", "1")])
    organizations = root.find(CP + "organizations")
    if organizations is not None:
        order(organizations, [("organization", "*")])
        for org in organizations.findall(CP + "organization"):
            need_id(org)
    resources = root.find(CP + "resources")
    listed = set()
    if resources is not None:
        order(resources, [("resource", "*")])
        for res in resources.findall(CP + "resource"):
            need_id(res)
            if not res.get("type"):
                problems.append(f"resource {res.get('identifier')} has no type")
            order(res, [("metadata", "?"), ("file", "*"), ("dependency", "*")])
            for f in res.findall(CP + "file"):
                href = f.get("href")
                if not href:
                    problems.append(f"a file of {res.get('identifier')} has no href")
                    continue
                listed.add(href)
            for href in [res.get("href")] + [f.get("href") for f in res.findall(CP + "file")]:
                if href is None:
                    continue
                if href.startswith("/") or ".." in href.split("/") or "://" in href:
                    problems.append(f"href {href} is not a relative path inside the package")
                elif href not in names:
                    problems.append(f"href {href} is not in the zip")
    for res in root.iter(CP + "resource"):
        for dep in res.findall(CP + "dependency"):
            target = ids.get(dep.get("identifierref"))
            if target is None or target.tag != CP + "resource":
                problems.append(f"dependency {dep.get('identifierref')} names no resource")
    if organizations is not None and organizations.get("default") and organizations.get("default") not in ids:
        problems.append("organizations' default names no organization")
    for name in sorted(names - listed - {"imsmanifest.xml"}):
        problems.append(f"{name} is in the zip but not in the manifest")
    return problems


def test_the_manifest_has_the_structure_ims_content_packaging_1_1_defines(package):
    root = manifest(package)
    assert check_cp_manifest(root, set(package["files"])) == []
    assert package["files"]["imsmanifest.xml"].startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root.findtext(f"{CP}metadata/{CP}schema") == "IMS Content"


def test_the_manifest_check_finds_what_is_wrong(package):
    root = manifest(package)
    resource = root.find(f"{CP}resources/{CP}resource")
    etree.SubElement(resource, CP + "file", href="missing.png")
    etree.SubElement(resource, CP + "dependency", identifierref="nowhere")
    names = set(package["files"]) | {"stray.txt"}
    found = " | ".join(check_cp_manifest(root, names))
    assert "missing.png is not in the zip" in found and "nowhere names no resource" in found
    assert "stray.txt is in the zip but not in the manifest" in found and "out of place" in found


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.src = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.src.append(dict(attrs)["src"])


def test_every_referenced_picture_is_in_the_package_and_listed(package):
    path = assessment_path(package)
    root = manifest(package)
    (main,) = [r for r in root.iter(f"{CP}resource") if r.get("href") == path]
    needed = {d.get("identifierref") for d in main.findall(f"{CP}dependency")}
    listed = {f.get("href") for r in root.iter(f"{CP}resource") if r.get("identifier") in needed for f in r.findall(f"{CP}file")}
    seen = set()
    for mattext in assessment(package).iter(f"{QTI}mattext"):
        if mattext.get("texttype") != "text/html":
            continue
        parser = Images()
        parser.feed(mattext.text or "")
        for src in parser.src:
            assert not src.startswith(("/", "http:", "https:", "@@")) and "$" not in src
            name = posixpath.normpath(posixpath.join(posixpath.dirname(path), src))
            assert name in package["files"] and name in listed, src
            seen.add(name)
    pictures = {n for n in package["files"] if n.endswith("." + package["fmt"])}
    assert seen == pictures and len(pictures) == package["summary"].pictures == len(package["records"])
    for name in pictures:
        data = package["files"][name]
        assert data.startswith(b"\x89PNG") if package["fmt"] == "png" else data.startswith(b"<svg")


# ---------------------------------------------------------------- the items


def test_one_numerical_item_per_asked_answer_with_stable_identifiers(package):
    expected = expected_items(package)
    found = items(package)
    assert len(found) == len(expected) == package["summary"].numerical
    for item, (r, a) in zip(found, expected):
        assert item.get("ident") == qti.item_ident(r["id"], a["name"])
        assert r["id"] in item.get("title") and a["name"] in item.get("title")
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")}
        assert fields["question_type"] == "numerical_question" and float(fields["points_possible"]) == 1.0
    assert len({i.get("ident") for i in found}) == len(found)
    (a,) = assessment(package).findall(f"{QTI}assessment")
    assert a.get("title") == package["spec"].title
    assert a.get("ident") == qti.assessment_ident(package["spec"])


def test_the_same_spec_and_seed_give_the_same_bytes(package, tmp_path):
    again = tmp_path / "again.zip"
    quiz.build_quiz(package["spec"], again, "qti", package["fmt"], variants=package["variants"])
    assert again.read_bytes() == package["out"].read_bytes()


def feedback_texts(item) -> dict[str, str]:
    return {f.get("ident"): html.unescape("".join(f.itertext())) for f in item.findall(f"{QTI}itemfeedback")}


def test_the_question_states_everything_and_the_feedback_holds_the_steps(package):
    expected = expected_items(package)
    for item, (r, a) in zip(items(package), expected):
        text = html.unescape(item.findtext(f"{QTI}presentation/{QTI}material/{QTI}mattext"))
        for line in r["question"].split("\n"):
            if line.strip() and not line.startswith("find "):
                assert line.strip() in text
        feedback = feedback_texts(item)
        for step in r["steps"]:
            assert step in feedback["general_fb"]
        for m in a["mistakes"]:
            assert m["why"] in feedback["general_incorrect_fb"]


# ---------------------------------------------------------------- sections: Canvas's question groups


def canvas_quiz(root) -> list[dict]:
    """The quiz's questions as Canvas's importer makes them from the sections (QTIMigrationTool maps a
    <section> to an assessmentSection and its selection_number to <selection select>; Canvas's
    AssessmentTestConverter#process_section then reads them): a section that selects n items is a question
    group {"title", "pick_count": n, "questions": item idents, "points"} (points: points_per_item, else
    the points every item of it has, else 1); items of any other section are questions of the quiz itself,
    in order; sections nest, but a group holds only its own items (groups cannot nest in Canvas)."""
    quiz = []

    def points(item):
        fields = {f.findtext(f"{QTI}fieldlabel"): f.findtext(f"{QTI}fieldentry") for f in item.iter(f"{QTI}qtimetadatafield")}
        return float(fields.get("points_possible", 0))

    def section(el):
        select = el.findtext(f"{QTI}selection_ordering/{QTI}selection/{QTI}selection_number")
        group = None
        target = quiz
        if select is not None and select.strip().isdigit():
            group = {"title": el.get("title"), "pick_count": int(select), "questions": [], "points": None}
            extension = el.findtext(f".//{QTI}points_per_item")
            if extension is not None:
                group["points"] = float(extension)
            target = group["questions"]
        items = []
        for child in el:
            if local(child.tag) == "section":
                section(child)
            elif local(child.tag) == "item":
                target.append({"question": child.get("ident")} if group is None else child.get("ident"))
                items.append(child)
        if group is not None and group["questions"]:
            if group["points"] is None:
                found = {points(i) for i in items}
                group["points"] = found.pop() if len(found) == 1 and 0 not in found else 1.0
            quiz.append({"group": group})

    for top in root.iter(f"{QTI}assessment"):
        for child in top:
            if local(child.tag) == "section":
                section(child)
    return quiz


def test_canvas_reads_each_question_of_an_exercise_as_a_group_that_picks_one_variant(package):
    quiz = canvas_quiz(assessment(package))
    if package["variants"] == 1:  # every item a question of its own, in order
        assert quiz == [{"question": qti.item_ident(r["id"], a["name"])} for r, a in expected_items(package)]
        return
    expected = []
    width = len(str(len(package["exercises"])))
    for i, variants in enumerate(package["exercises"], start=1):
        for k, a in enumerate(variants[0]["answers"]):
            expected.append({"group": {
                "title": f"Exercise {i:0{width}d} · {variants[0]['id']} · {a['name']}", "pick_count": 1, "points": 1.0,
                "questions": [qti.item_ident(r["id"], r["answers"][k]["name"]) for r in variants]}})
            assert all(r["answers"][k]["name"] == a["name"] for r in variants)
    assert quiz == expected
    assert len(expected) == sum(len(e[0]["answers"]) for e in package["exercises"])
    line = package["summary"].line()
    assert f"{len(package['exercises'])} exercises of {package['variants']} variants" in line and "question group" in line


def test_the_section_reading_can_fail():
    """A section without a selection is no group: its items are the quiz's own questions."""
    root = etree.fromstring(f"""<questestinterop xmlns="{QTI[1:-1]}"><assessment ident="a" title="t">
      <section ident="root"><section ident="s" title="loose"><item ident="i1"/><item ident="i2"/></section>
      <section ident="g" title="group"><selection_ordering><selection><selection_number>1</selection_number>
      </selection></selection_ordering><item ident="i3"/></section></section></assessment></questestinterop>""")
    assert canvas_quiz(root) == [{"question": "i1"}, {"question": "i2"},
                                 {"group": {"title": "group", "pick_count": 1, "questions": ["i3"], "points": 1.0}}]


# ---------------------------------------------------------------- scoring, read back two ways


def qti_score(item, response: str) -> tuple[float, list[str]]:
    """QTI 1.2 response processing for one response to the item's single response variable: the SCORE
    outcome (decvar default, Set/Add/Subtract/Multiply/Divide, clamped to min/max) and the feedback shown."""
    (resp,) = item.iter(f"{QTI}response_str")
    (fib,) = resp.iter(f"{QTI}render_fib")
    assert fib.get("fibtype") == "Decimal"
    rp = item.find(f"{QTI}resprocessing")
    (decvar,) = rp.iter(f"{QTI}decvar")
    assert decvar.get("varname", "SCORE") == "SCORE" and decvar.get("vartype") == "Decimal"
    score = float(decvar.get("defaultval", "0"))
    value = float(response)

    def holds(el) -> bool:
        tag = local(el.tag)
        if tag == "other":
            return True
        if tag == "and":
            return all(holds(c) for c in el)
        if tag == "or":
            return any(holds(c) for c in el)
        if tag == "not":
            (child,) = list(el)
            return not holds(child)
        assert el.get("respident") == resp.get("ident")
        bound = float(el.text)
        return {"varequal": value == bound, "vargte": value >= bound, "varlte": value <= bound,
                "vargt": value > bound, "varlt": value < bound}[tag]

    shown = []
    for rc in rp.findall(f"{QTI}respcondition"):
        if all(holds(c) for c in rc.find(f"{QTI}conditionvar")):  # several children: an implicit and
            for sv in rc.findall(f"{QTI}setvar"):
                x = float(sv.text)
                action = sv.get("action", "Set")
                ops = {"Set": lambda: x, "Add": lambda: score + x, "Subtract": lambda: score - x,
                       "Multiply": lambda: score * x, "Divide": lambda: score / x}
                score = ops[action]()
            shown += [d.get("linkrefid") for d in rc.findall(f"{QTI}displayfeedback")]
            if rc.get("continue", "No") == "No":
                break
    lo, hi = float(decvar.get("minvalue", "-inf")), float(decvar.get("maxvalue", "inf"))
    return min(max(score, lo), hi) / float(decvar.get("maxvalue", "100")), shown


def canvas_answers(item) -> list[tuple]:
    """A numerical item as Canvas's importer reads it (qti_exporter numeric_interaction): each response
    condition with an <or> holding an exact value is an exact answer whose margin is its varlte minus the
    value (in decimal); else one with an <and> is a range; either way a full-credit answer."""
    answers = []
    for rc in item.iter(f"{QTI}respcondition"):
        cond = rc.find(f"{QTI}conditionvar")
        ors = list(cond.iter(f"{QTI}or"))
        ands = list(cond.iter(f"{QTI}and"))
        if ors:
            exact = ors[0].find(f".//{QTI}varequal")
            if exact is None:
                continue
            upper = ors[0].find(f".//{QTI}and/{QTI}varlte")
            margin = Decimal(upper.text) - Decimal(exact.text) if upper is not None else Decimal(0)
            answers.append(("exact", Decimal(exact.text), margin))
        elif ands or len(cond) > 1:  # several tests in one conditionvar become an <and> in the conversion
            low = cond.find(f".//{QTI}vargte")
            high = cond.find(f".//{QTI}varlte")
            if low is not None or high is not None:
                answers.append(("range", Decimal(low.text) if low is not None else None, Decimal(high.text) if high is not None else None))
    return answers


def canvas_right(answers, value: float) -> bool:
    v = Decimal(repr(value))
    for kind, a, b in answers:
        if kind == "exact" and a - b <= v <= a + b:
            return True
        if kind == "range" and (a is None or a <= v) and (b is None or v <= b):
            return True
    return False


def test_every_item_accepts_the_key_and_rejects_every_catalogued_mistake_both_ways(package):
    expected = expected_items(package)
    mistakes = 0
    for item, (r, a) in zip(items(package), expected):
        canvas = canvas_answers(item)
        assert len(canvas) == 1  # one full-credit answer: nothing else Canvas could mark right
        for f in (0, -0.99, -0.5, 0.5, 0.99):
            value = a["value"] + f * a["tolerance"]
            score, shown = qti_score(item, repr(value))
            assert score == 1.0 and "general_fb" in shown and "general_incorrect_fb" not in shown, (r["id"], a["name"], value)
            assert canvas_right(canvas, value), (r["id"], a["name"], value)
        for m in a["mistakes"]:
            score, shown = qti_score(item, repr(m["value"]))
            assert score == 0.0 and "general_incorrect_fb" in shown, (r["id"], a["name"], m)
            assert not canvas_right(canvas, m["value"]), (r["id"], a["name"], m)
            mistakes += 1
        for far in (a["value"] + 3 * a["tolerance"], -a["value"] - 1):
            if abs(far - a["value"]) > a["tolerance"] * 1.01:
                assert qti_score(item, repr(far))[0] == 0.0 and not canvas_right(canvas, far)
    assert mistakes >= len(package["records"])


def test_the_scored_range_is_the_key_and_its_tolerance(package):
    expected = expected_items(package)
    for item, (r, a) in zip(items(package), expected):
        ((kind, exact, margin),) = canvas_answers(item)
        assert kind == "exact" and float(margin) == a["tolerance"]
        assert abs(float(exact) - a["value"]) <= a["tolerance"] / 100


def test_the_evaluators_can_fail():
    """The same evaluators on hand-made items: a 0-credit range after the key is still a right answer to
    Canvas (why the package never writes one), and QTI's continue rule is honoured."""
    item = etree.fromstring(f"""<item xmlns="{QTI[1:-1]}" ident="x"><presentation><response_str ident="r">
      <render_fib fibtype="Decimal"/></response_str></presentation><resprocessing><outcomes>
      <decvar varname="SCORE" vartype="Decimal" minvalue="0" maxvalue="100"/></outcomes>
      <respcondition continue="No"><conditionvar><or><varequal respident="r">2</varequal><and>
      <vargte respident="r">1.9</vargte><varlte respident="r">2.1</varlte></and></or></conditionvar>
      <setvar action="Set">100</setvar></respcondition>
      <respcondition continue="No"><conditionvar><vargte respident="r">4.9</vargte><varlte respident="r">5.1</varlte>
      </conditionvar><setvar action="Set">0</setvar><displayfeedback linkrefid="slip"/></respcondition>
      </resprocessing></item>""")
    assert qti_score(item, "2.05") == (1.0, [])
    assert qti_score(item, "5") == (0.0, ["slip"])
    assert canvas_right(canvas_answers(item), 5.0)  # Canvas would mark the mistake right
