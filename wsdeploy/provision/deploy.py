"""`up` as two parts the CLI can show between: prepare (reads only), then apply."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterator

from ..errors import DeployError
from ..state import StateStore, shown, utc_now
from . import record as rec
from .desired import Desired, config_hash, custom_url, http_url, websocket_url
from .errors import AwsCallError
from .executor import UP_RECOVERY, QuietReporter, Reporter, execute, failure_message
from .kinds import REGISTRY
from .observe import observe
from .planner import plan
from .secrets_check import check_secrets_exist
from .vpc_check import check_vpc
from .run import Run
from .seen import Observed
from .steps import Action, Kind, Plan, Step

if TYPE_CHECKING:
    from .aws import Aws


@dataclass(frozen=True)
class Prepared:
    record: dict | None
    observed: Observed
    plan: Plan


def prepare_up(aws: "Aws", d: Desired, store: StateStore, refresh: bool = False) -> Prepared:
    """Loads the record, checks it fits, reads what exists and plans. Makes read calls only."""
    record = store.load()
    rec.check_matches(record, d, store.where)
    aws.hide(value for _, value in d.user_environment)   # never in an error message
    with reading():
        check_secrets_exist(aws, d)
        vpc_warning = check_vpc(aws, d)
    with reading():
        observed = observe(aws, d, record, full=refresh)
    planned = plan(d, observed)
    if vpc_warning:
        planned = replace(planned, notes=planned.notes + (vpc_warning,))
    return Prepared(record, observed, planned)


@contextmanager
def reading() -> Iterator[None]:
    """A failed look-up has changed nothing: say so, instead of the steps' recovery advice."""
    try:
        yield
    except AwsCallError as error:
        raise DeployError(f"looking up what exists failed, so nothing was changed: {error}\n"
                          "  Run the command again; if it keeps failing, check your network, "
                          "the region and the credentials' permissions") from error


def apply_up(aws: "Aws", d: Desired, store: StateStore, prepared: Prepared,
             reporter: Reporter | None = None) -> str:
    """Runs the plan, recording each step; returns the wss:// URL."""
    aws.hide(value for _, value in d.user_environment)
    record = prepared.record or rec.new_record(d)
    observed = prepared.observed
    run = Run(aws=aws, d=d, observed=observed, record=record, save=store.save,
              notice=(reporter or QuietReporter()).notice)
    if forget_what_is_gone(record, observed):
        store.save(record)
    run.function_busy = bool(observed.function and observed.function.live.busy)
    run.table_busy = bool(observed.table and observed.table.busy)
    where = store.where
    execute(run, prepared.plan.steps, reporter or QuietReporter(), where, UP_RECOVERY)
    try:
        run.function_ready()   # the URL is only worth printing once the function can run
    except AwsCallError as error:
        waiting = Step(Kind.FUNCTION, Action.WAIT, d.name, why="until Lambda reports it ready")
        total = len(prepared.plan.steps)
        raise DeployError(failure_message(waiting, total, total, error, record, where,
                                          UP_RECOVERY)) from error
    return finish(run)


def forget_what_is_gone(record: dict, observed: Observed) -> bool:
    """Drops from the record what the look-ups found gone (deleted by hand, or by a run whose
    answer was lost), so the record only names what exists. True if anything was dropped.
    Each recorded kind's `Observed` field bears its record key's name."""
    before = repr(record.get("resources"))
    resources = rec.resources(record)
    for key in (s.record_key for s in REGISTRY if s.record_key and s.record_key != "routes"):
        if getattr(observed, key) is None:
            resources.pop(key, None)
    if observed.table is not None and observed.table.deleting:
        resources.pop("table", None)
    live = {route.key: route for route in observed.routes}
    recorded_routes = rec.routes(record)
    for key in list(recorded_routes):
        if key not in live or live[key].id != recorded_routes[key].get("id"):
            del recorded_routes[key]
        elif recorded_routes[key].get("response_id") != live[key].response_id:
            recorded_routes[key]["response_id"] = live[key].response_id
    return repr(record.get("resources")) != before


def finish(run: Run) -> str:
    """Records the URL and what was deployed; saves only if that changed."""
    url = websocket_url(run.d, run.partition, run.api_id)
    summary = {"url": url, "code_sha256": run.d.code_sha256, "config_hash": config_hash(run.d),
               "custom_url": domain_url(run.record), "http_url": recorded_http_url(run)}
    if any(run.record.get(key) != value for key, value in summary.items()) or not run.record.get("deployed_at"):
        run.record.update(summary, deployed_at=utc_now())
        run.save(run.record)
    return url


def up(aws: "Aws", d: Desired, store: StateStore, reporter: Reporter | None = None,
       refresh: bool = False) -> tuple[Plan, str]:
    """Prepare and apply in one go (tests and the benchmark); the CLI adds the lock."""
    prepared = prepare_up(aws, d, store, refresh)
    return prepared.plan, apply_up(aws, d, store, prepared, reporter)


def domain_url(record: dict) -> str | None:
    """wss://NAME/BASE_PATH of the recorded custom domain and mapping, if any."""
    domain, mapping = rec.get(record, "domain_name"), rec.get(record, "api_mapping")
    return custom_url(domain["name"], mapping["key"]) if domain and mapping else None


def recorded_http_url(run: Run) -> str | None:
    """https://... of the recorded HTTP API of http_app (issue 17), if any."""
    api = rec.get(run.record, "http_api")
    return http_url(run.d, run.partition, api["id"]) if api else None


def result_urls(record: dict) -> list[str]:
    """What `up` prints on stdout, one per line: the custom domain's URL first, if any, then
    the API's own, then the HTTP API's (http_app)."""
    return [url for url in (record.get("custom_url"), record.get("url"), record.get("http_url")) if url]


def dns_instructions(record: dict) -> str | None:
    """With a custom domain whose DNS is not in Route 53: the record to make, and where."""
    domain = rec.get(record, "domain_name")
    if not domain or rec.get(record, "dns_records"):
        return None
    return (f"no public Route 53 hosted zone of this account covers {domain['name']}, so wsdeploy "
            f"made no DNS record for it. At your DNS provider, point {domain['name']} at "
            f"{domain['target']} (a CNAME record, or alias/ANAME records where the provider has "
            f"them); {record.get('custom_url') or 'the custom URL'} answers once the name resolves")
