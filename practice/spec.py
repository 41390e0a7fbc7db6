"""Specs: YAML files that say which problems make a set. Loaded with safe_load and checked before any work."""

import difflib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import UserError, one_line, short
from .kinds import DIFFICULTIES, KINDS
from .resources import decks_dir

MAX_PROBLEMS = 10_000
MAX_SEED = 2**63 - 1
DEFAULT_SEED = 1
MAX_VARIANTS = 32  # variants of an exercise (practice/exercises.py), for decks, quizzes, pages and problems

# The schema: top-level keys, and the keys of each section, with the type each takes.
TOP_KEYS = {
    "title": str, "description": str, "seed": int, "concepts": str, "problems": list,
    "deck": dict, "worksheet": dict, "quiz": dict,
}
ENTRY_KEYS = {"kind": str, "difficulty": str, "count": int}
SECTION_KEYS = {
    "deck": {"name": str, "variants": int},
    "worksheet": {"title": str, "instructions": str, "minutes": int},
    "quiz": {"category": str},
}
TYPE_NAMES = {str: "text", int: "a whole number", list: "a list", dict: "a mapping", bool: "true or false"}
# Whole-number keys and the values they allow, wherever the key appears in a spec.
RANGES = {"count": (1, MAX_PROBLEMS), "seed": (0, MAX_SEED), "minutes": (1, 600), "variants": (1, MAX_VARIANTS)}
# Limits on the file itself: a spec is a short YAML file, and these bound the work of reading a hostile one
# (a "billion laughs" file of nested aliases is small on disk but huge once expanded).
MAX_SPEC_BYTES = 1_000_000
MAX_YAML_NODES = 100_000


class _Mapping(dict):
    """A mapping read from a spec: `line` is where it starts and `lines[key]` where each key is (1-based)."""

    line = 0
    lines: dict = {}


class _Sequence(list):
    """A list read from a spec: `line` is where it starts and `lines[i]` where item i is (1-based)."""

    line = 0
    lines: list = []


class _SpecLoader(yaml.SafeLoader):
    """`safe_load` that records line numbers and refuses a key given twice in one mapping
    (plain PyYAML silently keeps the last)."""


class _DuplicateKey(yaml.constructor.ConstructorError):
    pass


def _construct_mapping(loader, node):
    data = _Mapping()
    data.line, data.lines = node.start_mark.line + 1, {}
    yield data
    seen = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = loader.construct_object(key_node)
        if key in seen:
            raise _DuplicateKey(
                None, None, f"key {short(key)} is given twice (first on line {seen[key]}); keep one", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    data.update(loader.construct_mapping(node))
    for key_node, _ in node.value:  # merged keys (<<: *x) come first, so a key's own line wins
        if isinstance(key_node, yaml.ScalarNode):
            data.lines[loader.construct_object(key_node)] = key_node.start_mark.line + 1


def _construct_sequence(loader, node):
    data = _Sequence()
    data.line, data.lines = node.start_mark.line + 1, [item.start_mark.line + 1 for item in node.value]
    yield data
    data.extend(loader.construct_sequence(node))


_SpecLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_SpecLoader.add_constructor("tag:yaml.org,2002:seq", _construct_sequence)


def _count_nodes(root, most: int) -> int:
    """How many values the document holds with every alias expanded, counting no further than `most` + 1."""
    stack, count = [root], 0
    while stack and count <= most:
        node = stack.pop()
        count += 1
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack += (key, value)
    return count


def _line(container, key=None) -> int:
    """The line (1-based) of `key` in a mapping or list read from a spec, else of the container; 0 if unknown."""
    lines = getattr(container, "lines", None)
    if key is not None and lines:
        try:
            return lines[key]
        except (KeyError, IndexError, TypeError):
            pass
    return getattr(container, "line", 0)


def _at(path, line: int) -> str:
    return f"{path}, line {line}" if line else str(path)


def _suggest(word, choices) -> str:
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, [str(c) for c in choices], n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def _expected(key, want) -> str:
    if want is int and key in RANGES:
        return "a whole number from {} to {}".format(*RANGES[key])
    return TYPE_NAMES.get(want, want.__name__)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


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
    choices = ", ".join(bundled_specs())
    try:
        if path.is_file():
            return path
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError) as exc:  # a name too long, an embedded NUL, ...
        reason = getattr(exc, "strerror", None) or one_line(exc)
        raise UserError(f"spec {short(name)} cannot be opened ({reason}); give a YAML file or a bundled spec: {choices}") from None
    bundled = decks_dir() / f"{name}.yaml"
    if "/" not in name and "\\" not in name and name != "concepts" and _is_file(bundled):
        return bundled  # a bundled name, even beside a folder of that name (a learner's clone of micrograd)
    if is_dir:
        raise UserError(f"spec {name} is a folder; give a YAML file or a bundled spec: {choices}")
    if exists:
        raise UserError(f"spec {name} is not a regular file (a pipe or a device); give a YAML file or a bundled spec: {choices}")
    raise UserError(f"spec {short(name)} not found; give a YAML file path or a bundled spec: {choices}")


