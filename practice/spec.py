"""Specs: YAML files that say which problems make a set. Loaded with safe_load and checked before any work."""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import UserError
from .kinds import DIFFICULTIES, KINDS
from .resources import decks_dir

MAX_PROBLEMS = 10_000
MAX_SEED = 2**63 - 1
DEFAULT_SEED = 1

# The schema: top-level keys, and the keys of each section, with the type each takes.
TOP_KEYS = {
    "title": str, "description": str, "seed": int, "concepts": str, "problems": list,
    "deck": dict, "worksheet": dict, "quiz": dict,
}
ENTRY_KEYS = {"kind": str, "difficulty": str, "count": int}
SECTION_KEYS = {
    "deck": {"name": str},
    "worksheet": {"title": str, "instructions": str, "minutes": int},
    "quiz": {"category": str},
}
TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false"}


@dataclass
class Spec:
    name: str                 # what the user passed (a bundled name or a path): usable as SPEC again
    path: Path
    title: str
    seed: int
    entries: list[dict]       # {"kind", "difficulty", "count", "index"}
    concepts: Path | None = None
    sections: dict = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(e["count"] for e in self.entries)


def bundled_specs() -> list[str]:
    return sorted(p.stem for p in decks_dir().glob("*.yaml") if p.stem != "concepts")


def resolve(spec: str | None, default: str = "micrograd") -> Path:
    """A spec argument to a file: an existing path, or the name of a bundled spec."""
    name = spec or default
    path = Path(name)
    if path.is_file():
        return path
    if path.exists():
        raise UserError(f"spec {name} is not a file; give a YAML file or one of: {', '.join(bundled_specs())}")
    bundled = decks_dir() / f"{name}.yaml"
    if "/" not in name and bundled.is_file() and name != "concepts":
        return bundled
    raise UserError(f"spec {name!r} not found; give a YAML file path or a bundled spec: {', '.join(bundled_specs())}")


def _type_error(where: str, value, want) -> UserError:
    return UserError(f"{where} must be {TYPE_NAMES[want]}, not {value!r}")


def _check_keys(where: str, mapping: dict, allowed: dict):
    for key, value in mapping.items():
        if key not in allowed:
            raise UserError(f"{where}: unknown key {key!r}; allowed keys: {', '.join(allowed)}")
        want = allowed[key]
        if (want is int and (isinstance(value, bool) or not isinstance(value, int))) or not isinstance(value, want):
            raise _type_error(f"{where}: {key}", value, want)


def parse_yaml(path: Path):
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"cannot read spec {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UserError(f"spec {path} is not a text file; a spec is UTF-8 YAML") from None
    if "\x00" in text:
        raise UserError(f"spec {path} is not a text file; a spec is UTF-8 YAML")
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise UserError(f"YAML error in {path}{where}: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"YAML error in {path}: {str(exc).splitlines()[0]}") from None


def validate_entries(where: str, problems: list) -> list[dict]:
    if not problems:
        raise UserError(f"{where}: problems is empty; list at least one entry such as {{kind: expression, count: 3}}")
    entries = []
    for i, item in enumerate(problems):
        at = f"{where}: problems[{i}]"
        if not isinstance(item, dict):
            raise UserError(f"{at} must be a mapping such as {{kind: expression, difficulty: easy, count: 3}}")
        _check_keys(at, item, ENTRY_KEYS)
        if "kind" not in item:
            raise UserError(f"{at}: kind is missing; allowed kinds: {', '.join(KINDS)}")
        entry = {"kind": item["kind"], "difficulty": item.get("difficulty", "medium"), "count": item.get("count", 1), "index": i}
        check_kind(entry["kind"], f"{at}: kind")
        check_difficulty(entry["difficulty"], f"{at}: difficulty")
        check_count(entry["count"], f"{at}: count")
        entries.append(entry)
    total = sum(e["count"] for e in entries)
    if total > MAX_PROBLEMS:
        raise UserError(f"{where}: {total} problems in all; the most a set may hold is {MAX_PROBLEMS}")
    return entries


def check_kind(kind, where="kind"):
    if kind not in KINDS:
        raise UserError(f"{where}: unknown kind {kind!r}; allowed kinds: {', '.join(KINDS)}")


def check_difficulty(difficulty, where="difficulty"):
    if difficulty not in DIFFICULTIES:
        raise UserError(f"{where}: unknown difficulty {difficulty!r}; allowed: {', '.join(DIFFICULTIES)}")


def check_count(count, where="count", most=MAX_PROBLEMS):
    if isinstance(count, bool) or not isinstance(count, int):
        raise UserError(f"{where} must be a whole number from 1 to {most}, not {count!r}")
    if not 1 <= count <= most:
        raise UserError(f"{where} must be from 1 to {most}, not {count}")


def check_seed(seed, where="seed"):
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"{where} must be a whole number from 0 to {MAX_SEED}, not {seed!r}")
    return seed


