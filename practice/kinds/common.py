"""What every problem kind shares: the draft it hands back, and number pickers per difficulty."""

import functools
from dataclasses import dataclass, field

from engine import Value

DIFFICULTIES = ("easy", "medium", "hard")


class Redraw(Exception):
    """This draw is not a good problem; draw again from the same random stream."""


@dataclass
class Draft:
    """A built graph before its backward pass, and what the problem asks of it."""

    output: Value
    asked: list[str]                      # node names whose grads are asked
    intro: str                            # the question's opening sentence(s)
    output_grad: float = 1.0
    extra: dict = field(default_factory=dict)  # fields added to the record (learning_rate, h, ...)
    finish: object = None                 # optional: finish(by_name) -> (answers [(name, value)], steps [str], asked_text)
    given: list[str] = field(default_factory=list)  # order to list given values in (default: asked first)
    # How a learner answers: evaluate(nodes, r, mistake) -> {answer name: value}, or None where the mistake
    # does not apply; r rounds every intermediate; mistake is a catalogue name (practice/grade.py) or None.
    # Default: the graph's backward pass replayed by grade.work, for the asked grads.
    evaluate: object = None
    mistakes: list[str] = field(default_factory=list)  # catalogue names beyond the graph's own (no-update, ...)
    zero_ok: bool = False  # every asked answer may be 0 (a blocked relu is the lesson)
    lesson: object = None  # optional check(answers) -> bool: the problem tests this kind's own lesson
    # optional hopeless(by_name, answers) -> bool, before grading: True only for a draw that grading or `lesson`
    # is sure to refuse (a cheap test, so that exactly the same draws are kept).
    hopeless: object = None
    places: int | None = None  # optional: the most decimals a node value may have, where a given rate (α, lr)
    #                            needs more than the difficulty allows (easy: 0, medium: 2)
    # optional (order, nodes, replays): what a kind has already made of `output`, its topo order, and where it works
    # on the record itself, its record nodes (record.backward_nodes) and the replays remembered for them (or None
    # for each), so that generation neither orders nor flattens the graph again nor replays those passes again
    built: tuple | None = None


STEPS = {"easy": 1.0, "medium": 0.5, "hard": 0.1}


def below(rng, n: int) -> int:
    """A random int in range(n), n >= 1: the very number rng.randrange(n) draws (as CPython draws it, and so
    choice and randint: the fewest random bits that hold n, drawn again while too big), from the public
    getrandbits without randrange's checks and calls (a problem's draw picks dozens of numbers)."""
    k = n.bit_length()
    r = rng.getrandbits(k)
    while r >= n:
        r = rng.getrandbits(k)
    return r


def pick(rng, seq):
    """rng.choice(seq) for a non-empty sequence: the same element (choice draws its index as `below` does)."""
    return seq[below(rng, len(seq))]


def pick_value(rng, difficulty: str, low: float = -4, high: float = 4, nonzero: bool = True) -> float:
    """A given number a person can work with: integers (easy), halves (medium), tenths (hard)."""
    zero, values = _grid(difficulty, low, high)
    while True:
        i = below(rng, len(values))  # (rng.randint(lo, hi) is lo + that)
        if i != zero or not nonzero:
            return values[i]


@functools.cache
def _grid(difficulty: str, low: float, high: float) -> tuple[int, list[float]]:
    """(zero, values): pick_value draws i in range(len(values)) and gives values[i], i − zero steps of the difficulty."""
    step = STEPS[difficulty]
    lo, stop = round(low / step), round(high / step) + 1
    return -lo, [round(k * step, 4) for k in range(lo, stop)]


def pick_upstream(rng, difficulty: str) -> float:
    """A gradient arriving from above, for one-op problems."""
    choices = {"easy": [-3, -2, 2, 3, 4], "medium": [-2, -1.5, -0.5, 0.5, 1.5, 2, 3], "hard": [-2, -0.5, 0.5, 1.5, 2]}
    return float(pick(rng, choices[difficulty]))


def leaves(names, rng, difficulty, low: float = -4, high: float = 4, nonzero: bool = True) -> list[Value]:
    return [Value(pick_value(rng, difficulty, low, high, nonzero), name) for name in names]
