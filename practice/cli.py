"""The command line: one command per verb, each a thin layer over the pipeline's stages."""

import json
import os
import signal
import sys

import click

from . import __version__
from .errors import Interrupted, UserError, one_line, short
from .kinds import KINDS
from .spec import MAX_PROBLEMS as MAX_COUNT
from .spec import MAX_SEED, MAX_VARIANTS


def _seed_option(f):
    return click.option("--seed", type=int, default=None, help="Set seed (default: the spec's seed).")(f)


def _json_text(doc) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _out(text: str) -> None:
    click.echo(text, nl=False)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="backprop-practice")
def cli():
    """Backprop Practice: fresh, correct practice material for the micrograd lesson.

    Every problem set is "a spec's problem mix generated from a seed": commands that take
    SPEC and --seed always make the very same problems. SPEC is a YAML file or the name of
    a bundled spec: micrograd (the lesson's mix of every kind), worksheet (one sitting),
    training (the training half: MLP, batch loss, zero_grad, a training step, hinge,
    finding the error) or training-worksheet (one sitting of the training half).
    """


@cli.command()
@click.argument("spec", required=False)
@click.option("--kind", "kinds", multiple=True, metavar="K",
              help=f"Only problems of kind K (repeatable): {', '.join(KINDS)}.")
@click.option("--difficulty", metavar="D", help="Make every problem easy, medium or hard.")
@click.option("--count", type=int, metavar="N", help=f"Problems per kind entry (1 to {MAX_COUNT}).")
@_seed_option
@click.option("--variants", type=int, default=1, show_default=True, metavar="N",
              help=f"Every problem's N variants (1 to {MAX_VARIANTS}): what a deck, page or quiz with N holds.")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer-key document instead of text.")
def problems(spec, kinds, difficulty, count, seed, variants, as_json):
    """Print a problem set with its answer keys (default SPEC: micrograd).

    \b
    Examples:
      backprop-practice problems
      backprop-practice problems --kind expression --difficulty easy --count 3
      backprop-practice problems micrograd --seed 7 --json
      backprop-practice problems micrograd --variants 8 --json   # what the deck's notes hold
    """
    from .exercises import exercise_set
    from .generate import document
    from .spec import check_variants, choose
    from .text import render_problems

    check_variants(variants, "--variants")
    chosen = choose(spec, kinds, difficulty, count, seed)
    records = [p for exercise in exercise_set(chosen.entries, chosen.seed, variants) for p in exercise]
    _out(_json_text(document(records, chosen.seed)) if as_json else render_problems(records))


@cli.command()
@click.argument("program")
@click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer-key document instead of text.")
@click.option("--graph", "graph", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also draw the answered graph to FILE (.svg or .png; needs Graphviz); says so on stderr.")
def solve(program, values, as_json, graph):
    """Check your own exercise: every node's data and grad, and the worked steps.

    PROGRAM is one expression, "(a*b + c)*f", or statements separated by ';' or new lines,
    "e = a*b; d = e + c; L = d*f", the last being the output. Allowed: names, numbers,
    + - * / **, unary minus, tanh() exp() relu() log() sigmoid().

    \b
    Example:
      backprop-practice solve "e = a*b; d = e + c; L = d*f" a=2 b=-3 c=10 f=-2
    """
    from .solve import solve_program

    record = solve_program(program, values)
    if graph:
        from .draw import write_answer_picture

        write_answer_picture(record, graph)
        # On stderr, so stdout stays the key alone (pure JSON with --json).
        click.echo(f"wrote {graph}: the graph with every node's data and grad", err=True)
    if as_json:
        from .generate import document

        _out(_json_text(document([record], None)))
    else:
        from .text import render_problems

        _out(render_problems([record], show_header=False))


# Commands that live beside their exporter: each module defines `command`, a click.Command.
# One line per command; keep heavy imports inside the command functions so start-up stays quick.
for _module in ("anki.deck", "worksheet", "quiz.command", "page", "check"):
    cli.add_command(__import__(f"practice.{_module}", fromlist=["command"]).command)


# What a bad option value should be, added to click's own message ("'1.5' is not a valid integer").
PARAM_HINTS = {"seed": f"a whole number from 0 to {MAX_SEED}", "count": f"a whole number from 1 to {MAX_COUNT}",
               "variants": f"a whole number from 1 to {MAX_VARIANTS}"}
MAX_MESSAGE = 400  # characters: a message quoting a huge argument is cut, so it stays one readable line


def _on_signal(signum, frame):
    raise Interrupted(signum, "interrupted" if signum == signal.SIGINT else "terminated")


def _catch_signals() -> dict:
    """Ctrl-C and SIGTERM raise Interrupted wherever the program is, so cleanup (atomic_path) runs.
    A signal the parent told us to ignore (nohup, `&` in a script) stays ignored."""
    previous = {}
    for name in ("SIGINT", "SIGTERM"):
        signum = getattr(signal, name, None)
        try:
            if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _on_signal)
        except (ValueError, OSError):  # not the main thread: leave Python's handling alone
            pass
    return previous


