"""How `up`, `down`, `status` and `logs` show plans, progress and reports (Rich, CLI only)."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any, Iterable

from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from ..errors import UserError
from ..provision.steps import Action, Plan, Step
from .console import console, error_console, print_result, say, warn  # noqa: F401

MARKS = {"create": "[green]+[/]", "update": "[yellow]~[/]", "delete": "[red]-[/]",
         "adopt": "[cyan]=[/]", "wait for": "[dim]…[/]"}


def step_line(step: Step) -> str:
    return f"{MARKS.get(step.action, ' ')} {escape(step.describe())}"


def show_plan(plan: Plan, with_unchanged: bool, verbose: bool = False) -> bool:
    """Every step, a summary line, and with_unchanged the untouched resources too. On a
    terminal too short for all that (and without --verbose), what is created or adopted and
    what is unchanged are summed up per kind, and only the changes to what exists (updates,
    deletes) get a line each. Returns True when the plan was summed up so."""
    lines = len(plan.steps) + len(plan.notes) + (len(plan.unchanged) if with_unchanged else 0)
    compact = not verbose and error_console.is_terminal and lines + 3 > error_console.height
    if compact:
        for action in (Action.CREATE, Action.ADOPT):
            steps = [step for step in plan.steps if step.action == action]
            if steps:
                error_console.print(f"  {MARKS[action]} {action} {len(steps)}: "
                                    f"{escape(per_kind((s.kind.label, s.name) for s in steps))}",
                                    highlight=False)
    for step in plan.steps:
        if not (compact and step.action in (Action.CREATE, Action.ADOPT)):
            error_console.print("  " + step_line(step), highlight=False)
    if with_unchanged and plan.unchanged:
        if compact:
            error_console.print(f"  [dim]  unchanged {len(plan.unchanged)}: "
                                f"{escape(per_kind((k.replace('_', ' '), n) for k, n in plan.unchanged))}[/]",
                                highlight=False)
        else:
            for kind, name in plan.unchanged:
                error_console.print(f"  [dim]  unchanged {escape(kind.replace('_', ' '))} {escape(name)}[/]",
                                    highlight=False)
    for note in plan.notes:
        warn(note)
    counts = ", ".join(f"{plan.count(a)} to {a}" for a in ("create", "update", "delete", "adopt")
                       if plan.count(a))
    tail = " (summed up to fit the terminal: --verbose lists every step)" if compact else ""
    say(f"Plan: {counts or 'no changes'}; {len(plan.unchanged)} unchanged{tail}", "bold")
    return compact


def per_kind(items: Iterable[tuple[str, str]]) -> str:
    """"role chat-dev-ws, 6 routes, stage dev": a kind met once keeps its name, several are
    counted; in the order they come."""
    names: dict[str, list[str]] = {}
    for kind, name in items:
        names.setdefault(kind, []).append(name)
    return ", ".join(f"{kind} {found[0]}" if len(found) == 1 else f"{len(found)} {plural(kind)}"
                     for kind, found in names.items())


def plural(label: str) -> str:
    return label[:-1] + "ies" if label.endswith("y") else label + "s"


class ProgressReporter:
    """Prints each step as it starts and ends: a deploy takes seconds, so lines beat bars.
    Remembers how far the run got, for the message when it is interrupted. `compact` (the plan
    was summed up to fit the terminal): creates and adoptions show only while they run."""

    done, total, running = 0, 0, None

    def __init__(self, compact: bool = False) -> None:
        self.compact = compact

    def step_started(self, index: int, total: int, step: Step) -> None:
        self.total, self.running = total, step
        self._status = error_console.status(f"[{index}/{total}] {escape(step.describe())}")
        self._status.start()

    def step_done(self, index: int, total: int, step: Step) -> None:
        self.done, self.running = index, None
        self._status.stop()
        if not (self.compact and step.action in (Action.CREATE, Action.ADOPT)):
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


# The report's field names (`status --json` keeps them) as people call them.
FIELD_NAMES = {"environment_names": "environment variables", "uri": "URI",
               "source_arn": "source ARN", "ttl": "TTL", "auto_deploy": "auto-deploy"}


def field_name(field: str) -> str:
    return FIELD_NAMES.get(field, field.replace("_", " "))


def show_status_rows(report: Any) -> None:
    """The resources as a table; as a line each where the terminal is too narrow for the
    table (it would cut its words)."""
    table = status_table(report)
    if Measurement.get(console, console.options.update_width(10_000), table).maximum <= console.width:
        console.print(table)
        return
    for row in report.resources:
        differs = f" ({', '.join(map(field_name, row.fields))})" if row.fields else ""
        print_result(f"{row.type.replace('_', ' ')} {row.id}: {row.status}{differs}")


def status_table(report: Any) -> Table:
    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    for column in ("resource", "id", "status", "differs"):
        table.add_column(column)
    colours = {"ok": "green", "missing": "red", "drifted": "yellow", "untracked": "cyan"}
    for row in report.resources:
        colour = colours.get(row.status, "")
        table.add_row(row.type.replace("_", " "), escape(row.id),
                      f"[{colour}]{row.status}[/]", escape(", ".join(map(field_name, row.fields))))
    return table


def local_time(iso: str, now: datetime | None = None) -> str:
    """"2026-05-01 16:03 CEST (2 h ago)": a recorded UTC time in the user's zone, with its age."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone()
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({age(seconds)})"


def age(seconds: float) -> str:
    if seconds < 60:
        return "just now"
    for unit, size, limit in (("min", 60, 3600), ("h", 3600, 48 * 3600)):
        if seconds < limit:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds // 86400)} days ago"


def require_terminal_or_yes(yes: bool, what: str, listing: str = "") -> bool:
    """True when the user must be asked; refuses outright with no terminal to ask on."""
    if yes:
        return False
    if not sys.stdin.isatty():
        raise UserError(f"refusing to {what} without confirmation: no terminal to ask on. "
                        f"Pass --yes to confirm{listing}")
    return True
