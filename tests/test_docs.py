"""The README and the pages in docs/: every link resolves, the README stays short, and the commands they
show are the CLI's own (names and options)."""

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from practice.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PAGES = sorted((ROOT / "docs").glob("*.md"))
DOCUMENTS = [README, *PAGES]
README_MAX_BYTES = 10_000  # issue 18: a newcomer reads the README in two screens; the reference lives in docs/

# Pages that other branches are writing at the same time as the README that links them: a link to one of these
# may point at a missing file until those branches are merged (then the page is checked like every other).
# Remove a name here once its page is on main.
PENDING_PAGES = {"docs/check.md", "docs/variants.md", "docs/quiz-variants.md"}
# A command the README's table lists that is being added on another branch; once it is in the CLI, its row's
# options are checked like the others'.
PENDING_COMMANDS = {"check"}

FENCE = re.compile(r"^(```|~~~)")
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
HTML_LINK = re.compile(r"<(?:img|a|source)\b[^>]*?\b(?:src|href|srcset)=\"([^\"]+)\"", re.I)


def prose_lines(text: str):
    """The lines outside fenced code blocks, with their numbers."""
    fenced = False
    for number, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            yield number, line


def code_spans(text: str):
    """Every fenced code line and every inline code span, as text."""
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if fenced:
            yield line
        else:
            yield from (m.group(2) for m in INLINE_CODE.finditer(line))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text, lower case, with every character other than a letter,
    digit, space, hyphen or underscore dropped and each space made a hyphen."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link or picture shows its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = re.sub(r"(?<!\w)_+|_+(?!\w)", "", text)  # _emphasis_, but not snake_case
    return "".join(c for c in text.lower() if c.isalnum() or c in " -_").replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    out = set()
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if not m:
            continue
        base = slug(m.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out.add(base if n == 0 else f"{base}-{n}")
    return out


def links(path: Path):
    text = path.read_text(encoding="utf-8")
    for number, line in prose_lines(text):
        line = INLINE_CODE.sub("", line)
        for m in (*LINK.finditer(line), *HTML_LINK.finditer(line)):
            yield number, m.group(1)


def test_slugs_are_githubs():
    assert slug("Quizzes for an LMS") == "quizzes-for-an-lms"
    assert slug("The answer-key JSON (`problems --json`, `solve --json`)") == "the-answer-key-json-problems---json-solve---json"
    assert slug("Grading: working precision, tolerances and the mistake catalogue") == (
        "grading-working-precision-tolerances-and-the-mistake-catalogue"
    )
    assert slug("What `solve` reads") == "what-solve-reads"
    assert slug("zero_grad and _the_ step") == "zero_grad-and-the-step"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_and_anchor_resolves(path):
    broken = []
    for number, target in links(path):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check offline
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        where = f"{path.relative_to(ROOT)}:{number}: {target}"
        try:
            relative = dest.relative_to(ROOT).as_posix()
        except ValueError:
            broken.append(f"{where} (outside the repository)")
            continue
        if not dest.exists():
            if relative in PENDING_PAGES and not anchor:
                continue
            broken.append(f"{where} (no such file)")
        elif anchor:
            if dest.suffix != ".md":
                broken.append(f"{where} (an anchor into a file that is not Markdown)")
            elif anchor not in anchors(dest):
                broken.append(f"{where} (no heading with that anchor in {relative})")
    assert not broken, "\n".join(broken)


def test_the_readme_is_short():
    size = len(README.read_bytes())
    assert size < README_MAX_BYTES, f"README.md is {size} bytes: move reference into a page in docs/"


def test_the_readme_links_every_page():
    linked = {(README.parent / t.partition("#")[0]).resolve() for _, t in links(README)}
    assert not [p.name for p in PAGES if p.resolve() not in linked]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_page_opens_with_a_title_a_summary_and_the_way_back(page):
    lines = page.read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("# "), f"{page.name}: the first line is its title"
    head = [line for line in lines[1:6] if line.strip()]
    assert head and not head[0].startswith(("#", "|", "```", "!", "-")), f"{page.name}: a one-line summary follows the title"
    assert any("](../README.md" in line for line in lines[1:6]), f"{page.name}: no link back to ../README.md under its title"


def cli_commands() -> set[str]:
    """The command names `backprop-practice --help` lists."""
    result = CliRunner().invoke(cli, ["--help"], prog_name="backprop-practice")
    assert result.exit_code == 0
    listing = result.output.split("Commands:", 1)[1]
    return {m.group(1) for m in re.finditer(r"^  (\S+)", listing, re.M)}


def command_options(name: str) -> set[str]:
    return {opt for p in cli.commands[name].params for opt in (*p.opts, *p.secondary_opts)} | {"-h", "--help"}


def table_rows():
    """(command, its row's first cell) for each row of the README's commands table."""
    for _, line in prose_lines(README.read_text(encoding="utf-8")):
        m = re.match(r"\|\s*`backprop-practice (\S+)(.*?)`\s*\|", line)
        if m:
            yield m.group(1), m.group(2)


def test_the_commands_table_is_the_cli():
    listed = [name for name, _ in table_rows()]
    real = cli_commands()
    assert len(listed) == len(set(listed))
    assert set(listed) - real <= PENDING_COMMANDS, f"not commands of the CLI: {sorted(set(listed) - real - PENDING_COMMANDS)}"
    assert real <= set(listed), f"commands missing from the README's table: {sorted(real - set(listed))}"


def options_in(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", text))


def test_the_tables_options_are_the_commands():
    wrong = []
    for name, usage in table_rows():
        if name in PENDING_COMMANDS and name not in cli.commands:
            continue
        wrong += [f"{name} {opt}" for opt in sorted(options_in(usage) - command_options(name))]
    assert not wrong, f"options the commands do not have: {wrong}"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_shown_is_real(path):
    """Each `backprop-practice COMMAND ...` in a code block or inline code names a command and its options."""
    wrong = []
    for code in code_spans(path.read_text(encoding="utf-8")):
        for m in re.finditer(r"backprop-practice\s+([a-z][\w-]*)([^#\n]*)", code):
            name, rest = m.group(1), m.group(2)
            if name not in cli.commands:
                if name not in PENDING_COMMANDS and name != "COMMAND":
                    wrong.append(f"{m.group(0)!r}: no command {name!r}")
                continue
            wrong += [f"{m.group(0)!r}: no option {opt}" for opt in sorted(options_in(rest) - command_options(name))]
    assert not wrong, "\n".join(wrong)
