"""Imports every command module so that each registers itself on the Typer app."""

# One line per command module; keep sorted.
