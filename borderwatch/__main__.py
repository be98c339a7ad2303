"""`python -m borderwatch` is the `borderwatch` command."""

from borderwatch.cli import app

app()
