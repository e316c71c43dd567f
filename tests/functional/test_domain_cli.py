"""A custom domain through the CLI, in-process against strict moto: what `up` prints (the
custom URL first on stdout, one URL per line), what `status` shows, the refusals (exit 2)
and the question before a domain is deleted."""

from __future__ import annotations

import json

import pytest

from tests.functional.test_provision_cli import cli, hooks, project   # noqa: F401 - fixtures
from tests.support.aws_domains import NAME, hosted_zone, issued_certificate
from tests.support.aws_fixtures import CallLog, moto_session
from tests.support.aws_inventory import expected_inventory, inventory
from tests.support.aws_strict import make_strict
from tests.support.package_project import MINIMAL_TOML

__all__ = ["moto_session"]
ROUTES = ["$connect", "$default", "$disconnect"]
DOMAIN_TOML = MINIMAL_TOML + f'domain = {{ name = "{NAME}" }}\n'


class Strict:
    """Makes every session the CLI opens answer as AWS does (aws_strict)."""

    def attach(self, session):
        make_strict(session)
        return self


@pytest.fixture
def strict(hooks):   # noqa: F811
    hooks.append(Strict())
    log = CallLog()
    hooks.append(log)
    return log


def test_up_prints_the_custom_url_first_then_the_apis_and_status_shows_the_domain(project, moto_session, capsys, strict):   # noqa: F811
    certificate = issued_certificate(moto_session)
    hosted_zone(moto_session)
    (project / "wsdeploy.toml").write_text(DOMAIN_TOML)
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"wss://{NAME}" and lines[1].endswith(".execute-api.eu-west-1.amazonaws.com/dev")
    assert len(lines) == 2
    assert f"+ create domain name {NAME} (REGIONAL, TLS 1.2, certificate {certificate})" in err
    assert f"+ create dns records {NAME} (alias A and AAAA in zone example.com)" in err
    code, again, err = cli(capsys, "up")
    assert code == 0 and again == out and "Up to date" in err

    code, out, err = cli(capsys, "status")
    assert code == 0, err
    assert f"Custom URL   wss://{NAME}" in out and f"Certificate  {certificate} (ISSUED, expires " in out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if line.split()}
    assert rows["domain"][:4] == ["domain", "name", NAME, "ok"]
    assert rows["api"][-1] == "ok" and rows["dns"][:4] == ["dns", "records", NAME, "ok"]
    report = json.loads(cli(capsys, "status", "--json")[1])
    assert report["custom_url"] == f"wss://{NAME}" and report["certificate"]["arn"] == certificate
    assert report["drift"] == [] and report["notes"] == []


def test_without_a_route53_zone_up_says_which_record_to_make(project, moto_session, capsys, strict):   # noqa: F811
    issued_certificate(moto_session)
    (project / "wsdeploy.toml").write_text(DOMAIN_TOML)
    code, out, err = cli(capsys, "up")
    assert code == 0, err
    assert out.splitlines()[0] == f"wss://{NAME}"
    assert f"At your DNS provider, point {NAME} at d-" in " ".join(err.split())
    assert inventory(moto_session) == expected_inventory(ROUTES, domains=1, dns_records=0)


def test_a_domain_name_of_another_stage_exits_2_before_any_write(project, moto_session, capsys, strict):   # noqa: F811
    certificate = issued_certificate(moto_session)
    moto_session.client("apigatewayv2").create_domain_name(
        DomainName=NAME, DomainNameConfigurations=[{"CertificateArn": certificate}],
        Tags={"wsdeploy:app": "chat", "wsdeploy:stage": "prod"})
    (project / "wsdeploy.toml").write_text(DOMAIN_TOML)
    code, out, err = cli(capsys, "up")
    assert code == 2 and out == "" and strict.writes == []
    assert "belongs to stage prod of app chat" in " ".join(err.split())
    assert "Traceback" not in err


def test_turning_the_domain_off_asks_first_and_exits_2_without_a_terminal(project, moto_session, capsys, strict):   # noqa: F811
    issued_certificate(moto_session)
    hosted_zone(moto_session)
    (project / "wsdeploy.toml").write_text(DOMAIN_TOML)
    assert cli(capsys, "up")[0] == 0
    (project / "wsdeploy.toml").write_text(MINIMAL_TOML)
    strict.clear()
    code, out, err = cli(capsys, "up")
    assert code == 2 and strict.writes == [] and out == ""
    assert f"It would delete: domain name {NAME} (the address clients connect to" in " ".join(err.split())
    code, out, err = cli(capsys, "up", "--yes")
    assert code == 0, err
    assert len(out.splitlines()) == 1 and out.startswith("wss://") and NAME not in out
    assert inventory(moto_session) == expected_inventory(ROUTES)


def test_a_certificate_of_another_region_exits_2_before_any_aws_call(project, moto_session, capsys, strict):   # noqa: F811
    arn = "arn:aws:acm:us-east-1:123456789012:certificate/1234abcd-12ab-34cd-56ef-1234567890ab"
    (project / "wsdeploy.toml").write_text(MINIMAL_TOML + f'domain = {{ name = "{NAME}", certificate_arn = "{arn}" }}\n')
    code, out, err = cli(capsys, "up")
    assert code == 2 and strict.operations == []
    assert "stages.dev.domain.certificate_arn: the certificate is in us-east-1, but the stage deploys to eu-west-1" \
        in " ".join(err.split())
