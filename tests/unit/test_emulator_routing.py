"""Route selection for messages, as section 3 of the spec describes it."""

from __future__ import annotations

import pytest

from wsdeploy.emulator.routing import RouteSelectionError, RouteSelector

ROUTES = {"$connect", "$disconnect", "$default", "join", "chat:lobby", "a/b", "1", "true"}


def select(expression: str, body: str, routes=ROUTES):
    return RouteSelector(expression).select(body, routes)


def test_the_usual_expression_picks_the_action():
    assert select("$request.body.action", '{"action": "join"}') == "join"


def test_nested_paths():
    assert select("$request.body.meta.kind", '{"meta": {"kind": "join"}}') == "join"
    assert select("$request.body.meta.kind", '{"meta": "join"}') == "$default"


def test_templates_with_static_text():
    body = '{"type": "chat", "room": "lobby"}'
    assert select("${request.body.type}:${request.body.room}", body) == "chat:lobby"
    assert select("${request.body.x.y}/${request.body.z}", '{"x": {"y": "a"}, "z": "b"}') == "a/b"


def test_a_missing_path_renders_as_empty_in_a_template():
    selector = RouteSelector("${request.body.type}:${request.body.room}")
    assert selector.evaluate('{"room": "lobby"}') == ":lobby"
    assert selector.select('{"type": "chat"}', ROUTES | {"chat:"}) == "chat:"


def test_non_json_and_non_objects_fall_to_default():
    for body in ("hello", "", "{broken", "[1, 2]", '"join"', "42"):
        assert select("$request.body.action", body) == "$default", body


def test_a_body_nested_deeper_than_the_json_parser_goes_is_not_json():
    assert select("$request.body.action", "[" * 100_000) == "$default"
    assert RouteSelector("$request.body.action").evaluate('{"a":' * 100_000) is None


def test_no_match_goes_to_default_and_without_default_to_nothing():
    assert select("$request.body.action", '{"action": "dance"}') == "$default"
    assert select("$request.body.action", '{"action": "dance"}', {"$connect", "join"}) is None
    assert select("$request.body.action", "not json", {"$connect", "join"}) is None


def test_matching_is_exact():
    assert select("$request.body.action", '{"action": "Join"}') == "$default"
    assert select("$request.body.action", '{"action": "join "}') == "$default"


def test_a_message_never_selects_connect_or_disconnect():
    assert select("$request.body.action", '{"action": "$connect"}') == "$default"
    assert select("$request.body.action", '{"action": "$disconnect"}', {"$disconnect"}) is None


def test_non_string_values_render_as_json():
    assert select("$request.body.action", '{"action": 1}') == "1"
    assert select("$request.body.action", '{"action": true}') == "true"
    assert RouteSelector("$request.body.action").evaluate('{"action": null}') == ""


def test_unsupported_expressions_are_refused_with_the_forms_that_work():
    for expression in ("action", "$request.header.x", "${context.routeKey}",
                       "$request.body.action-${request.body.x}", "static"):
        with pytest.raises(RouteSelectionError, match=r"\$request\.body\.NAME"):
            RouteSelector(expression)
