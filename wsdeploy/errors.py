"""Errors of the deploy tooling (never shipped to Lambda).

`UserError` is something the user can fix (bad config, missing credentials, a held lock): the CLI
prints its message and exits 2. `DeployError` is a failure while talking to AWS: the CLI prints
what failed and how to go on, and exits 1. Neither prints a traceback unless `--debug`.
"""


class UserError(Exception):
    """Bad input or environment; exit status 2."""

    exit_code = 2


class DeployError(Exception):
    """AWS refused or failed a step; exit status 1."""

    exit_code = 1
