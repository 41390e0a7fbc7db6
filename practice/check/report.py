"""The report: per op passed / failed / not offered, each failure's smallest example with what was
expected and what came out, and the named mistake; as text, HTML (a notebook), JSON, Gradescope and CSV."""

import csv
import io
import json
import math
from dataclasses import dataclass, field

from ..resources import templates_dir
from .checks import FEATURES, OPS

FORMAT = "backprop-practice.check/1"
FEATURE_NAMES = {"backward": "backward()", "shared": "shared nodes", "lesson": "the lesson's examples",
                 "generated": "generated problems", "deep": "a deep graph", "fresh": "a second graph", "nn": "Neuron, Layer, MLP"}


@dataclass
class CheckResult:
    name: str
    op: str | None
    status: str                 # pass | fail | not offered | error
    example: dict | None = None
    expected: dict | None = None
    got: dict | None = None
    mistake: str | None = None
    why: str | None = None
    fix: str | None = None
    line: str | None = None
    needs: list = field(default_factory=list)       # the ops the check uses
    where: str | None = None                        # the op the named mistake sits in (None: backward())
    blocked_by: list = field(default_factory=list)  # failing ops that make this check say nothing about its own op


@dataclass
class Report:
    file: str | None = None
    seed: int = 0
    engine: dict | None = None
    load_error: str | None = None
    results: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    output: str = ""
    names: dict = field(default_factory=dict)

    # ------------------------------------------------------------ what it says

    @property
    def verdict(self) -> str:
        if self.load_error:
            return "error"
        return "fail" if any(r.status in ("fail", "error") for r in self.results) else "pass"

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == "pass" else 1

    def groups(self) -> list[dict]:
        """One row per op and per graph feature: its status, its checks, and its smallest failure."""
        rows = []
        for op in OPS + FEATURES:
            mine = [r for r in self.results if r.op == op]
            if not mine:
                continue
            bad = [r for r in mine if r.status in ("fail", "error")]
            ran = [r for r in mine if r.status != "not offered"]
            counted = [r for r in bad if not r.blocked_by]
            status = "failed" if counted else "blocked" if bad else "passed" if ran else "not offered"
            bad = counted or bad
            rows.append({"op": op, "shown": shown(op), "status": status, "checks": len(ran), "failed": len(bad),
                         "first": bad[0] if bad else None,
                         "note": next((r.why for r in mine if r.status == "not offered"), None) if not ran else
                         ("its checks that also use " + ", ".join(shown(op) for op in bad[0].blocked_by) + " fail there")
                         if status == "blocked" else None})
        return rows

    def failed_ops(self) -> list[str]:
        return [g["op"] for g in self.groups() if g["status"] == "failed"]

    def blocked_ops(self) -> list[str]:
        return [g["op"] for g in self.groups() if g["status"] == "blocked"]

    def mistakes(self) -> list[str]:
        return list(dict.fromkeys(r.mistake for r in self.results if r.mistake))

    def found_by(self) -> str:
        given = [f"--{k}" for k in ("class", "data", "grad", "backward") if self.names.get(k)]
        return ("as named with " + ", ".join(given)) if given else "found by looking"

    # ------------------------------------------------------------ formats

    def to_json(self) -> dict:
        engine = None
        if self.engine:
            engine = {"file": self.file or self.engine.get("file"), "class": self.engine["class"], "data": self.engine["data"],
                      "grad": self.engine["grad"], "backward": self.engine["backward"], "offered": self.engine["offered"]}
        checks = [{"name": r.name, "op": r.op, "status": r.status, "example": r.example, "expected": _clean(r.expected),
                   "got": _clean(r.got), "mistake": r.mistake, "why": r.why} for r in self.results]
        if self.load_error:
            checks = [{"name": "load the engine", "op": None, "status": "error", "example": None, "expected": None,
                       "got": None, "mistake": None, "why": self.load_error}]
        return {"format": FORMAT, "verdict": self.verdict, "engine": engine, "checks": checks}

    def to_gradescope(self) -> dict:
        """Gradescope's autograder results (results.json): one test per op and graph feature, 1 point each;
        an op the engine doesn't offer is listed at 0 of 0 points."""
        if self.load_error:
            tests = [{"name": "load the engine", "score": 0, "max_score": 1, "status": "failed", "output": self.load_error}]
        else:
            tests = []
            for g in self.groups():
                offered = g["status"] != "not offered"
                tests.append({"name": g["shown"], "score": 1 if g["status"] == "passed" else 0, "max_score": 1 if offered else 0,
                              "status": "passed" if g["status"] in ("passed", "not offered") else "failed",
                              "output": _group_text(g)})
        return {"score": sum(t["score"] for t in tests), "output": self.headline(), "tests": tests}

    def csv_row(self, name: str) -> dict:
        return {"submission": name, "verdict": self.verdict, "class": (self.engine or {}).get("class", ""),
                "failed ops": " ".join(self.failed_ops()), "mistakes": " ".join(self.mistakes()),
                "message": self.load_error or ""}

    def headline(self) -> str:
        if self.load_error:
            return f"error: {self.load_error}"
        groups = self.groups()
        failed = [g for g in groups if g["status"] == "failed"]
        if not failed:
            return f"pass: every offered op and graph check is right ({sum(g['checks'] for g in groups)} checks)"
        return f"fail: {len(failed)} of {len([g for g in groups if g['status'] != 'not offered'])} fail (" + \
            ", ".join(g["shown"] for g in failed) + ")"

    def text(self) -> str:
        return _render("report.txt.j2", self)

    def html(self) -> str:
        return _render("report.html.j2", self)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return self.text()

    def _repr_html_(self) -> str:
        return self.html()