def _restore_signals(previous: dict) -> None:
    for signum, handler in previous.items():
        try:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        except (ValueError, OSError):
            pass


def _ignore_signals() -> None:
    """On the way out: a late Ctrl-C must not interrupt the one-line message or print a traceback."""
    for name in ("SIGINT", "SIGTERM"):
        try:
            signal.signal(getattr(signal, name), signal.SIG_IGN)
        except (AttributeError, ValueError, OSError):
            pass


def _flush_stdout() -> bool:
    """Flush now, so a full disk is reported as one line rather than "Exception ignored ..." at exit.
    Returns False, and points stdout at /dev/null so the exit-time flush stays quiet, when it fails."""
    try:
        sys.stdout.flush()
        return True
    except OSError:
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError, AttributeError):
            pass
        return False


def _fail(message: str, code: int):
    _ignore_signals()
    text = one_line(message)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 3] + "..."
    click.echo(f"error: {text}", err=True)
    sys.exit(code)


def _interrupted(what: str, code: int):
    # On a terminal the shell has echoed ^C: start a fresh line. Piped, stderr is exactly one line.
    _ignore_signals()
    click.echo(("\n" if sys.stderr.isatty() else "") + what, err=True)
    sys.exit(code)


def _param_hint(name) -> str | None:
    if name == "versions":  # the worksheet's own limit, looked up only when needed
        from .worksheet import MAX_VERSIONS

        return f"a whole number from 1 to {MAX_VERSIONS}"
    return PARAM_HINTS.get(name)


def _click_message(exc: click.ClickException) -> str:
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    param = getattr(exc, "param", None)
    hint = _param_hint(param.name) if isinstance(exc, click.BadParameter) and param is not None else None
    if hint:
        message = f"{message.rstrip('.')}; give {hint}"
    if isinstance(exc, click.NoSuchOption):
        message = f"No such option {short(exc.option_name, 40)}."
    if isinstance(exc, click.NoSuchOption) and ctx is not None and ctx.info_name == "solve":
        message += " (a PROGRAM that starts with '-' goes after --, as in: solve -- \"-a*b\" a=1 b=2)"
    elif ctx is not None and ctx.parent is not None:
        message += f" (see 'backprop-practice {ctx.info_name} --help')"
    return message


def main(argv=None):
    """Run the CLI: errors become one line on stderr and a non-zero exit, never a traceback.

    Ctrl-C (SIGINT) prints "interrupted" and exits 130, SIGTERM "terminated" and 143, after cleanup has
    removed any temporary file. Set BACKPROP_PRACTICE_DEBUG=1 to see the traceback of an internal error."""
    # SIGPIPE stays ignored (Python's default), so a pipe closed early raises BrokenPipeError: on stdout that is
    # `problems | head`, ended quietly below; to a dot or typst child that Ctrl-C ended first, the interruption wins.
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        click.echo(cli.get_help(click.Context(cli, info_name="backprop-practice")))
        return
    previous = _catch_signals()
    try:
        cli.main(args=args, prog_name="backprop-practice", standalone_mode=False)
        sys.stdout.flush()
    except UserError as exc:
        _fail(str(exc), exc.exit_code)
    except click.ClickException as exc:
        _fail(_click_message(exc), exc.exit_code)
    except Interrupted as exc:
        _interrupted(str(exc), exc.exit_code)
    except (KeyboardInterrupt, click.exceptions.Abort):  # when no handler could be installed
        _interrupted("interrupted", 130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:  # the reader of stdout stopped early (`problems | head`): nothing more to say
        _flush_stdout()
        sys.exit(0)
    except OSError as exc:  # writing stdout to a full disk, or a file error nothing else caught
        _flush_stdout()
        where = f"{exc.filename}: " if exc.filename else "cannot write the output: "
        _fail(f"{where}{exc.strerror or exc}", 1)
    except RecursionError:
        _fail("the input is nested too deeply to handle; simplify it", 1)
    except MemoryError:
        _fail("out of memory; ask for fewer or smaller problems", 1)
    except Exception as exc:  # a bug: still one line, and how to see more
        if os.environ.get("BACKPROP_PRACTICE_DEBUG"):
            raise
        _fail(
            f"internal error (a bug; please report it): {type(exc).__name__}: {exc} "
            "(run with BACKPROP_PRACTICE_DEBUG=1 for the traceback)",
            1,
        )
    finally:
        if argv is None:
            _ignore_signals()  # the process ends now; nothing is left to interrupt
        else:
            _restore_signals(previous)  # called in-process (tests): leave the caller's handlers as they were