def load(spec: str | None, default: str = "micrograd") -> Spec:
    """Find, read and validate a spec; every problem is reported as one line naming the key."""
    path = resolve(spec, default)
    data = parse_yaml(path)
    where = str(path)
    if data is None:
        raise UserError(f"spec {where} is empty; it needs at least a problems: list")
    if not isinstance(data, dict):
        raise UserError(f"spec {where} must be a mapping with keys such as title, seed, problems; found {type(data).__name__}")
    _check_keys(where, data, TOP_KEYS)
    for section, keys in SECTION_KEYS.items():
        if section in data:
            _check_keys(f"{where}: {section}", data[section], keys)
    if "problems" not in data:
        raise UserError(f"{where}: problems is missing; list entries such as {{kind: expression, count: 3}}")
    entries = validate_entries(where, data["problems"])
    seed = check_seed(data.get("seed", DEFAULT_SEED), f"{where}: seed")
    concepts = None
    if "concepts" in data:
        concepts = path.parent / data["concepts"]
        if not concepts.is_file():
            raise UserError(f"{where}: concepts file {concepts} not found")
    name = spec or default
    title = data.get("title", Path(name).stem)
    sections = {k: data.get(k, {}) for k in SECTION_KEYS}
    return Spec(name, path, title, seed, entries, concepts, sections)


def adhoc(kinds: list[str], difficulty: str | None, count: int | None) -> Spec:
    """A spec made from command-line options alone: `problems --kind expression --count 3`."""
    entries = []
    for i, kind in enumerate(kinds):
        check_kind(kind, "--kind")
        entries.append({"kind": kind, "difficulty": difficulty or "medium", "count": count or 1, "index": i})
    name = "+".join(kinds)
    return Spec(name, Path(name), f"Practice: {', '.join(kinds)}", DEFAULT_SEED, entries)


def choose(spec: str | None, kinds=(), difficulty=None, count=None, seed=None, default: str = "micrograd") -> Spec:
    """The spec a command works on, with the command line's overrides applied and checked.

    --kind without SPEC makes an ad-hoc spec; with SPEC it keeps only those kinds (adding any the spec lacks).
    --difficulty and --count replace every entry's; --seed replaces the spec's seed.
    """
    if count is not None:
        check_count(count, "--count")
    if difficulty is not None:
        check_difficulty(difficulty, "--difficulty")
    if seed is not None:
        check_seed(seed, "--seed")
    for kind in kinds:
        check_kind(kind, "--kind")
    if kinds and spec is None:
        chosen = adhoc(list(dict.fromkeys(kinds)), difficulty, count)
    else:
        chosen = load(spec, default)
        if kinds:
            kept = [e for e in chosen.entries if e["kind"] in kinds]
            present = {e["kind"] for e in kept}
            added = [k for k in dict.fromkeys(kinds) if k not in present]
            base = len(chosen.entries)
            kept += [{"kind": k, "difficulty": "medium", "count": 1, "index": base + i} for i, k in enumerate(added)]
            chosen.entries = kept
        for e in chosen.entries:
            if difficulty is not None:
                e["difficulty"] = difficulty
            if count is not None:
                e["count"] = count
    if chosen.total > MAX_PROBLEMS:
        raise UserError(f"{chosen.total} problems in all; the most one set may hold is {MAX_PROBLEMS}")
    if seed is not None:
        chosen.seed = seed
    return chosen
