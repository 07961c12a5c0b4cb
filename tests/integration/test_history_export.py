"""The History tab's CSV export over HTTP: the CLI's columns, the tab's filters, members only."""

import csv
import io
from datetime import UTC, datetime, timedelta

from credits_app.credits import credit_service
from credits_app.credits.history_export import HEADER
from tests.support.api_client import ApiClient, assert_error, fund_org, fund_user


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_export_streams_the_filtered_history_with_the_cli_columns(api: ApiClient) -> None:
    user = api.register("export")
    fund_user(user, "100")
    for amount, description in (("2.5", "Render job #1"), ("1", "50% off render"), ("3", "Chat")):
        credit_service.deduct_personal_credits(
            user.id, amount, category="marketplace", description=description
        )
    response = api.http.get(
        "/api/credits/history/export", params={"q": "render"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.text.splitlines()[0] == ",".join(HEADER)
    found = rows(response.text)
    assert [(r["description"], r["amount"]) for r in found] == [
        ("50% off render", "-1.0000"),
        ("Render job #1", "-2.5000"),
    ]
    literal = api.http.get("/api/credits/history/export", params={"q": "50%"}, headers=user.headers)
    assert [r["description"] for r in rows(literal.text)] == ["50% off render"], "% is literal"
    grants = api.http.get(
        "/api/credits/history/export", params={"type": "grant"}, headers=user.headers
    )
    assert [r["type"] for r in rows(grants.text)] == ["grant"]


def test_the_export_date_range_is_inclusive_utc_days(api: ApiClient) -> None:
    user = api.register("export-days")
    fund_user(user, "5")
    today = datetime.now(UTC).date()
    inside = api.http.get(
        "/api/credits/history/export",
        params={"from": today.isoformat(), "to": today.isoformat()},
        headers=user.headers,
    )
    assert len(rows(inside.text)) == 1
    before = api.http.get(
        "/api/credits/history/export",
        params={"to": (today - timedelta(days=1)).isoformat()},
        headers=user.headers,
    )
    assert rows(before.text) == []


def test_org_exports_are_for_members_only_and_bad_filters_are_400(api: ApiClient) -> None:
    owner, outsider = api.register("owner"), api.register("outsider")
    org_id = int(api.create_org(owner, "Export")["id"])
    fund_org(org_id, "7")
    path = f"/api/orgs/{org_id}/credits/history/export"
    assert [r["amount"] for r in rows(api.http.get(path, headers=owner.headers).text)] == ["7.0000"]
    assert_error(api.http.get(path, headers=outsider.headers), 404, "org_not_found")
    bad = api.http.get(path, params={"type": "nonsense"}, headers=owner.headers)
    assert bad.status_code == 400, bad.text
    assert api.http.get("/api/credits/history/export").status_code == 401


def a_zone_where_today_is_another_day() -> tuple[str, int]:
    """An IANA zone whose date differs from the UTC date right now, and by how many days:
    UTC+14 once it is 10:00 UTC or later, else UTC-11 (before 11:00 UTC)."""
    return ("Pacific/Kiritimati", 1) if datetime.now(UTC).hour >= 10 else ("Pacific/Pago_Pago", -1)


def test_the_export_date_range_is_in_the_tz_time_zone_when_given(api: ApiClient) -> None:
    user = api.register("export-zone")
    fund_user(user, "5")
    zone, shift = a_zone_where_today_is_another_day()
    utc_today = datetime.now(UTC).date()
    local_today = (utc_today + timedelta(days=shift)).isoformat()

    def export(day: str, tz: str | None) -> list[dict[str, str]]:
        params = {"from": day, "to": day} | ({"tz": tz} if tz else {})
        response = api.http.get("/api/credits/history/export", params=params, headers=user.headers)
        assert response.status_code == 200, response.text
        return rows(response.text)

    assert len(export(local_today, zone)) == 1
    assert export(utc_today.isoformat(), zone) == []
    assert len(export(utc_today.isoformat(), None)) == 1  # no tz: UTC days, as before
    bad = api.http.get(
        "/api/credits/history/export", params={"tz": "Mars/Olympus"}, headers=user.headers
    )
    assert_error(bad, 400, "invalid_argument")
