"""What each card of a problem asks and shows: the setup without the parts one card doesn't say, the worked
steps one answer needs, and which answers get a card of their own. Plain functions of a problem record."""

import re

_GRAD_LINE = re.compile(r"^(.+?)\.grad \+= ")


# A line of the setup that tells the learner to do the whole backward pass: only the whole-pass card says it
# (its Pass field does), since the other cards ask for one answer.
_WHOLE_PASS_LINE = re.compile(r"\bwhole backward pass\b", re.IGNORECASE)


def question_parts(question: str, rounding: str = "") -> tuple[list[tuple[str, list[str]]], str]:
    """The setup of a question as blocks ("text" lines, or "program" statements indented by two spaces),
    and its "find ..." line (given to each card separately, since each card asks one thing).
    The rounding rule (the question's last line, when given) and a whole-pass instruction are left out."""
    lines = question.split("\n")
    if rounding and lines and lines[-1].strip() == rounding.strip():
        lines.pop()
    find = ""
    asks = [i for i, line in enumerate(lines) if line.startswith("find ")]
    if asks:  # the last "find ..." line; notes after it (what log means, say) stay in the setup
        find = lines.pop(asks[-1])
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("  "):
            if blocks and blocks[-1][0] == "program":
                blocks[-1][1].append(line.strip())
            else:
                blocks.append(("program", [line.strip()]))
        elif line.strip() and not (_WHOLE_PASS_LINE.search(line) and "=" not in line):
            blocks.append(("text", [line.strip()]))
    return blocks, find


def _users(nodes: list[dict]) -> dict[str, set[str]]:
    """Node name -> the nodes computed from it directly."""
    users: dict[str, set[str]] = {}
    for node in nodes:
        for inp in node.get("inputs") or []:
            users.setdefault(inp, set()).add(node["name"])
    return users


def _downstream(users: dict[str, set[str]], start: str) -> set[str]:
    """`start` and every node computed from it: the grads that `start`'s grad is built from."""
    seen, todo = {start}, [start]
    while todo:
        for user in users.get(todo.pop(), ()):
            if user not in seen:
                seen.add(user)
                todo.append(user)
    return seen


def _step_lines(problem: dict):
    """(the worked steps, the node names, per step the node whose grad it adds to or None, the users map): what
    steps_for reads, found once for all the answers of a problem."""
    steps = list(problem.get("steps") or [])
    nodes = problem["nodes"]
    names = {n["name"] for n in nodes}
    grads = []
    for line in steps:
        m = _GRAD_LINE.match(line)
        grads.append(m.group(1) if m and m.group(1) in names else None)
    return steps, names, grads, _users(nodes)


def steps_for(problem: dict, name: str, _lines=None) -> list[str]:
    """The worked steps one answer needs: the backward lines into its node and everything downstream of it,
    and the lines after the backward pass (the update, the finite difference) that concern it."""
    steps, names, grads, users = _lines or _step_lines(problem)
    base = name.rsplit(".", 1)[0] if name.endswith((".grad", ".new")) else None
    keep = _downstream(users, base) if base in names else (set() if name == "estimate" else None)
    mention = None  # compiled only for a line that needs it
    chosen = []
    for line, grad in zip(steps, grads):
        if grad is not None:
            if keep is None or grad in keep:
                chosen.append(line)
        elif keep is None or name == "estimate":
            chosen.append(line)
        else:
            if mention is None:
                mention = re.compile(rf"(?<![\w.]){re.escape(name)}(?![\w])")
            if mention.search(line):
                chosen.append(line)
    return chosen or steps


def steps_for_each(problem: dict, names: list[str]) -> list[list[str]]:
    """steps_for of each answer named, the problem read once."""
    lines = _step_lines(problem)
    return [steps_for(problem, name, lines) for name in names]


def wants_pass_card(problem: dict) -> bool:
    """A whole-pass card, unless the problem's one asked grad is already every blank in the picture."""
    answers = problem["answers"]
    blanks = {n["name"] for n in problem["nodes"] if not n.get("constant")} - {problem["output"]}
    asked = {a["name"][: -len(".grad")] for a in answers if a["name"].endswith(".grad")}
    return not (len(answers) == 1 and blanks <= asked)


# Ops whose local derivative is always 1 or −1 (relu's is 1 or 0): a grad that passes only these is copied.
UNIT_OPS = frozenset({"+", "-", "neg", "relu"})
CHAIN_KINDS = ("expression",)  # kinds whose single-answer cards ask only for grads that need the chain rule


def _chain_states(problem: dict) -> dict[str, set]:
    """Node -> its (ops below the output capped at 2, whether a non-unit op is passed) over every path up."""
    nodes = problem["nodes"]
    users: dict[str, list[dict]] = {}
    for n in nodes:
        for inp in n.get("inputs") or []:
            users.setdefault(inp, []).append(n)
    states: dict[str, set] = {problem["output"]: {(0, False)}}
    for n in reversed(nodes):
        name = n["name"]
        for user in users.get(name, ()):
            for depth, chain in states.get(user["name"], ()):
                states.setdefault(name, set()).add((min(depth + 1, 2), chain or user["op"] not in UNIT_OPS))
    return states


def needs_chain(problem: dict, node: str, _states=None) -> bool:
    """True when `node`'s grad takes the chain rule: some path from it to the output is at least two ops
    long and passes an op whose local derivative is not just ±1 (×, ÷, powers, tanh, exp, log, σ)."""
    states = _chain_states(problem) if _states is None else _states
    return (2, True) in states.get(node, set())


def card_answers(problem: dict) -> list[bool]:
    """Which asked answers get a card of their own. Every one, except in the kinds of CHAIN_KINDS, where an
    answer whose grad is copied down through +, − and relu (or is one local step from the output) is left to
    the whole-pass card; when no answer needs the chain rule (or there is no whole-pass card), all get one."""
    answers = problem["answers"]
    if problem["kind"] not in CHAIN_KINDS or not wants_pass_card(problem):
        return [True] * len(answers)
    states = _chain_states(problem)  # once for every answer
    chosen = [a["name"].endswith(".grad") and needs_chain(problem, a["name"][: -len(".grad")], states) for a in answers]
    return chosen if any(chosen) else [True] * len(answers)
