"""One progress bar for the long commands (deck, worksheet, quiz): on stderr, and only on a terminal.

    from .progress import progress

    with progress(total, "Drawing worksheets") as bar:
        for part in parts:
            ...
            bar.update(len(part))

or, around an iterable whose items are the work done one by one:

    with progress(versions, "Making worksheets") as bar:
        for version in counted(iter_versions(...), bar):
            ...

Piped or redirected (a script, a test, CI), stderr gets nothing, so stdout and stderr stay exactly what the
command says; `show=True` or `show=False` overrides the terminal check.
"""

import sys
from contextlib import contextmanager


class _Silent:
    """The bar when none is shown: update() does nothing."""

    def update(self, n: int) -> None:
        pass


@contextmanager
def progress(total: int, label: str, show: bool | None = None):
    """A bar of `total` steps labelled `label` on stderr; yields an object whose update(n) advances it by n.
    Shown when stderr is a terminal (unless `show` says otherwise) and there is something to count."""
    if show is None:
        show = _terminal()
    if not show or total <= 0:
        yield _Silent()
        return
    import click

    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar
        if bar.pos < total:  # the work is done: the bar says so, even if the last step went uncounted
            bar.update(total - bar.pos)


def counted(items, bar):
    """The items of an iterable, one by one, the bar advancing by one as the next is asked for (this one done)."""
    for item in items:
        yield item
        bar.update(1)


def _terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):  # no stderr, or a closed one
        return False
