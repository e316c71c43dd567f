"""What exists in AWS (moto) for a stage, read from AWS itself, and what should: tests compare
inventory() with expected_inventory() or EMPTY, and a state file's ids with AWS's
(record_matches_aws).
"""

from __future__ import annotations

import json
from typing import Any

import boto3

from tests.support.aws_strict import _apigw_backend
from wsdeploy.provision.desired import Desired


def inventory(session: boto3.Session, name: str = "chat-dev-ws", responses: bool = True) -> dict[str, Any]:
    """Counts of every kind of resource a stage can have, read from AWS (moto) itself.

    Route responses are counted in moto's in-process backend (moto has no GetRouteResponses):
    pass responses=False against a moto server."""
    iam, lam = session.client("iam"), session.client("lambda")
    logs, apigw = session.client("logs"), session.client("apigatewayv2")
    roles = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == name]
    apis = [a for a in apigw.get_apis()["Items"] if a["Name"] == name]
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name]
    table = f"{name}-connections"
    found: dict[str, Any] = {
        "roles": len(roles),
        "tables": session.client("dynamodb").list_tables()["TableNames"].count(table),
        "role_policies": len(iam.list_role_policies(RoleName=name)["PolicyNames"]) if roles else 0,
        "log_groups": sum(g["logGroupName"] == f"/aws/lambda/{name}"
                          for g in logs.describe_log_groups()["logGroups"]),
        "apis": len(apis), "functions": len(functions),
        "permissions": _permission_count(lam, name, WEBSOCKET_SIDS) if functions else 0,
        "integrations": 0, "routes": {}, "route_responses": {}, "stages": 0,
        **_domain_inventory(session), "authorizers": 0, "connect_auth": None,
        **_http_inventory(session, name),
        "managed_policies": len(iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])
        if roles else 0,
    }
    for api in apis:
        found["integrations"] += len(apigw.get_integrations(ApiId=api["ApiId"])["Items"])
        found["authorizers"] += (len(_apigw_backend().apis[api["ApiId"]].authorizers) if responses
                                 else _authorizers_in_use(apigw, api["ApiId"]))
        found["stages"] += len(apigw.get_stages(ApiId=api["ApiId"])["Items"])
        for route in apigw.get_routes(ApiId=api["ApiId"])["Items"]:
            key = route["RouteKey"]
            found["routes"][key] = found["routes"].get(key, 0) + 1
            if key == "$connect" and route.get("AuthorizationType", "NONE") != "NONE":
                found["connect_auth"] = route["AuthorizationType"]
            if responses:
                found_responses = _apigw_backend().apis[api["ApiId"]].routes[route["RouteId"]].route_responses
                if found_responses:
                    found["route_responses"][key] = len(found_responses)
    return found


def _domain_inventory(session: boto3.Session) -> dict[str, int]:
    """Custom domain names, their API mappings, and alias records to API Gateway targets in
    every hosted zone (the certificates and zones are the user's: not counted)."""
    apigw, route53 = session.client("apigatewayv2"), session.client("route53")
    domains = apigw.get_domain_names()["Items"]
    records = 0
    for zone in route53.list_hosted_zones()["HostedZones"]:
        sets = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        records += sum(".execute-api." in (r.get("AliasTarget") or {}).get("DNSName", "") for r in sets)
    return {"domain_names": len(domains), "dns_records": records,
            "api_mappings": sum(len(apigw.get_api_mappings(DomainName=d["DomainName"])["Items"])
                                for d in domains)}


# The function's statements for the WebSocket API: its integration's, and its authorizer's.
WEBSOCKET_SIDS = ("wsdeploy-apigateway-invoke", "wsdeploy-apigateway-authorizer")


def _authorizers_in_use(apigw: Any, api_id: str) -> int:
    """Against a server (moto's has no GetAuthorizers): the authorizers its routes use."""
    used = {r.get("AuthorizerId") for r in apigw.get_routes(ApiId=api_id)["Items"]} - {None, ""}
    return sum(1 for authorizer_id in used
               if apigw.get_authorizer(ApiId=api_id, AuthorizerId=authorizer_id))


def _permission_count(lam: Any, name: str, sids: tuple[str, ...] | None = None) -> int:
    """The function's statements (with `sids`: of those ids)."""
    try:
        statements = json.loads(lam.get_policy(FunctionName=name)["Policy"])["Statement"]
    except lam.exceptions.ResourceNotFoundException:
        return 0
    return len([s for s in statements if sids is None or s.get("Sid") in sids])


