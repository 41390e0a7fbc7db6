"""When two problems are the same exercise: the structure a class set's versions and a note's variants share.

Two problems of one structure have the same kind, difficulty, number of leaves, asked answers (and so
marks), value nodes, worked steps and ops counted by family (+ or −, × or ÷, one curve for another): they
are equally long, score the same, and differ only in their numbers and in ops of one family. Problems are
costly to make, so a search for a rare structure may settle, after STRICT_TRIES candidates, for one of the
same length and marks whose ops differ in family, and after MAX_CANDIDATES for one with the loose
structure (kind, difficulty, leaves, answers, marks).
"""

from collections import Counter

STRICT_TRIES = 64  # candidates tried for the whole structure before settling for the same length and marks
MAX_CANDIDATES = 400  # candidates tried before settling for the same kind, leaves and marks
FAMILIES = {"+": "add", "-": "add", "*": "mul", "/": "mul", "**": "power", "neg": "neg", "relu": "relu",
            "tanh": "curve", "sigmoid": "curve", "exp": "curve", "log": "curve"}
LENGTH = 7  # structure()[:LENGTH]: the loose structure, value nodes and worked steps (all but the op families)
LOOSE = 5  # structure()[:LOOSE]: the loose structure


def marks(problem: dict) -> int:
    """A problem's marks: one an asked answer."""
    return len(problem["answers"])


def loose_structure(problem: dict) -> tuple:
    """What every equivalent problem shares at the least: kind, difficulty, leaves, asked answers, marks."""
    from .record import leaves

    return (problem["kind"], problem["difficulty"], len(leaves(problem["nodes"])), len(problem["answers"]), marks(problem))


def structure(problem: dict) -> tuple:
    """The loose structure, and the length of the work: value nodes, worked steps, and ops counted by family."""
    nodes = problem["nodes"]
    ops = Counter(FAMILIES.get(n["op"], n["op"]) for n in nodes if n["op"])
    values = sum(1 for n in nodes if not n.get("constant"))
    return loose_structure(problem) + (values, len(problem["steps"]), tuple(sorted(ops.items())))


def first_equivalent(candidate, target: tuple, accept=lambda problem: True):
    """(problem, key) of the first candidate whose structure is `target`, by the rule above.

    `candidate(c)` makes candidate c (c = 0, 1, ...) and returns (problem, key); `accept(problem)` may refuse
    one whatever its structure (a variant that repeats an earlier one). Returns None when no candidate of
    MAX_CANDIDATES matches even the loose structure."""
    same_length = same_marks = None
    for c in range(MAX_CANDIDATES):
        problem, key = candidate(c)
        if accept(problem):
            found = structure(problem)
            if found == target:
                return problem, key
            if same_length is None and found[:LENGTH] == target[:LENGTH]:
                same_length = (problem, key)
            if same_marks is None and found[:LOOSE] == target[:LOOSE]:
                same_marks = (problem, key)
        if c + 1 >= STRICT_TRIES and same_length:
            return same_length
    return same_length or same_marks
