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
    return problem, concept, cloze