def _http_inventory(session: boto3.Session, name: str) -> dict[str, int]:
    """The HTTP API of http_app (issue 17): NAME without -ws, then -http; its parts, and the
    function's statement for it."""
    apigw, lam = session.client("apigatewayv2"), session.client("lambda")
    http_name = name.removesuffix("-ws") + "-http"
    apis = [a for a in apigw.get_apis()["Items"] if a["Name"] == http_name]
    functions = [f for f in lam.list_functions()["Functions"] if f["FunctionName"] == name]
    found = {"http_apis": len(apis), "http_integrations": 0, "http_routes": 0, "http_stages": 0,
             "http_permissions": _permission_count(lam, name, ("wsdeploy-apigateway-invoke-http",))
             if functions else 0}
    for api in apis:
        found["http_integrations"] += len(apigw.get_integrations(ApiId=api["ApiId"])["Items"])
        found["http_routes"] += len(apigw.get_routes(ApiId=api["ApiId"])["Items"])
        found["http_stages"] += len(apigw.get_stages(ApiId=api["ApiId"])["Items"])
    return found


def expected_inventory(route_keys: list[str], reply_keys: list[str] = (), tables: int = 0,
                       domains: int = 0, dns_records: int | None = None,
                       connect_auth: str | None = None, http: int = 0, app_policies: int = 0,
                       managed_policies: int = 0) -> dict[str, Any]:
    """`domains`: custom domain names, each with its mapping and (by default) A and AAAA.
    `connect_auth`: $connect's AuthorizationType when not NONE; CUSTOM brings an authorizer
    and the function's statement for it. `http`: 1 with http_app (an HTTP API with one
    integration, route and stage, and the function's statement for it). `app_policies`: 1 with
    the app's own `app` inline policy; `managed_policies` attached."""
    authorizers = int(connect_auth == "CUSTOM")
    return {"roles": 1, "tables": tables, "role_policies": 1 + app_policies, "log_groups": 1,
            "apis": 1, "functions": 1, "managed_policies": managed_policies,
            "permissions": 1 + authorizers, "integrations": 1, "routes": {k: 1 for k in route_keys},
            "route_responses": {k: 1 for k in reply_keys}, "stages": 1, "domain_names": domains,
            "api_mappings": domains, "dns_records": 2 * domains if dns_records is None else dns_records,
            "authorizers": authorizers, "connect_auth": connect_auth,
            **{key: http for key in HTTP_KEYS}}


EMPTY = {"roles": 0, "tables": 0, "role_policies": 0, "log_groups": 0, "apis": 0, "functions": 0,
         "permissions": 0, "integrations": 0, "routes": {}, "route_responses": {}, "stages": 0,
         "domain_names": 0, "api_mappings": 0, "dns_records": 0, "authorizers": 0, "connect_auth": None,
         "http_apis": 0, "http_integrations": 0, "http_routes": 0, "http_stages": 0, "http_permissions": 0,
         "managed_policies": 0}
HTTP_KEYS = ("http_apis", "http_integrations", "http_routes", "http_stages", "http_permissions")