def shown(op: str) -> str:
    from .diagnose import shown_op

    return FEATURE_NAMES[op] if op in FEATURE_NAMES else shown_op(op)


def number(x) -> str:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return str(x)
    return f"{x:.10g}"


def _clean(values: dict | None):
    """JSON has no NaN or infinity: such a number is written as text ("nan", "inf")."""
    if values is None:
        return None
    return {k: (v if not isinstance(v, float) or math.isfinite(v) else repr(v)) for k, v in values.items()}


def _group_text(g: dict) -> str:
    if g["status"] == "not offered":
        return "not offered" + (f" ({g['note']})" if g["note"] else "")
    if g["status"] == "passed":
        return f"passed {g['checks']} checks"
    if g["status"] == "blocked":
        return f"not judged: {g['note']}"
    r = g["first"]
    lines = [f"{g['failed']} of {g['checks']} checks fail. Smallest: {r.name}: {r.example['program']}"]
    if r.example.get("inputs"):
        lines.append("with " + ", ".join(f"{k} = {number(v)}" for k, v in r.example["inputs"].items()))
    for k, v in (r.expected or {}).items():
        lines.append(f"expected {k} = {number(v)}, got {number((r.got or {}).get(k))}")
    if r.why:
        lines.append(r.why)
    if r.fix:
        lines.append("Fix: " + r.fix)
    if r.line:
        lines.append("Your line: " + r.line)
    return "\n".join(lines)


def _code(text) -> "markupsafe.Markup":
    """Text with `code` in backticks, for HTML: escaped, the backticked parts in <code>."""
    import re

    import markupsafe

    escaped = str(markupsafe.escape(text or ""))
    return markupsafe.Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped))


def _render(name: str, report: Report) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(templates_dir() / "check")),
                             autoescape=name.endswith(".html.j2"), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters["number"] = number
    env.filters["code"] = _code
    return env.get_template(name).render(r=report, groups=report.groups() if not report.load_error else [])


def csv_text(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=["submission", "verdict", "class", "failed ops", "mistakes", "message"],
                            lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def json_text(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
