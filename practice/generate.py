"""Problems from seeds: draw a kind's graph, reject what is not hand-solvable, and write the answer key."""

import hashlib
import math
import random

from engine import DomainError

from .errors import UserError
from .kinds import KINDS, Draft, Redraw
from .numbers import fmt, has_places
from .record import flatten, leaves, listing, statements

MAX_DRAWS = 2000
LIMIT = 1000.0


def derive_seed(*parts) -> int:
    """A 63-bit seed from text parts; stable across processes and Python versions."""
    text = ":".join(str(p) for p in ("backprop-practice",) + parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1


def problem_id(kind: str, difficulty: str, seed: int) -> str:
    return f"{kind}-{difficulty}-{seed:016x}"


def tolerance(value: float, difficulty: str, name: str) -> float:
    """How far a hand answer may be off: at least the display rounding, relative for large values."""
    if name == "estimate":
        return round(0.01 + 0.001 * abs(value), 6)
    if difficulty == "hard" or difficulty == "custom":  # hand work rounds intermediates to 4 decimals
        return round(max(0.001, 0.002 * abs(value)), 6)
    return round(max(0.001, 0.0001 * abs(value)), 6)


def _acceptable(nodes: list[dict], answers: list[tuple[str, float]], difficulty: str) -> bool:
    by_name = {n["name"]: n for n in nodes}
    node_numbers = [v for n in nodes for v in (n["data"], n["grad"])]
    if not all(math.isfinite(v) and abs(v) <= LIMIT for v in node_numbers + [v for _, v in answers]):
        return False
    if difficulty == "easy" and not all(has_places(v, 0) and abs(v) <= 100 for v in node_numbers):
        return False
    if difficulty == "medium" and not all(has_places(v, 2) for v in node_numbers):
        return False
    for n in nodes:
        if n["op"] == "tanh" and abs(n["data"]) > 0.99:
            return False
        if n["op"] == "sigmoid" and not 0.01 <= n["data"] <= 0.99:
            return False
        if n["op"] == "relu" and by_name[n["inputs"][0]]["data"] == 0:
            return False
    values = [v for _, v in answers]
    if all(v == 0 for v in values):
        return False
    return all(v == 0 or abs(v) >= 0.001 for v in values)


def _question(draft: Draft, nodes: list[dict], asked_text: str) -> str:
    order = draft.given or draft.asked
    rank = {name: i for i, name in enumerate(order)}
    given = sorted(leaves(nodes), key=lambda n: rank.get(n["name"], len(rank)))
    listing = ", ".join(f"{n['name']} = {fmt(n['data'])}" for n in given)
    lines = [draft.intro.replace("{upstream}", fmt(draft.output_grad))]
    lines.append(f"Given {listing} and")
    lines += [f"  {s}" for s in statements(nodes, pretty=True)]
    start = "" if draft.output_grad != 1 else f", starting from {nodes[-1]['name']}.grad = 1"
    lines.append(f"find {asked_text}{start}.")
    return "\n".join(lines)


def make_problem(kind: str, difficulty: str, seed: int) -> dict:
    """Problem number `seed` of `kind` at `difficulty`: the same seed always gives the same record."""
    rng = random.Random(seed)
    build = KINDS[kind]
    for _ in range(MAX_DRAWS):
        try:
            draft = build(rng, difficulty)
            nodes, steps = flatten(draft.output, draft.output_grad)
        except (Redraw, DomainError, UserError):
            continue
        by_name = {n["name"]: n for n in nodes}
        if draft.finish:
            answers, more_steps, asked_text = draft.finish(by_name)
            steps = steps + more_steps
        else:
            answers = [(f"{name}.grad", by_name[name]["grad"]) for name in draft.asked]
            asked_text = listing([f"{name}.grad" for name in draft.asked])
        if not _acceptable(nodes, answers, difficulty):
            continue
        record = {
            "id": problem_id(kind, difficulty, seed),
            "seed": seed,
            "kind": kind,
            "difficulty": difficulty,
            "question": _question(draft, nodes, asked_text),
            "output": nodes[-1]["name"],
        }
        if draft.output_grad != 1:
            record["output_grad"] = float(draft.output_grad)
        record["program"] = "; ".join(statements(nodes))
        record.update(draft.extra)
        record["nodes"] = nodes
        record["answers"] = [
            {"name": name, "value": value, "tolerance": tolerance(value, difficulty, name)} for name, value in answers
        ]
        record["steps"] = steps
        return record
    raise RuntimeError(f"no acceptable {difficulty} {kind} problem in {MAX_DRAWS} draws (seed {seed})")


def iter_problems(entries, seed: int):
    """problem_set one problem at a time, for callers that stream."""
    for j, entry in enumerate(entries):
        index = entry.get("index", j)
        for i in range(entry["count"]):
            s = derive_seed(seed, index, entry["kind"], entry["difficulty"], i)
            yield make_problem(entry["kind"], entry["difficulty"], s)


def problem_set(entries, seed: int) -> list[dict]:
    """A spec's mix from a seed. Problem i of entry j depends only on (seed, j, kind, difficulty, i)."""
    return list(iter_problems(entries, seed))


def document(problems: list[dict], seed) -> dict:
    """The JSON document `problems --json` and `solve --json` print."""
    from . import GENERATOR

    return {"format": "backprop-practice.problems/1", "generator": GENERATOR, "seed": seed, "problems": problems}
