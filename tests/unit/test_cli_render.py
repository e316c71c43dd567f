"""How the CLI words plans and status: kinds summed up, ages, local times, field names."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from wsdeploy.cli.render import age, field_name, local_time, per_kind


def test_kinds_met_once_keep_their_name_several_are_counted():
    items = [("role", "chat-dev-ws"), ("route", "$connect"), ("route", "join"), ("role policy", "x"),
             ("role policy", "y"), ("stage", "dev")]
    assert per_kind(items) == "role chat-dev-ws, 2 routes, 2 role policies, stage dev"


@pytest.mark.parametrize("seconds, shown", [(5, "just now"), (61, "1 min ago"), (3599, "59 min ago"),
                                            (7300, "2 h ago"), (47 * 3600, "47 h ago"),
                                            (3 * 86400 + 5, "3 days ago")])
def test_ages(seconds, shown):
    assert age(seconds) == shown


def test_a_recorded_utc_time_is_shown_in_the_users_zone_with_its_age(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    try:
        now = datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc)
        assert local_time("2026-05-01T10:00:00+00:00", now) == "2026-05-01 15:30 IST (2 h ago)"
        assert local_time((now - timedelta(seconds=30)).isoformat(), now).endswith("(just now)")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_fields_are_named_as_people_call_them():
    assert [field_name(f) for f in ("environment_names", "retention_days", "uri", "memory")] == [
        "environment variables", "retention days", "URI", "memory"]
