"""Placeholder: the `quiz` command is being written."""

import click

from .errors import UserError


@click.command(name="quiz")
def command():
    """(not built yet)"""
    raise UserError("the quiz command is not built yet")
