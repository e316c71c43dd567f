"""How `up`, `down`, `status` and `logs` show plans, progress and reports (Rich, CLI only)."""

from __future__ import annotations

import sys
from typing import Any

from rich.markup import escape
from rich.table import Table

from ..errors import UserError
from ..provision.steps import Plan, Step
from .console import console, error_console, say, warn

MARKS = {"create": "[green]+[/]", "update": "[yellow]~[/]", "delete": "[red]-[/]",
         "adopt": "[cyan]=[/]", "wait for": "[dim]…[/]"}


def step_line(step: Step) -> str:
    return f"{MARKS.get(step.action, ' ')} {escape(step.describe())}"


def show_plan(plan: Plan, with_unchanged: bool) -> None:
    """Every step, a summary line, and with_unchanged the untouched resources too."""
    for step in plan.steps:
        error_console.print("  " + step_line(step), highlight=False)
    if with_unchanged:
        for kind, name in plan.unchanged:
            error_console.print(f"  [dim]  unchanged {escape(kind.replace('_', ' '))} {escape(name)}[/]",
                                highlight=False)
    for note in plan.notes:
        warn(note)
    counts = ", ".join(f"{plan.count(a)} to {a}" for a in ("create", "update", "delete", "adopt")
                       if plan.count(a))
    say(f"Plan: {counts or 'no changes'}; {len(plan.unchanged)} unchanged", "bold")


class ProgressReporter:
    """Prints each step as it starts and ends: a deploy takes seconds, so lines beat bars.
    Remembers how far the run got, for the message when it is interrupted."""

    done, total, running = 0, 0, None

    def step_started(self, index: int, total: int, step: Step) -> None:
        self.total, self.running = total, step
        self._status = error_console.status(f"[{index}/{total}] {escape(step.describe())}")
        self._status.start()

    def step_done(self, index: int, total: int, step: Step) -> None:
        self.done, self.running = index, None
        self._status.stop()
        error_console.print(f"  [green]✓[/] [dim][{index}/{total}][/] {escape(step.describe())}",
                            highlight=False)

    def notice(self, message: str) -> None:
        say(message, "yellow")

    def stop(self) -> None:
        status = getattr(self, "_status", None)
        if status is not None:
            status.stop()


def interrupted(reporter: ProgressReporter, where: str, command: str, finishes: str) -> None:
    """Ctrl-C during a run: what was done, that it is recorded, and how to finish."""
    reporter.stop()
    if reporter.total == 0:
        say(f"Interrupted before any change; nothing was changed. Run `wsdeploy {command}` again.",
            "yellow")
        return
    cut = (f"; it was interrupted during step {reporter.done + 1} "
           f"({reporter.running.describe()}), which may or may not have been made"
           if reporter.running else "")
    say(f"Interrupted: {reporter.done} of {reporter.total} steps done and recorded in {where}{cut}. "
        f"Run `wsdeploy {command}` again to finish: {finishes}.", "yellow")


def status_table(report: Any) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("resource", "id", "status", "differs"):
        table.add_column(column)
    colours = {"ok": "green", "missing": "red", "drifted": "yellow", "untracked": "cyan"}
    for row in report.resources:
        colour = colours.get(row.status, "")
        table.add_row(row.type.replace("_", " "), escape(row.id),
                      f"[{colour}]{row.status}[/]", escape(", ".join(row.fields)))
    return table


def require_terminal_or_yes(yes: bool, what: str, listing: str = "") -> bool:
    """True when the user must be asked; refuses outright with no terminal to ask on."""
    if yes:
        return False
    if not sys.stdin.isatty():
        raise UserError(f"refusing to {what} without confirmation: no terminal to ask on. "
                        f"Pass --yes to confirm{listing}")
    return True


def print_result(text: str) -> None:
    console.print(text, highlight=False, markup=False, soft_wrap=True)
