"""The emulated HTTP API's event (payload format 2.0, as AWS documents it) and reply (issue 17)."""

import base64

from wsdeploy.emulator.events import Api
from wsdeploy.emulator.http_api import http_event, reply_from
from wsdeploy.emulator.http_replies import serialize
from wsdeploy.runtime.http_app import is_http_event

API = Api("abcdef1234", "dev", 8765)


def event(method="GET", target="/", headers=None, body=b""):
    return http_event(API, method, target, {"host": "127.0.0.1:8765", "user-agent": "curl/8",
                                            **(headers or {})}, body, "10.0.0.7", "req=", 1700000000123)


def test_the_event_has_the_documented_shape():
    got = event("POST", "/a%20b/c?x=1&x=2&y=", {"cookie": "s=1; t=2", "accept": "a/b,c/d",
                                                "content-type": "application/json"}, b'{"k":1}')
    assert is_http_event(got)
    assert (got["version"], got["routeKey"], got["rawPath"], got["rawQueryString"]) == (
        "2.0", "$default", "/a%20b/c", "x=1&x=2&y=")
    assert got["cookies"] == ["s=1", "t=2"] and "cookie" not in got["headers"]
    assert got["headers"]["accept"] == "a/b,c/d" and got["headers"]["x-forwarded-for"] == "10.0.0.7"
    assert got["headers"]["content-length"] == "7"
    assert got["queryStringParameters"] == {"x": "1,2", "y": ""}
    http = got["requestContext"]["http"]
    assert http == {"method": "POST", "path": "/a b/c", "protocol": "HTTP/1.1",
                    "sourceIp": "10.0.0.7", "userAgent": "curl/8"}
    context = got["requestContext"]
    assert (context["routeKey"], context["stage"], context["apiId"], context["timeEpoch"]) == (
        "$default", "$default", "abcdef1234", 1700000000123)
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert (got["body"], got["isBase64Encoded"]) == ('{"k":1}', False)


def test_binary_bodies_are_base64_and_no_body_means_none():
    got = event("POST", "/up", {"content-type": "application/octet-stream"}, b"\x00\xff")
    assert got["isBase64Encoded"] and base64.b64decode(got["body"]) == b"\x00\xff"
    plain = event()
    assert "body" not in plain and plain["isBase64Encoded"] is False
    assert "cookies" not in plain and "queryStringParameters" not in plain


def test_the_reply_carries_headers_cookies_and_decoded_bodies():
    reply = reply_from({"statusCode": 201, "headers": {"content-type": "image/png", "x-a": "1"},
                        "cookies": ["a=1; Path=/", "b=2"], "isBase64Encoded": True,
                        "body": base64.b64encode(b"\x89PNG").decode()})
    assert (reply.status, reply.body, reply.content_type) == (201, b"\x89PNG", "image/png")
    wire = serialize(reply, keep_alive=True)
    assert b"\r\nSet-Cookie: a=1; Path=/\r\n" in wire and b"\r\nSet-Cookie: b=2\r\n" in wire
    assert b"\r\nContent-Type: image/png\r\n" in wire and b"\r\nContent-Length: 4\r\n" in wire
    assert wire.endswith(b"\r\n\r\n\x89PNG")


def test_a_result_without_status_code_is_a_json_body_and_a_bad_one_is_500():
    assert (reply_from({"ok": True}).status, reply_from({"ok": True}).body) == (200, b'{"ok": true}')
    assert reply_from({"statusCode": "x"}).status == 500
