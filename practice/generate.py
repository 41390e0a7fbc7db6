"""Problems from seeds: draw a kind's graph, reject what is not hand-solvable, and write the answer key."""

import functools
import hashlib
import random

from engine import DomainError

from . import grade
from .errors import UserError
from .kinds import KINDS, Draft, Redraw
from .numbers import all_have_places, fmt
from .record import backward_nodes, both_statements, leaves, listing, worked_steps

MAX_DRAWS = 2000
LIMIT = 1000.0
EXP_LIMIT = 200.0  # exp outputs a person can carry by hand (tanh through exp at |tanh| <= 0.99 needs 199)


def derive_seed(*parts) -> int:
    """A 63-bit seed from text parts; stable across processes and Python versions."""
    return _seed_of(hashlib.sha256(":".join(map(str, ("backprop-practice",) + parts)).encode()))


def derive_seeds(*parts, count: int):
    """derive_seed(*parts, i) for i in range(count), hashing the common text once."""
    common = hashlib.sha256(":".join(map(str, ("backprop-practice",) + parts + ("",))).encode())
    for i in range(count):
        h = common.copy()
        h.update(str(i).encode())
        yield _seed_of(h)


def _seed_of(h) -> int:
    return int.from_bytes(h.digest()[:8], "big") >> 1


def problem_id(kind: str, difficulty: str, seed: int) -> str:
    return f"{kind}-{difficulty}-{seed:016x}"


def degenerate(nodes: list[dict]) -> str | None:
    """What makes a graph teach nothing where it stands (x/x, x − x, × 1, + 0, constants only), or None."""
    constant = {n["name"]: n["data"] for n in nodes if n.get("constant")}
    for n in nodes:
        op = n["op"]
        if not op:
            continue
        inputs = n["inputs"]
        consts = [constant[i] for i in inputs if i in constant] if constant else ()
        if len(consts) == len(inputs):
            return f"{n['name']} is made of constants only"
        if op in ("-", "/") and inputs[0] == inputs[1]:
            return f"{n['name']} takes one value from itself"
        if op == "*" and (1.0 in consts or -1.0 in consts or 0.0 in consts):
            return f"{n['name']} multiplies by {consts[0]:g}"
        if op == "/" and constant.get(inputs[1], 0.0) in (1.0, -1.0):
            return f"{n['name']} divides by {constant[inputs[1]]:g}"
        if op in ("+", "-") and 0.0 in consts:
            return f"{n['name']} adds 0"
        if op == "**" and n["exponent"] in (0, 1):
            return f"{n['name']} raises to {n['exponent']}"
    return None


def _all_short(xs: list[float], difficulty: str, places: int | None) -> bool:
    """Every number one a person can carry at this difficulty: at most LIMIT (so not inf or nan), and at easy
    at most 100 with no decimals, at medium at most 2 decimals (or `places`)."""
    bound = 100 if difficulty == "easy" else LIMIT
    low = -bound
    for x in xs:
        if not low <= x <= bound:  # (abs(x) <= bound without a call; never inf or nan)
            return False
    if difficulty == "hard":
        return True
    return all_have_places(xs, places or (0 if difficulty == "easy" else 2))


def _in_range(op: str | None, data: float, x: float | None) -> bool:
    """An op's output (x: its first input) where the op still teaches: tanh and σ not saturated, exp by hand,
    relu not at its kink."""
    if op == "tanh" and abs(data) > 0.99:
        return False
    if op == "sigmoid" and not 0.01 <= data <= 0.99:
        return False
    if op == "exp" and data > EXP_LIMIT:
        return False
    if op == "relu" and x == 0:
        return False
    return True


def _forward_acceptable(order: list, difficulty: str, places: int | None) -> bool:
    """What a draw's forward pass alone decides (every value short, every op in range), on the engine's graph:
    a draw refused here is refused before its backward pass and record are made; _acceptable tests the rest."""
    if not _all_short([v.data for v in order], difficulty, places):
        return False
    for v in order:
        if v._op in _RANGED and not _in_range(v._op, v.data, v._prev[0].data):
            return False
    return True


_RANGED = ("tanh", "sigmoid", "exp", "relu")  # the ops _in_range tests


def _acceptable(nodes: list[dict], answers: list[tuple[str, float]], difficulty: str, zero_ok: bool,
                places: int | None = None) -> bool:
    """After _forward_acceptable has passed the draw's graph (so every node's data is short and in range):
    every grad is short too, the answers are finite and not all 0 (unless allowed), and nothing degenerate."""
    for _, v in answers:
        if not abs(v) <= LIMIT:
            return False  # (also refuses inf and nan)
    if not _all_short([n["grad"] for n in nodes], difficulty, places):
        return False
    if not zero_ok and all(v == 0 for _, v in answers):
        return False
    return degenerate(nodes) is None


