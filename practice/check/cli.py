"""`backprop-practice check ENGINE`: the click command (heavy imports inside, so start-up stays quick)."""

import click


@click.command("check")
@click.argument("engine", type=click.Path())
@click.option("--class", "class_name", metavar="NAME", help="The value class to check (when there are several, or none is obvious).")
@click.option("--data", metavar="ATTR", help="The attribute that holds a value's number (default: found: data, val, ...).")
@click.option("--grad", metavar="ATTR", help="The attribute that holds its gradient (default: found: grad, ...).")
@click.option("--backward", metavar="METHOD", help="The method that runs backpropagation (default: found: backward, backprop, ...).")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=0, show_default=True, help="Draw the checks from this seed.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (format backprop-practice.check/1).")
@click.option("--gradescope", metavar="FILE", type=click.Path(dir_okay=False), help="Also write Gradescope's results.json to FILE.")
@click.option("--csv", "csv_path", metavar="FILE", type=click.Path(dir_okay=False),
              help="ENGINE is a folder of submissions: check each and write one CSV row per submission to FILE.")
@click.option("--timeout", type=click.FloatRange(0.5, 600), default=10.0, show_default=True,
              help="Seconds the code may take to load, and for each check.")
def command(engine, class_name, data, grad, backward, seed, as_json, gradescope, csv_path, timeout):
    """Check your own engine: run your Value class against generated problems.

    ENGINE is a .py file, a package folder or an .ipynb notebook (its code cells; shell and magic lines
    are not run). Every op your class offers (+ - * / **, -a, 2 * a, 1 - a, 1 / a, tanh, exp, relu,
    sigmoid, log) is checked on its own and in graphs, with this tool's engine as the key; each failure
    shows its smallest example and, when it is a catalogued mistake, its name, the fix and your line.
    Your code runs in a separate process with time and memory limits. Exit status: 0 pass, 1 fail.

    \b
    Examples:
      backprop-practice check engine.py
      backprop-practice check micrograd.ipynb --class Value --json
      backprop-practice check submissions/ --csv summary.csv
    """
    from ..atomic import check_writable, write_text
    from .api import check_path
    from .report import csv_text, json_text
    from .sandbox import Limits
    from .source import submissions

    names = {"class": class_name, "data": data, "grad": grad, "backward": backward}
    limits = Limits(timeout=timeout)
    for path in (gradescope, csv_path):
        if path:
            check_writable(path)
    if csv_path:
        if gradescope:
            raise click.UsageError("--gradescope writes one submission's results; with --csv give one or the other")
        rows = []
        for item in submissions(engine):
            report = check_path(item, names, seed, limits)
            rows.append(report.csv_row(item.name))
            click.echo(f"{item.name}: {report.headline()}")
        write_text(csv_path, csv_text(rows))
        click.echo(f"wrote {csv_path}: {len(rows)} submissions", err=True)
        return
    report = check_path(engine, names, seed, limits)
    if gradescope:
        write_text(gradescope, json_text(report.to_gradescope()))
    click.echo(json_text(report.to_json()) if as_json else report.text(), nl=False)
    if report.exit_code:
        raise SystemExit(report.exit_code)
