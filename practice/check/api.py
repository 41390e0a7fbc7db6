"""Check an engine: draw the checks, run them on the learner's class in the sandbox, compare every node
with the key, explain each failure. `check_engine(Value)` for a class in a notebook; `check_path` for a file."""

import math

from . import diagnose, nnkey, sandbox, source
from .checks import OPS, Check, draw, expression, inputs
from .report import CheckResult, Report

DEFAULT_SEED = 0
TOL = 1e-6  # relative: an engine's float arithmetic in another order is still right
NN = (("neuron", "Neuron(3): forward, parameters(), backward()"), ("layer", "Layer(3, 2): forward and parameters()"),
      ("mlp", "MLP(3, [4, 4, 1]): forward, parameters(), backward(), zero_grad()"))
SHOWN = 6  # differences shown for one example


def _checks(seed: int) -> list[Check]:
    checks = draw(seed)
    for what, name in NN:
        checks.append(Check(name, "nn", [], id=len(checks), nn=what))
    return checks


def _jobs(checks: list[Check]) -> list[dict]:
    jobs = []
    for c in checks:
        if c.op == "nn":
            jobs.append({"id": c.id, "nn": c.nn, "x": nnkey.X})
        else:
            jobs.append({"id": c.id, "needs": sorted(c.needs, key=OPS.index), "programs": c.programs})
    return jobs


def _close(a, b) -> bool:
    return isinstance(a, (int, float)) and math.isfinite(a) and abs(a - b) <= TOL * max(1.0, abs(b))


def differences(expected: dict, got: dict) -> list[tuple[str, float, object]]:
    out = []
    for name, (data, grad) in expected.items():
        mine = got.get(name, [None, None])
        for part, want, have in (("data", data, mine[0]), ("grad", grad, mine[1])):
            if not _close(have, want):
                out.append((f"{name}.{part}", want, have))
    return out


def _example(check: Check) -> dict | None:
    if check.op == "nn":
        return {"program": check.name, "inputs": {f"x{i + 1}": x for i, x in enumerate(nnkey.X)}}
    return {"program": expression(check.program), "inputs": inputs(check.program)}


def _judge(check: Check, event: dict, api: dict, pairs=None) -> CheckResult:
    result = CheckResult(check.name, check.op, "pass", _example(check), needs=sorted(check.needs, key=OPS.index))
    if "missing" in event:
        result.status = "not offered"
        result.why = "needs " + ", ".join(diagnose.shown_op(op) for op in event["missing"] if op in OPS) \
            if any(op in OPS for op in event["missing"]) else f"no {dict(neuron='Neuron', layer='Layer', mlp='MLP')[check.nn]} class"
        return result
    if "error" in event:
        result.status = "error"
        result.why = event["error"]
        found = diagnose.explain_error(check, event["error"], event.get("error_type", ""))
        if found:
            _name(result, *found, api)
        return result
    got = event["got"]
    if check.op == "nn":
        result.status, result.expected, result.got, result.why = nnkey.judge(check.nn, got)
        return result
    diffs = differences(check.expected, got)
    if not diffs:
        return result
    result.status = "fail"
    result.expected = {k: want for k, want, _ in diffs[:SHOWN]}
    result.got = {k: have for k, _, have in diffs[:SHOWN]}
    found = diagnose.explain(check, got, pairs)
    if found:
        _name(result, *found, api)
    else:
        k, want, have = diffs[0]
        result.why = f"{k} is {have}; it should be {want}" + (f" ({len(diffs)} numbers differ)" if len(diffs) > 1 else "")
    return result


def _name(result: CheckResult, mistake: str, op, api: dict) -> None:
    words = diagnose.texts(mistake, op, api)
    result.mistake, result.where, result.why, result.fix = mistake, op, words["why"], words["fix"]
    result.line = diagnose.line(mistake, op, api)


def _bad(r: CheckResult) -> bool:
    return r.status in ("fail", "error")


def _own_backward(api: dict, op: str) -> bool | None:
    """Does the learner's method for `op` define a _backward itself (None: its source can't be read)?"""
    source = (api.get("sources") or {}).get(op)
    if not source:
        return None
    return any("_backward" in text for _, text in source[1:])


