"""The grading texts a learner reads, from templates/grading/: the catalogue of the lesson's classic mistakes
(what each is about, and why a learner's number comes from it), the rounding rule of each kind, and the sentences
a question adds for an op. practice.grade lends these names; practice.replay reads which op each mistake bends."""

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

from .resources import templates_dir


@dataclass(frozen=True)
class Mistake:
    name: str
    why: str      # one line in the learner's terms; {answer} is the answer's name, {param} its parameter
    applies: str  # what the mistake is about: an op ("*", "tanh", ...), "reuse", "upstream" or a kind's step


@functools.cache
def _texts() -> dict:
    """Every YAML file in templates/grading/, merged section by section (`rounding`, `definitions`, `mistakes`)."""
    merged: dict[str, dict] = {}
    for path in sorted(Path(templates_dir(), "grading").glob("*.yaml")):
        for section, entries in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            merged.setdefault(section, {}).update(entries or {})
    return merged


def texts(section: str) -> dict:
    return _texts().get(section, {})


@functools.cache
def catalogue() -> dict[str, Mistake]:
    """name -> Mistake, in the order the catalogue lists them."""
    return {name: Mistake(name, entry["why"].strip(), entry["applies"]) for name, entry in texts("mistakes").items()}


@functools.cache
def rounding_rule(kind: str) -> str:
    """The sentence that tells a learner how to round, for a kind (or the default)."""
    texts_ = texts("rounding")
    return " ".join(texts_.get(kind, texts_["default"]).split())


@functools.cache
def definitions() -> dict[str, str]:
    """op -> the sentence a question adds when the op appears (log's base, σ's formula)."""
    return {op: " ".join(text.split()) for op, text in texts("definitions").items()}


@functools.lru_cache(maxsize=1 << 12)  # the same few (mistake, answer) pairs in every problem
def why(name: str, answer: str) -> str:
    param = answer.rsplit(".", 1)[0]
    return catalogue()[name].why.format(answer=answer, param=param)
