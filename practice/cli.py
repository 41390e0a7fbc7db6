"""The command line: one command per verb, each a thin layer over the pipeline's stages."""

import json
import signal
import sys

import click

from . import GENERATOR, __version__
from .errors import UserError
from .spec import MAX_PROBLEMS as MAX_COUNT


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
    a bundled spec (micrograd, the lesson's mix; worksheet, one sitting).
    """


@cli.command()
@click.argument("spec", required=False)
@click.option("--kind", "kinds", multiple=True, metavar="K",
              help="Only problems of kind K (repeatable): local, expression, neuron, accumulate, loss, step, numeric.")
@click.option("--difficulty", metavar="D", help="Make every problem easy, medium or hard.")
@click.option("--count", type=int, metavar="N", help=f"Problems per kind entry (1 to {MAX_COUNT}).")
@_seed_option
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer-key document instead of text.")
def problems(spec, kinds, difficulty, count, seed, as_json):
    """Print a problem set with its answer keys (default SPEC: micrograd).

    \b
    Examples:
      backprop-practice problems
      backprop-practice problems --kind expression --difficulty easy --count 3
      backprop-practice problems micrograd --seed 7 --json
    """
    from .generate import document, problem_set
    from .spec import choose
    from .text import render_problems

    chosen = choose(spec, kinds, difficulty, count, seed)
    records = problem_set(chosen.entries, chosen.seed)
    _out(_json_text(document(records, chosen.seed)) if as_json else render_problems(records))


@cli.command()
@click.argument("program")
@click.argument("values", nargs=-1, metavar="[NAME=VALUE]...")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON answer-key document instead of text.")
@click.option("--graph", "graph", type=click.Path(dir_okay=False), metavar="FILE",
              help="Also draw the answered graph to FILE (.svg or .png; needs Graphviz).")
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
    if as_json:
        from .generate import document

        _out(_json_text(document([record], None)))
    else:
        from .text import render_problems

        _out(render_problems([record], show_header=False))


# Commands that live beside their exporter: each module defines `command`, a click.Command.
# One line per command; keep heavy imports inside the command functions so start-up stays quick.
for _module in ("deck", "worksheet", "quiz"):
    cli.add_command(__import__(f"practice.{_module}", fromlist=["command"]).command)


def main(argv=None):
    """Run the CLI: errors become one line on stderr and a non-zero exit, never a traceback."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `problems | head` ends quietly
    args = sys.argv[1:] if argv is None else list(argv)
    if not args:
        click.echo(cli.get_help(click.Context(cli, info_name="backprop-practice")))
        return
    try:
        cli.main(args=args, prog_name="backprop-practice", standalone_mode=False)
    except UserError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        hint = f" (see 'backprop-practice {exc.ctx.info_name} --help')" if getattr(exc, "ctx", None) and exc.ctx.parent else ""
        click.echo(f"error: {exc.format_message()}{hint}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
