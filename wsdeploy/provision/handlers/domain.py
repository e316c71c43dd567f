"""A custom domain: its API Gateway domain name, the API mapping to this API's stage, and the
Route 53 alias A and AAAA records to the domain's regional target."""

from __future__ import annotations

from .. import record as rec
from ..desired import domain_configuration
from ..dns import alias_records, best_zone, foreign, refuse_foreign
from ..errors import AlreadyExists, AwsCallError
from ..live import ApiMapping, DomainName
from ..observe_domain import seen_domain
from ..ownership import require_domain_ours
from ..run import Run
from ..seen import SeenDomainName
from ..steps import Action, Step


def _put_domain(run: Run, seen: SeenDomainName) -> None:
    run.put("domain_name", {"name": seen.name, "certificate_arn": seen.certificate_arn,
                            "target": seen.target, "target_zone_id": seen.target_zone_id})


def create_domain_name(run: Run, step: Step) -> None:
    """REGIONAL, TLS 1.2, dualstack, tagged; one found there already is adopted if ours, and
    given our certificate and settings."""
    name, configuration = run.d.domain.name, domain_configuration(run.observed.certificate.arn)
    try:
        live = run.aws.create_domain_name(name, configuration, run.d.tags)
    except AlreadyExists:
        live = run.aws.get_domain_name(name)
        if live is None:
            raise
        require_domain_ours(live.name, live.tags, run.d)
        if not seen_domain(live, False).settings_ok or live.certificate_arn != configuration["CertificateArn"]:
            live = run.aws.update_domain_name(name, configuration)
    _put_domain(run, seen_domain(live, True))


def update_domain_name(run: Run, step: Step) -> None:
    """Another certificate, or the settings put back."""
    live: DomainName = run.aws.update_domain_name(
        run.d.domain.name, domain_configuration(run.observed.certificate.arn))
    _put_domain(run, seen_domain(live, True))


def adopt_domain_name(run: Run, step: Step) -> None:
    _put_domain(run, run.observed.domain_name)


def delete_domain_name(run: Run, step: Step) -> None:
    """Its API mappings go with it."""
    run.aws.delete_domain_name(step.name)


def _put_mapping(run: Run, mapping: ApiMapping) -> None:
    run.put("api_mapping", {"id": mapping.id, "domain": run.d.domain.name, "api_id": mapping.api_id,
                            "stage": mapping.stage, "key": mapping.key})


def create_api_mapping(run: Run, step: Step) -> None:
    """The key already mapped (a run whose answer was lost, or a mapping left on our domain):
    that mapping is made ours."""
    want = run.d.domain
    try:
        mapping = run.aws.create_api_mapping(want.name, run.api_id, run.d.stage, want.base_path)
    except AlreadyExists:
        mapping = next((m for m in run.aws.get_api_mappings(want.name) if m.key == want.base_path), None)
        if mapping is None:
            raise
        if (mapping.api_id, mapping.stage) != (run.api_id, run.d.stage):
            mapping = run.aws.update_api_mapping(want.name, mapping.id, run.api_id, run.d.stage,
                                                 want.base_path)
    _put_mapping(run, mapping)


def update_api_mapping(run: Run, step: Step) -> None:
    """Another base path, or the mapping back to this API's stage."""
    want = run.d.domain
    _put_mapping(run, run.aws.update_api_mapping(want.name, run.observed.api_mapping.id, run.api_id,
                                                 run.d.stage, want.base_path))


def adopt_api_mapping(run: Run, step: Step) -> None:
    seen = run.observed.api_mapping
    _put_mapping(run, ApiMapping(seen.id, seen.api_id, seen.stage, seen.key))


def _put_records(run: Run) -> None:
    domain = rec.get(run.record, "domain_name")
    zone = run.observed.zone
    run.put("dns_records", {"zone_id": zone.id, "zone_name": zone.name, "name": run.d.domain.name,
                            "target": domain["target"], "target_zone_id": domain["target_zone_id"]})


def _records(run: Run) -> list[dict]:
    domain = rec.get(run.record, "domain_name")
    return alias_records(run.d.domain.name, domain["target"], domain["target_zone_id"])


def create_dns_records(run: Run, step: Step) -> None:
    """CREATE, which Route 53 refuses if records are there: ours (a lost answer) are then
    written over, anyone else's refused."""
    zone, name = run.observed.zone, run.d.domain.name
    try:
        run.aws.change_records(zone.id, [("CREATE", r) for r in _records(run)])
    except AwsCallError as error:
        if error.code != "InvalidChangeBatch" or "already exists" not in error.message:
            raise
        target = rec.get(run.record, "domain_name")["target"]
        refuse_foreign(foreign(run.aws.record_sets(zone.id, name), target), name, zone)
        run.aws.change_records(zone.id, [("UPSERT", r) for r in _records(run)])
    _put_records(run)


def update_dns_records(run: Run, step: Step) -> None:
    """To the domain's target (new, or changed by hand); moved to another zone, the new ones
    are written before the old ones go."""
    zone, old = run.observed.zone, rec.get(run.record, "dns_records")
    run.aws.change_records(zone.id, [("UPSERT", r) for r in _records(run)])
    _put_records(run)
    if old and (old["zone_id"], old["name"]) != (zone.id, run.d.domain.name):
        run.aws.delete_alias_records(old["zone_id"], old["name"], old["target"])


def adopt_dns_records(run: Run, step: Step) -> None:
    _put_records(run)


def delete_dns_records(run: Run, step: Step) -> None:
    """Ours only: the records at the name that alias the domain's target. Not recorded (a
    `down` without a state file), they are looked for where `up` would have put them."""
    recorded = rec.get(run.record, "dns_records")
    if recorded:
        run.aws.delete_alias_records(recorded["zone_id"], recorded["name"], recorded["target"])
        return
    zone, domain = best_zone(run.aws.hosted_zones(), step.name), run.aws.get_domain_name(step.name)
    if zone and domain:
        run.aws.delete_alias_records(zone.id, step.name, domain.target)


DOMAIN_NAME = {Action.CREATE: create_domain_name, Action.UPDATE: update_domain_name,
               Action.ADOPT: adopt_domain_name, Action.DELETE: delete_domain_name}
API_MAPPING = {Action.CREATE: create_api_mapping, Action.UPDATE: update_api_mapping,
               Action.ADOPT: adopt_api_mapping}
DNS_RECORDS = {Action.CREATE: create_dns_records, Action.UPDATE: update_dns_records,
               Action.ADOPT: adopt_dns_records, Action.DELETE: delete_dns_records}
