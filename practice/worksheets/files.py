"""The worksheet command's three outputs: their paths and format, checked before any work, and write errors."""

from contextlib import contextmanager
from pathlib import Path

from ..errors import UserError

SUFFIXES = {"pdf": (".pdf",), "html": (".html", ".htm")}


def output_paths(out, key, fmt: str) -> tuple[Path, Path, Path]:
    """(sheets, keys, manifest), all checked writable and distinct, before any work."""
    from ..atomic import check_writable

    suffix = "." + fmt
    for given, option in ((out, "-o"), (key, "--key")):
        if given is not None and not str(given).strip():
            raise UserError(f"{option} needs a file name")
        if given and Path(given).suffix.lower() not in SUFFIXES[fmt]:
            raise UserError(f"{option} {given} must end in {' or '.join(SUFFIXES[fmt])} for --format {fmt}")
    out = Path(out) if out else Path(f"worksheet{suffix}")
    key = Path(key) if key else out.with_name(f"{out.stem}-key{out.suffix or suffix}")
    manifest = out.with_suffix(".json")
    paths = (out, key, manifest)
    if len({p.resolve() for p in paths}) < 3:
        raise UserError(f"the worksheets, answer keys and manifest need three different files, not {out}, {key} and {manifest}")
    for p in paths:
        check_writable(p)
    return paths


def output_format(out, fmt: str | None) -> str:
    """--format, or the one OUT's suffix names; a suffix that contradicts --format is refused."""
    suffix = Path(out).suffix.lower() if out else ""
    named = {".pdf": "pdf", ".html": "html", ".htm": "html"}.get(suffix)
    if fmt is None:
        return named or "pdf"
    if named and named != fmt:
        raise UserError(f"-o {out} names a {named.upper()} file but --format is {fmt}; make them agree")
    return fmt


@contextmanager
def writing(path):
    """OSError while writing `path` (a full disk, a quota) as one line."""
    try:
        yield
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from None
