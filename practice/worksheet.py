"""Placeholder: the `worksheet` command is being written."""

import click

from .errors import UserError


@click.command(name="worksheet")
def command():
    """(not built yet)"""
    raise UserError("the worksheet command is not built yet")
