"""`python -m credits_app` runs the operator CLI."""

from credits_app.cli import app

app(prog_name="python -m credits_app")