def record_matches_aws(session: boto3.Session, record: dict, responses: bool = True) -> list[str]:
    """Where the state file's ids differ from what AWS has (empty when they agree)."""
    problems = []
    res = record["resources"]
    apigw, lam, iam = session.client("apigatewayv2"), session.client("lambda"), session.client("iam")
    api_id = res["api"]["id"]
    if [a["ApiId"] for a in apigw.get_apis()["Items"] if a["ProtocolType"] == "WEBSOCKET"] != [api_id]:
        problems.append("api id")
    if [i["IntegrationId"] for i in apigw.get_integrations(ApiId=api_id)["Items"]] != [res["integration"]["id"]]:
        problems.append("integration id")
    live_routes = {r["RouteKey"]: r["RouteId"] for r in apigw.get_routes(ApiId=api_id)["Items"]}
    if live_routes != {k: v["id"] for k, v in res["routes"].items()}:
        problems.append(f"routes {live_routes} != {res['routes']}")
    for key, entry in res["routes"].items() if responses else ():
        found_responses = set(_apigw_backend().apis[api_id].routes[entry["id"]].route_responses)
        if found_responses != ({entry["response_id"]} if entry["response_id"] else set()):
            problems.append(f"route response of {key}")
    if lam.get_function(FunctionName="chat-dev-ws")["Configuration"]["FunctionArn"] != res["function"]["arn"]:
        problems.append("function arn")
    if iam.get_role(RoleName="chat-dev-ws")["Role"]["Arn"] != res["role"]["arn"]:
        problems.append("role arn")
    tables = session.client("dynamodb").list_tables()["TableNames"]
    if "table" in res:
        arn = session.client("dynamodb").describe_table(TableName=res["table"]["name"])["Table"]["TableArn"]
        if arn != res["table"]["arn"]:
            problems.append("table arn")
    elif "chat-dev-ws-connections" in tables:
        problems.append("table not recorded")
    problems += _domain_matches(session, res, api_id)
    problems += _http_matches(session, res)
    problems += _access_matches(iam, res)
    if {s["name"] if isinstance(s, dict) else s for s in [res["stage"]]} != {
            s["StageName"] for s in apigw.get_stages(ApiId=api_id)["Items"]}:
        problems.append("stage")
    return problems


def _access_matches(iam: Any, res: dict) -> list[str]:
    """The `app` inline policy recorded exactly when it exists; the recorded managed policies
    attached (others may be, by hand)."""
    problems = []
    inline = iam.list_role_policies(RoleName="chat-dev-ws")["PolicyNames"]
    if ("app" in inline) != ("app_policy" in res):
        problems.append("app policy")
    attached = {p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName="chat-dev-ws")["AttachedPolicies"]}
    if not set((res.get("managed_policies") or {}).get("arns", [])) <= attached:
        problems.append("managed policies")
    return problems


def _domain_matches(session: boto3.Session, res: dict, api_id: str) -> list[str]:
    apigw = session.client("apigatewayv2")
    domains = {d["DomainName"]: d for d in apigw.get_domain_names()["Items"]}
    recorded = res.get("domain_name")
    if recorded is None:
        return ["domain name not recorded"] if domains else []
    if list(domains) != [recorded["name"]]:
        return [f"domain names {list(domains)} != {recorded['name']}"]
    problems = []
    if domains[recorded["name"]]["DomainNameConfigurations"][0]["ApiGatewayDomainName"] != recorded["target"]:
        problems.append("domain target")
    mappings = apigw.get_api_mappings(DomainName=recorded["name"])["Items"]
    if [(m["ApiMappingId"], m["ApiId"]) for m in mappings] != [(res["api_mapping"]["id"], api_id)]:
        problems.append("api mapping")
    dns = res.get("dns_records")
    if dns:
        sets = session.client("route53").list_resource_record_sets(HostedZoneId=dns["zone_id"])["ResourceRecordSets"]
        aliases = sorted(r["Type"] for r in sets if r["Name"].rstrip(".") == dns["name"]
                         and (r.get("AliasTarget") or {}).get("DNSName", "").rstrip(".") == dns["target"])
        if aliases != ["A", "AAAA"]:
            problems.append(f"dns records {aliases}")
    return problems


def _http_matches(session: boto3.Session, res: dict) -> list[str]:
    apigw = session.client("apigatewayv2")
    live = [a["ApiId"] for a in apigw.get_apis()["Items"] if a["ProtocolType"] == "HTTP"]
    recorded = res.get("http_api")
    if recorded is None:
        return ["http api not recorded"] if live else []
    if live != [recorded["id"]]:
        return [f"http apis {live} != {recorded['id']}"]
    problems = []
    integrations = apigw.get_integrations(ApiId=recorded["id"])["Items"]
    if [i["IntegrationId"] for i in integrations] != [res["http_integration"]["id"]]:
        problems.append("http integration id")
    routes = apigw.get_routes(ApiId=recorded["id"])["Items"]
    if [(r["RouteId"], r["Target"]) for r in routes] != [(res["http_route"]["id"], res["http_route"]["target"])]:
        problems.append("http route")
    if [s["StageName"] for s in apigw.get_stages(ApiId=recorded["id"])["Items"]] != ["$default"]:
        problems.append("http stage")
    return problems


def reply_keys_of(d: Desired) -> list[str]:
    return [r.key for r in d.routes if r.reply]


def route_keys_of(d: Desired) -> list[str]:
    return [r.key for r in d.routes]
