"""Exercises: N variants of one problem, of one structure and other numbers, so every showing is new.

Variant 1 of an exercise is the problem a spec's mix has at that position (today's problem, under its own
id); variants 2..N are the first candidates of variant 1's structure (practice/equivalence.py, the rule a
class set's versions follow) whose question is not an earlier variant's. Candidate c of variant k comes
from a seed derived from variant 1's seed, k and c, so an exercise depends only on the set seed, its spec
entry and its position, and variant k does not change when N does. With N > 1 each record gains
`exercise` (variant 1's id, shared by all) and `variant` (1 to N); with N = 1 the records are today's.
"""

from .equivalence import first_equivalent, structure
from .generate import derive_seed, iter_problems, make_problem
from .spec import MAX_VARIANTS  # noqa: F401  (the one limit; spec.check_variants checks it)

DEFAULT_DECK_VARIANTS = 8


def variant_seed(first_seed: int, variant: int, candidate: int) -> int:
    return derive_seed("variant", first_seed, variant, candidate)


def variants_of(first: dict, n: int) -> list[dict]:
    """The n variants of the exercise whose variant 1 is `first` (a record from make_problem)."""
    if n <= 1:
        return [first]
    kind, difficulty, seed = first["kind"], first["difficulty"], first["seed"]
    target = structure(first)
    found = [first]
    questions = {first["question"]}
    for k in range(2, n + 1):
        def candidate(c, k=k):
            s = variant_seed(seed, k, c)
            return make_problem(kind, difficulty, s), s

        chosen = first_equivalent(candidate, target, accept=lambda p: p["question"] not in questions)
        if chosen is None:  # not even the loose structure in MAX_CANDIDATES: the kind's own next draw
            chosen = candidate(0)
        problem = chosen[0]
        questions.add(problem["question"])
        found.append(problem)
    exercise = first["id"]
    return [_tagged(p, exercise, k) for k, p in enumerate(found, start=1)]


def _tagged(problem: dict, exercise: str, variant: int) -> dict:
    """The record with `exercise` and `variant` after its id and seed (a copy: variant 1 is shared)."""
    out = {}
    for key, value in problem.items():
        out[key] = value
        if key == "seed":
            out["exercise"] = exercise
            out["variant"] = variant
    return out


def iter_exercises(entries, seed: int, variants: int = 1):
    """The spec's mix from `seed`, an exercise (a list of `variants` records) at a time, in the mix's order."""
    for first in iter_problems(entries, seed):
        yield variants_of(first, variants)


def exercise_set(entries, seed: int, variants: int = 1) -> list[list[dict]]:
    return list(iter_exercises(entries, seed, variants))
