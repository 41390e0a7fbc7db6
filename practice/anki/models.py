"""The deck's three note types (problem, concept, cloze concept), with IDs fixed forever."""

from .fields import MAX_ANSWERS, card_template, css, problem_field_names

# Fixed forever: Anki matches note types by these IDs. Change them and every learner gets duplicates.
PROBLEM_MODEL_ID = 1241934330
CONCEPT_MODEL_ID = 1743628266
CLOZE_MODEL_ID = 1479304016
PROBLEM_MODEL_NAME = "Backprop Practice problem"
CONCEPT_MODEL_NAME = "Backprop Practice concept"
CLOZE_MODEL_NAME = "Backprop Practice concept (cloze)"


def models():
    """(problem model, concept model, cloze concept model), with their fixed IDs."""
    import genanki

    style = css()
    templates = [
        {
            "name": f"Answer {n}",
            "qfmt": card_template("problem_ask_front.html", n=n),
            "afmt": card_template("problem_ask_back.html", n=n),
        }
        for n in range(1, MAX_ANSWERS + 1)
    ]
    templates.append(
        {
            "name": "Whole backward pass",
            "qfmt": card_template("problem_pass_front.html"),
            "afmt": card_template("problem_pass_back.html"),
        }
    )
    problem = genanki.Model(
        PROBLEM_MODEL_ID,
        PROBLEM_MODEL_NAME,
        fields=[{"name": name} for name in problem_field_names()],
        templates=templates,
        css=style,
        sort_field_index=0,
    )
    concept = genanki.Model(
        CONCEPT_MODEL_ID,
        CONCEPT_MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Concept",
                "qfmt": card_template("concept_front.html"),
                "afmt": card_template("concept_back.html"),
            }
        ],
        css=style,
    )
    cloze = genanki.Model(
        CLOZE_MODEL_ID,
        CLOZE_MODEL_NAME,
        fields=[{"name": "Text"}, {"name": "Extra"}],
        templates=[
            {
                "name": "Cloze",
                "qfmt": card_template("concept_cloze_front.html"),
                "afmt": card_template("concept_cloze_back.html"),
            }
        ],
        css=style,
        model_type=genanki.Model.CLOZE,
    )
    for model in (problem, concept, cloze):
        model.__dict__["_req"] = required_fields(model)  # genanki's cached_property, filled in ahead
    return problem, concept, cloze


def required_fields(model) -> list:
    """genanki's Model._req (which fields each card needs, found by rendering its front with one field blank or
    one field filled), the same list, but each template rendered only for the fields its text names: a field
    it never names cannot change what it renders, so that render is the all-filled (or all-blank) one. genanki
    renders every template once per field (some 600 renders of the problem note's fronts)."""
    import chevron

    sentinel = "SeNtInEl"  # genanki's
    names = [field["name"] for field in model.fields]
    req = []
    for ord_, template in enumerate(model.templates):
        qfmt = template["qfmt"]

        def shown(ord_field, value, others):
            values = dict.fromkeys(names, others)
            values[names[ord_field]] = value
            return sentinel in chevron.render(qfmt, values)

        named = [name in qfmt for name in names]
        full = sentinel in chevron.render(qfmt, dict.fromkeys(names, sentinel))
        required = [i for i in range(len(names)) if not (shown(i, "", sentinel) if named[i] else full)]
        if required:
            req.append([ord_, "all", required])
            continue
        empty = sentinel in chevron.render(qfmt, dict.fromkeys(names, ""))
        required = [i for i in range(len(names)) if (shown(i, sentinel, "") if named[i] else empty)]
        if not required:
            raise RuntimeError(f"card template {template['name']!r} shows no field")
        req.append([ord_, "any", required])
    return req
