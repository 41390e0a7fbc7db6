"""The one error type a person sees: a message that says what is wrong and how to fix it."""


class UserError(Exception):
    """Bad input or a missing tool. The CLI prints it as one line and exits non-zero."""

    exit_code = 2