def _question(draft: Draft, nodes: list[dict], asked_text: str, rounding: str, shown: list[str]) -> str:
    """The question's text; `shown`: the statements as people read them."""
    order = draft.given or draft.asked
    rank = {name: i for i, name in enumerate(order)}
    given = sorted(leaves(nodes), key=lambda n: rank.get(n["name"], len(rank)))
    listing = ", ".join(f"{n['name']} = {fmt(n['data'])}" for n in given)
    lines = [draft.intro.replace("{upstream}", fmt(draft.output_grad))]
    lines.append(f"Given {listing} and")
    lines += [f"  {s}" for s in shown]
    start = "" if draft.output_grad != 1 else f", starting from {nodes[-1]['name']}.grad = 1"
    lines.append(f"find {asked_text}{start}.")
    ops = {n["op"] for n in nodes}
    lines += [text for op, text in grade.definitions().items() if op in ops]
    lines.append(rounding)
    return "\n".join(lines)


def grade_draft(draft: Draft, nodes: list[dict], answers, strict: bool = True) -> list[dict]:
    """The graded answers from practice.grade (each non-constant node gains its grad's tolerance), or Unfair."""
    with grade.remembered(nodes, draft.built[2] if draft.built else None):  # (the three read one plan of the graph)
        # evaluate(r, mistake): the kind's own, or the graph's backward pass replayed for the asked grads
        if draft.evaluate:
            evaluate = functools.partial(draft.evaluate, nodes)
        else:
            evaluate = grade.graph_evaluate(nodes, draft.asked, draft.output_grad)
        if strict:
            grade.check_hand_work(nodes)
        mistakes = draft.mistakes + grade.applicable(nodes, draft.output_grad)
        graded, node_tolerances = grade.assess(nodes, answers, draft.output_grad, evaluate, mistakes, strict=strict)
    for n in nodes:
        if n["name"] in node_tolerances:
            n["tolerance"] = node_tolerances[n["name"]]
    return graded


def make_problem(kind: str, difficulty: str, seed: int) -> dict:
    """Problem number `seed` of `kind` at `difficulty`: the same seed always gives the same record."""
    rng = random.Random(seed)
    build = KINDS[kind]
    for _ in range(MAX_DRAWS):
        try:
            draft = build(rng, difficulty)
        except (Redraw, DomainError, UserError):
            continue
        order = draft.built[0] if draft.built else draft.output.topo()
        try:
            record = _problem(kind, difficulty, seed, draft, order)
        finally:
            # Done with the draw's graph (a record holds numbers, never Values): each op's backward closure refers
            # to its output, a cycle that only the garbage collector would free; cut, the graph goes at once.
            for v in order:
                v._backward = None
        if record is not None:
            return record
    raise RuntimeError(f"no acceptable {difficulty} {kind} problem in {MAX_DRAWS} draws (seed {seed})")


def _problem(kind: str, difficulty: str, seed: int, draft: Draft, order: list) -> dict | None:
    """The record of one draw (`order`: its graph, output.topo()), or None where the draw is refused."""
    try:
        if not _forward_acceptable(order, difficulty, draft.places):
            return None
        # (a kind that built the record already: the very nodes a backward pass of the same graph gives again)
        nodes = draft.built[1] if draft.built and draft.built[1] else backward_nodes(draft.output, draft.output_grad, order)
    except (Redraw, DomainError, UserError):
        return None
    by_name = {n["name"]: n for n in nodes}
    more_steps = []
    if draft.finish:
        answers, more_steps, asked_text = draft.finish(by_name)
    else:
        answers = [(f"{name}.grad", by_name[name]["grad"]) for name in draft.asked]
        asked_text = listing([f"{name}.grad" for name in draft.asked])
    if not _acceptable(nodes, answers, difficulty, draft.zero_ok, draft.places):
        return None
    if draft.hopeless and draft.hopeless(by_name, answers):
        return None
    try:
        graded = grade_draft(draft, nodes, answers)
    except grade.Unfair:
        return None
    if draft.lesson and not draft.lesson(graded):
        return None
    rounding = grade.rounding_rule(kind)
    program, shown = both_statements(nodes, by_name)
    record = {
        "id": problem_id(kind, difficulty, seed),
        "seed": seed,
        "kind": kind,
        "difficulty": difficulty,
        "question": _question(draft, nodes, asked_text, rounding, shown),
        "rounding": rounding,
        "output": nodes[-1]["name"],
    }
    if draft.output_grad != 1:
        record["output_grad"] = float(draft.output_grad)
    record["program"] = "; ".join(program)
    record.update(draft.extra)
    record["nodes"] = nodes
    record["answers"] = graded
    record["steps"] = worked_steps(nodes, by_name) + more_steps
    return record


def iter_problems(entries, seed: int):
    """problem_set one problem at a time, for callers that stream."""
    for j, entry in enumerate(entries):
        index = entry.get("index", j)
        for s in derive_seeds(seed, index, entry["kind"], entry["difficulty"], count=entry["count"]):
            yield make_problem(entry["kind"], entry["difficulty"], s)


def problem_set(entries, seed: int) -> list[dict]:
    """A spec's mix from a seed. Problem i of entry j depends only on (seed, j, kind, difficulty, i)."""
    return list(iter_problems(entries, seed))


def document(problems: list[dict], seed) -> dict:
    """The JSON document `problems --json` and `solve --json` print."""
    from . import GENERATOR

    return {"format": "backprop-practice.problems/1", "generator": GENERATOR, "seed": seed, "problems": problems}
