"""Placeholder: the `deck` command is being written."""

import click

from .errors import UserError


@click.command(name="deck")
def command():
    """(not built yet)"""
    raise UserError("the deck command is not built yet")
