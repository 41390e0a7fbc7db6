"""QTI 1.2 packages, as Canvas imports them ("QTI .zip file" in Import Course Content; Blackboard and
D2L Brightspace read QTI 1.2 too).

The zip holds:
  imsmanifest.xml                 IMS Content Packaging 1.1: the assessment resource (imsqti_xmlv1p2)
                                  and a webcontent resource listing every picture;
  <assessment>/<assessment>.xml   one assessment (the spec's title) with one section and a
                                  `numerical_question` item per asked answer;
  <assessment>/images/<name>      the question pictures, referenced from the items' HTML as images/<name>.

Each item follows the shape of Canvas's own QTI exports: Canvas metadata (question_type, points_possible),
the question HTML as escaped text in <mattext texttype="text/html">, a decimal fill-in box, and one scored
condition: the key (about 6 significant figures, practice/quiz/view.stored) as <varequal>, or a value in
[key − tolerance, key + tolerance] by <vargte>/<varlte> (Canvas reads this as an exact answer with that
margin). Feedback: the worked steps as general feedback ("general_fb", Canvas's neutral comments) and, for
a wrong answer, the answer's catalogued mistakes as "If you got X: why" lines ("general_incorrect_fb",
Canvas's incorrect comments).

The mistakes are not written as 0-credit ranges of their own: Canvas's importer turns every condition
with a range into a full-credit answer of a numerical question (its numerical answers carry no weight),
so a 0-credit mistake range would be marked right there. One feedback for every wrong answer is what
Canvas can show without that risk.

Identifiers are derived from the problem id and the answer name, and the assessment's from the spec and
seed, so a rebuild gives the same identifiers; the zip's bytes are the same for the same spec and seed.
"""

import hashlib
import re
import zipfile

from .view import check_xml_text, env, html, view

ASSESSMENT_RESOURCE = "imsqti_xmlv1p2"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same package, the same bytes
RESPONSE = "response1"


def ident(*parts: str) -> str:
    """An identifier QTI, IMS CP (xs:ID) and Canvas's converter all keep as is: letters, digits, - and _,
    starting with a letter (the converter rewrites . and : in identifiers)."""
    text = "_".join(re.sub(r"[^A-Za-z0-9-]+", "_", p).strip("_") for p in parts)
    return text if text[:1].isalpha() else "bp_" + text


def assessment_ident(spec) -> str:
    digest = hashlib.sha256(f"{spec.name}\n{spec.title}\n{spec.seed}".encode("utf-8")).hexdigest()[:12]
    return ident("backprop", spec.path.stem, str(spec.seed), digest)


def item_ident(problem_id: str, answer_name: str) -> str:
    return ident(problem_id, answer_name)


def _score_range(a) -> dict:
    from .view import offset

    key, margin = a.text, a.tolerance_text
    return {"key": key, "low": offset(key, margin, -1), "high": offset(key, margin, +1)}


def _item(v, a, pic) -> dict:
    return {
        "ident": item_ident(v.id, a.name),
        "title": check_xml_text(f"{v.id} · {a.name}"),
        "text": html("numerical", v, a, pic),
        "general": html("feedback", v, a, None),
        "wrong": html("wrong_feedback", a),
        "score": _score_range(a),
        "response": RESPONSE,
    }


def package(spec, exercises: list[list[dict]], pics, meta: dict) -> tuple[bytes, dict]:
    """The zip's bytes and what it holds: {"items", "pictures", "problems"}. One variant an exercise: the
    items in the root section. More: a section per exercise holding, for each asked answer, a section that
    selects one of its items (that answer in every variant), which Canvas imports as a question group
    picking one question, so each student gets other numbers."""
    from .moodle import exercise_slots, shown

    aid = assessment_ident(spec)
    folder = aid
    files, pic_of, at = {}, {}, 0
    for variants in exercises:
        for record, (qpic, _apic) in zip(variants, pics[at : at + len(variants)]):
            files[f"{folder}/images/{qpic.name}"] = qpic.data
            pic_of[record["id"]] = shown(qpic, f"images/{qpic.name}")
        at += len(variants)
    if max((len(e) for e in exercises), default=1) == 1:
        entries = [{"item": _item(v, a, pic_of[v.id])} for (record,) in exercises for v in [view(record)] for a in v.answers]
    else:
        entries = []
        for path, views, slots in exercise_slots("", exercises):
            first = views[0].id
            groups = [{"section": {"ident": ident("group", first, pairs[0][1].name), "title": check_xml_text(_title(slot)),
                                   "select": 1, "entries": [{"item": _item(v, a, pic_of[v.id])} for v, a in pairs]}}
                      for slot, pairs in slots]
            entries.append({"section": {"ident": ident("exercise", first), "title": check_xml_text(_title(path)),
                                        "select": None, "entries": groups}})
    flat = list(_linear(entries))
    count = sum(1 for e in flat if e["item"])
    title = check_xml_text(meta["title"], f"spec {spec.name}: the title")
    xml = env("xml").get_template("quiz/qti_assessment.xml.j2").render(
        ident=aid, title=title, entries=flat, info=html("category_info", meta)
    )
    assessment_path = f"{folder}/{aid}.xml"
    manifest = env("xml").get_template("quiz/qti_manifest.xml.j2").render(
        ident=ident("manifest", aid), title=title, assessment={"ident": ident("res", aid), "href": assessment_path},
        pictures={"ident": ident("res", aid, "pictures"), "files": sorted(files)}, resource_type=ASSESSMENT_RESOURCE,
    )
    zipped = [("imsmanifest.xml", manifest.encode("utf-8")), (assessment_path, xml.encode("utf-8"))]
    zipped += [(name, files[name]) for name in sorted(files)]
    records = sum(len(e) for e in exercises)
    return _zip(zipped), {"items": count, "pictures": len(files), "problems": records}


def _title(path: str) -> str:
    """A section's title: the names of a category path below the quiz's (exercise, then answer)."""
    from .moodle import split_category_path

    return " · ".join(n for n in split_category_path(path) if n)


def _linear(entries):
    """Items and sections in document order, as the template writes them: a section as its opening, its
    entries, its closing."""
    for e in entries:
        if "item" in e:
            yield {"open": None, "close": False, "item": e["item"]}
        else:
            yield {"open": e["section"], "close": False, "item": None}
            yield from _linear(e["section"]["entries"])
            yield {"open": None, "close": True, "item": None}


def _zip(entries: list[tuple[str, bytes]]) -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".png") else zipfile.ZIP_DEFLATED
            z.writestr(info, data, compresslevel=9 if info.compress_type == zipfile.ZIP_DEFLATED else None)
    return buffer.getvalue()
