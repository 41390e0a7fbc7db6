"""A class set's versions: their seeds and codes, and their problems.

Versions of one set are equivalent: at each position of the spec's mix every version has a problem of the same
structure (kind, difficulty, leaves, asked answers and so marks, value nodes, worked steps, and ops counted by
family), so they are equally long and score the same, and differ only in numbers and in ops of one family
(+ or −, × or ÷, one curve for another). Problems are costly to make, so a position whose structure is rare may
settle, after STRICT_TRIES candidates, for one of the same length and marks whose ops differ in family. A position's structure is the commonest among a few reference draws;
each version takes, at each position, the first of its candidates with that structure.

Candidate c of position p of a version is position p of the spec's mix made from one set seed: the version's
own seed for c = 0, a seed derived from it and (p, c) otherwise. The manifest records that seed per position,
so `problems SPEC --seed <seed> --json` shows the problem again at the same position.
"""

from collections import Counter
from dataclasses import dataclass, field

from ..equivalence import FAMILIES, STRICT_TRIES, first_equivalent, loose_structure, marks, structure  # noqa: F401

DISTINCT_TRIES = 50  # re-derive a version's seed at most this often when it repeats an earlier version
REFERENCE_DRAWS = 24  # draws of a position whose commonest structure every version then matches
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base 32: no I, L, O, U to misread


@dataclass
class Version:
    number: int
    code: str
    seed: int  # the version's own seed: its code's letters, and its candidates, derive from it
    problems: list[dict]
    seeds: list[int] = field(default_factory=list)  # per position: the set seed whose mix has this problem there
    pictures: list = field(default_factory=list)  # (question Picture, answer Picture) per problem, while drawn
    blanks: list = field(default_factory=list)  # the natural (width, height) of each question picture's grad blanks


def version_seed(set_seed: int, number: int, attempt: int = 0) -> int:
    """Version `number`'s seed: stable across processes; `attempt` > 0 only when an earlier try repeated a version."""
    from ..generate import derive_seed

    parts = ("worksheet-version", set_seed, number) + ((attempt,) if attempt else ())
    return derive_seed(*parts)


def version_code(number: int, seed: int, width: int = 2) -> str:
    """A short code printed on every page: the version number and four letters from its seed, e.g. V07-K3QX."""
    letters, x = [], seed
    for _ in range(4):
        letters.append(CODE_ALPHABET[x % 32])
        x //= 32
    return f"V{number:0{width}d}-{''.join(letters)}"


def positions(entries) -> list[tuple[dict, int]]:
    """The spec's mix position by position: (entry, i) for problem i of the entry."""
    return [(entry, i) for entry in entries for i in range(entry["count"])]


def problem_at(entry: dict, i: int, set_seed: int, index: int) -> dict:
    """Position (entry, i) of `problem_set(entries, set_seed)`: the same derivation, for that one problem."""
    from .. import generate

    kind, difficulty = entry["kind"], entry["difficulty"]
    return generate.make_problem(kind, difficulty, generate.derive_seed(set_seed, entry.get("index", index), kind, difficulty, i))


def _entry_indexes(entries) -> dict[int, int]:
    return {id(e): j for j, e in enumerate(entries)}


def targets(entries, set_seed: int) -> list[tuple]:
    """Each position's structure: the commonest among REFERENCE_DRAWS draws (the earliest drawn on a tie)."""
    from ..generate import derive_seed

    index = _entry_indexes(entries)
    found = []
    for p, (entry, i) in enumerate(positions(entries)):
        seen = Counter()
        for c in range(REFERENCE_DRAWS):
            seen[structure(problem_at(entry, i, derive_seed("worksheet-reference", set_seed, p, c), index[id(entry)]))] += 1
        found.append(seen.most_common(1)[0][0])  # Counter keeps first-seen order among equal counts
    return found


def candidate_seed(seed: int, position: int, candidate: int) -> int:
    from ..generate import derive_seed

    return seed if candidate == 0 else derive_seed("worksheet-candidate", seed, position, candidate)


def equivalent_problems(entries, seed: int, wanted: list[tuple]) -> tuple[list[dict], list[int]]:
    """(problems, the set seed of each) for a version of seed `seed`: at each position the first candidate whose
    structure is the wanted one. Problems are costly to make, so after STRICT_TRIES candidates the first one
    tried that matches all but the op families (the same length and marks) will do; failing that within
    MAX_CANDIDATES, the first with the loose structure (kind, difficulty, leaves, answers, marks)."""
    index = _entry_indexes(entries)
    problems, seeds = [], []
    for p, ((entry, i), target) in enumerate(zip(positions(entries), wanted)):
        def candidate(c, p=p, entry=entry, i=i):
            s = candidate_seed(seed, p, c)
            return problem_at(entry, i, s, index[id(entry)]), s

        problem, s = first_equivalent(candidate, target) or (problem_at(entry, i, seed, index[id(entry)]), seed)
        problems.append(problem)
        seeds.append(s)
    return problems, seeds


def _questions(problems: list[dict]) -> tuple:
    return tuple(p["question"] for p in problems)


def iter_versions(spec, count: int):
    """`count` equivalent versions of the spec's mix, made one at a time. A version that would repeat an earlier
    one is drawn again from the next attempt's seed (up to DISTINCT_TRIES times: a spec with few possible problems
    may still repeat); the manifest records the seeds used either way."""
    wanted = targets(spec.entries, spec.seed)
    width = max(2, len(str(count)))
    seen = set()
    for number in range(1, count + 1):
        for attempt in range(DISTINCT_TRIES):
            seed = version_seed(spec.seed, number, attempt)
            problems, seeds = equivalent_problems(spec.entries, seed, wanted)
            if _questions(problems) not in seen:
                break
        seen.add(_questions(problems))
        yield Version(number, version_code(number, seed, width), seed, problems, seeds)


def make_versions(spec, count: int) -> list[Version]:
    return list(iter_versions(spec, count))


def signature(problems: list[dict]) -> tuple:
    """What tells two versions apart (the manifest counts repeats by it)."""
    return _questions(problems)