def _through(results: list[CheckResult], api: dict) -> None:
    """An op built from other ops (micrograd's a - b = a + (-b)) has no _backward of its own: when it fails
    and an op with its own _backward fails too, the mistake is there; say so and point at that line."""
    firsts = {}
    for r in results:
        if r.op in OPS and _bad(r) and r.op not in firsts:
            firsts[r.op] = r
    culprits = [r for op, r in firsts.items() if _own_backward(api, op) and r.mistake and r.where == op]
    for r in results:
        composed = r.op if r.op in OPS else r.where  # a graph check blamed on a composed op is re-blamed too
        if composed not in OPS or not _bad(r) or _own_backward(api, composed) is not False or not culprits:
            continue
        if r.op not in OPS and not r.mistake:
            continue
        if r.mistake and diagnose.mistakes()[r.mistake]["applies"] == "graph":
            continue
        if r.mistake == "swapped-reversed" or any(k.endswith(".data") for k in r.expected or {}):
            continue  # wrong forward numbers are the method's own doing, not another op's _backward
        culprit = next((c for c in culprits if c.mistake == r.mistake), culprits[0])
        method = diagnose.METHODS[composed]
        r.mistake, r.where, r.fix, r.line = culprit.mistake, culprit.where, culprit.fix, culprit.line
        r.why = (f"`{method}` has no _backward of its own: it runs through other ops, and "
                 f"{diagnose.shown_op(culprit.where)} fails on its own. {culprit.why}")


def _blocked(results: list[CheckResult]) -> None:
    """A failing check of op X that also uses op Y, where Y fails a check of its own alone, says nothing
    about X: it is marked blocked by Y (X is not counted as failed for it)."""
    alone = {r.op for r in results if r.op in OPS and _bad(r) and r.needs == [r.op]}
    for r in results:
        if r.op in OPS and _bad(r) and r.where != r.op:
            r.blocked_by = [op for op in r.needs if op != r.op and op in alone]


def _follow_ups(results: list[CheckResult]) -> None:
    """A graph check that fails only because an op it uses fails: say so, rather than leave it unexplained."""
    failed_ops = {r.op for r in results if r.op in OPS and _bad(r) and not r.blocked_by}
    for r in results:
        if r.op not in OPS and _bad(r) and not r.mistake:
            broken = [op for op in r.needs if op in failed_ops]
            if broken:
                r.why = (r.why + "; " if r.why else "") + "it uses " + ", ".join(diagnose.shown_op(op) for op in broken) + \
                    ", which fail" + ("s" if len(broken) == 1 else "") + " on its own"


def judge_all(checks: list[Check], results: dict, api: dict) -> list[CheckResult]:
    """Each op's checks first, explained by the mistakes of that op (or of backward()); then the graph checks,
    explained by the mistakes already found in the ops (or, when every op passed, by any)."""
    judged = {}
    for c in checks:
        if c.op in OPS:
            judged[c.id] = _judge(c, results.get(c.id, {"error": "not run"}), api)
    _through(list(judged.values()), api)
    found = list(dict.fromkeys((r.mistake, r.where) for r in judged.values() if r.mistake))
    any_failed = any(_bad(r) for r in judged.values())
    for c in checks:
        if c.op not in OPS:
            judged[c.id] = _judge(c, results.get(c.id, {"error": "not run"}), api, found if any_failed else None)
    out = [judged[c.id] for c in checks]
    _through(out, api)
    _blocked(out)
    _follow_ups(out)
    return out


def run(target: dict, names: dict | None = None, seed: int = DEFAULT_SEED, limits: sandbox.Limits | None = None,
        shown_file: str | None = None) -> Report:
    names = {k: v for k, v in (names or {}).items() if v}
    checks = _checks(seed)
    outcome = sandbox.run(target, _jobs(checks), names, seed, limits or sandbox.Limits())
    report = Report(file=shown_file, seed=seed, output=outcome.output, notes=outcome.notes, names=names)
    if outcome.load_error or outcome.engine is None:
        report.load_error = outcome.load_error or "the engine could not be loaded"
        return report
    api = outcome.engine
    report.engine = api
    report.results = judge_all(checks, outcome.results, api)
    return report


def check_path(path, names=None, seed: int = DEFAULT_SEED, limits=None) -> Report:
    """Check the engine in a .py file, package folder or notebook (a UserError when it is none of these)."""
    return run(source.target(path), names, seed, limits, shown_file=str(path))


def check_engine(cls, seed: int = DEFAULT_SEED, data: str | None = None, grad: str | None = None,
                 backward: str | None = None, timeout: float = 10.0):
    """Check a value class defined in this session (a notebook's Value): the report shows as an HTML table
    in Jupyter and as text in a terminal. Runs in a forked copy of this process, with the same limits as
    the command line; the class's module (the notebook) is searched for Neuron, Layer and MLP."""
    if not isinstance(cls, type):
        raise TypeError(f"check_engine takes a class (your Value), not {type(cls).__name__}")
    names = {"data": data, "grad": grad, "backward": backward}
    return run({"kind": "class", "cls": cls}, names, seed, sandbox.Limits(timeout=timeout), shown_file=None)
