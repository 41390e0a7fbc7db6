"""The one error type a person sees: a message that says what is wrong and how to fix it."""


class UserError(Exception):
    """Bad input or a missing tool. The CLI prints it as one line and exits non-zero."""

    exit_code = 2


class Interrupted(BaseException):
    """Ctrl-C (SIGINT) or SIGTERM arrived. A BaseException, like KeyboardInterrupt, so that only cleanup
    code (`finally`, `atomic_path`) sees it on the way out; the CLI turns it into one line and 128 + signal."""

    def __init__(self, signum: int, what: str = "interrupted"):
        super().__init__(what)
        self.signum = signum
        self.exit_code = 128 + signum


def short(value, most: int = 60) -> str:
    """`repr(value)` cut to `most` characters, for quoting user input in a one-line message.

    Safe on anything a YAML file can build: deeply nested or self-referencing values do not blow up."""
    try:
        text = repr(value)
    except RecursionError:
        return "a deeply nested value"
    text = text.replace("\n", "\\n")
    return text if len(text) <= most else text[: most - 3] + "..."


def one_line(text: str) -> str:
    """A message as one line: runs of whitespace, new lines included, become one space."""
    return " ".join(str(text).split())