def _check_keys(path, label: str, mapping: dict, allowed: dict):
    """Every key of `mapping` (found at `label`: "" for the top level, "deck", "problems[2]") is one of
    `allowed` and holds the type, and for RANGES keys the range, that the schema gives it."""
    for key, value in mapping.items():
        at = _at(path, _line(mapping, key))
        if key not in allowed:
            owner = f"{label} has an unknown key" if label else "unknown key"
            within = f"in {label.split('[')[0]} entries" if "[" in label else f"in {label}" if label else "at the top"
            raise UserError(f"{at}: {owner} {short(key)}{_suggest(key, allowed)}; allowed keys {within}: {', '.join(allowed)}")
        want, name = allowed[key], f"{label}.{key}" if label else str(key)
        if (want is int and isinstance(value, bool)) or not isinstance(value, want):
            raise UserError(f"{at}: {name} must be {_expected(key, want)}, not {short(value)}")
        if want is int and key in RANGES and not RANGES[key][0] <= value <= RANGES[key][1]:
            raise UserError(f"{at}: {name} must be from {RANGES[key][0]} to {RANGES[key][1]}, not {short(value)}")


def parse_yaml(path: Path):
    """The YAML document in `path`, read safely; any problem is a one-line UserError, with line and column
    where YAML knows them. Refuses files over MAX_SPEC_BYTES, keys given twice, documents of more than
    MAX_YAML_NODES values once aliases are expanded, and nesting deeper than Python's recursion limit."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise UserError(f"cannot read spec {path}: {exc.strerror or exc}; check the path and its permissions") from None
    if len(raw) > MAX_SPEC_BYTES:
        raise UserError(f"spec {path} is larger than {MAX_SPEC_BYTES:,} bytes; a spec is a short YAML file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UserError(
            f"spec {path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); a spec is a UTF-8 YAML file"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise UserError(f"spec {path} is not a text file (a NUL byte on line {line}); a spec is a UTF-8 YAML file")
    loader = None
    try:
        loader = _SpecLoader(text)  # the reader checks every character here
        node = loader.get_single_node()
        if node is None:
            return None
        if _count_nodes(node, MAX_YAML_NODES) > MAX_YAML_NODES:
            raise UserError(
                f"spec {path} holds more than {MAX_YAML_NODES:,} values once its aliases (*name) are expanded; "
                "a spec is a short list of problem entries"
            )
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = one_line(exc.problem or exc.context or "invalid YAML")
        if isinstance(exc, yaml.constructor.ConstructorError):
            if "constructor for the tag" in problem:
                problem += "; a spec holds plain values: text, numbers, lists and mappings"
            elif "unhashable key" in problem:
                problem += "; a key is plain text, such as title"
            raise UserError(f"{path}{where}: {problem}") from None
        context = exc.context_mark if exc.context and exc.problem else None
        if context is not None and mark is not None and context.line != mark.line:
            problem += f" ({one_line(exc.context)} on line {context.line + 1})"
        raise UserError(f"{path}{where}: YAML syntax error: {problem}") from None
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise UserError(f"{path}, line {line}: the character U+{code:04X} is not allowed in YAML; remove it") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: YAML error: {one_line(exc)}") from None
    except RecursionError:
        raise UserError(f"spec {path} is nested too deeply to read; a spec is a short, shallow YAML file") from None
    except UserError:
        raise
    except Exception as exc:  # a value PyYAML cannot build (2024-13-01, an empty !!int): its own error, not ours
        raise UserError(f"{path}: a value cannot be read ({short(one_line(exc) or type(exc).__name__, 80)}); quote it to make it text") from None
    finally:
        if loader is not None:
            loader.dispose()


def validate_entries(where, problems: list) -> list[dict]:
    """The `problems:` list of the spec at `where`, checked, as entries {kind, difficulty, count, index}."""
    if not problems:
        raise UserError(
            f"{_at(where, _line(problems))}: problems is empty; list at least one entry such as {{kind: expression, count: 3}}"
        )
    entries = []
    for i, item in enumerate(problems):
        label, at = f"problems[{i}]", _at(where, _line(problems, i))
        if not isinstance(item, dict):
            raise UserError(
                f"{at}: {label} must be a mapping such as {{kind: expression, difficulty: easy, count: 3}}, not {short(item)}"
            )
        _check_keys(where, label, item, ENTRY_KEYS)
        if "kind" not in item:
            raise UserError(f"{at}: {label}.kind is missing; allowed kinds: {', '.join(KINDS)}")
        entry = {"kind": item["kind"], "difficulty": item.get("difficulty", "medium"), "count": item.get("count", 1), "index": i}
        check_kind(entry["kind"], f"{_at(where, _line(item, 'kind'))}: {label}.kind")
        check_difficulty(entry["difficulty"], f"{_at(where, _line(item, 'difficulty'))}: {label}.difficulty")
        check_count(entry["count"], f"{_at(where, _line(item, 'count'))}: {label}.count")
        entries.append(entry)
    total = sum(e["count"] for e in entries)
    if total > MAX_PROBLEMS:
        raise UserError(
            f"{_at(where, _line(problems))}: the counts add up to {total} problems; a set holds at most {MAX_PROBLEMS}"
        )
    return entries


def check_kind(kind, where="kind"):
    if not isinstance(kind, str) or kind not in KINDS:
        raise UserError(f"{where}: unknown kind {short(kind)}{_suggest(kind, KINDS)}; allowed kinds: {', '.join(KINDS)}")


def check_difficulty(difficulty, where="difficulty"):
    if not isinstance(difficulty, str) or difficulty not in DIFFICULTIES:
        raise UserError(
            f"{where}: unknown difficulty {short(difficulty)}{_suggest(difficulty, DIFFICULTIES)}; allowed: {', '.join(DIFFICULTIES)}"
        )


def check_count(count, where="count", most=MAX_PROBLEMS):
    if isinstance(count, bool) or not isinstance(count, int):
        raise UserError(f"{where} must be a whole number from 1 to {most}, not {short(count)}")
    if not 1 <= count <= most:
        raise UserError(f"{where} must be from 1 to {most}, not {short(count)}")


def check_variants(variants, where="--variants"):
    """A number of variants per exercise, 1 to MAX_VARIANTS; returned when good."""
    check_count(variants, where, MAX_VARIANTS)
    return variants


def check_seed(seed, where="seed"):
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise UserError(f"{where} must be a whole number from 0 to {MAX_SEED}, not {short(seed)}")
    return seed


def load(spec: str | None, default: str = "micrograd") -> Spec:
    """Find, read and validate a spec; every problem is reported as one line naming the key."""
    path = resolve(spec, default)
    data = parse_yaml(path)
    where = str(path)
    if data is None:
        raise UserError(f"spec {where} is empty; it needs at least a problems: list such as problems: [{{kind: expression}}]")
    if not isinstance(data, dict):
        found = next((name for t, name in TYPE_NAMES.items() if isinstance(data, t)), type(data).__name__)
        raise UserError(
            f"spec {where} must be a mapping with keys such as title, seed and problems, not {found} {short(data, 30)}"
        )
    _check_keys(where, "", data, TOP_KEYS)
    for section, keys in SECTION_KEYS.items():
        if section in data:
            _check_keys(where, section, data[section], keys)
    if "problems" not in data:
        raise UserError(f"{where}: problems is missing; add a list of entries such as problems: [{{kind: expression, count: 3}}]")
    entries = validate_entries(where, data["problems"])
    seed = check_seed(data.get("seed", DEFAULT_SEED), f"{_at(where, _line(data, 'seed'))}: seed")
    concepts = None
    if "concepts" in data:
        at, given = _at(where, _line(data, "concepts")), data["concepts"]
        relative = Path(given)
        if not given.strip() or relative.is_absolute() or ".." in relative.parts or given.startswith("~"):
            raise UserError(
                f"{at}: concepts {short(given)} must name a file in this spec's folder or below it, such as concepts.yaml"
            )
        concepts = path.parent / relative
        if not _is_file(concepts):
            raise UserError(f"{at}: concepts file {concepts} not found; fix the path (relative to the spec) or remove the key")
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
        raise UserError(f"that makes {chosen.total} problems; a set holds at most {MAX_PROBLEMS}: lower --count or give fewer --kind")
    if seed is not None:
        chosen.seed = seed
    return chosen
