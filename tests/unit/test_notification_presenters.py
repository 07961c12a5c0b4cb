"""The bell's rows and the Settings form: pure presenters."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from credits_app.credits.errors import InvalidArgument
from credits_app.credits.wallet_settings import WalletSettings
from credits_app.notifications.inbox import NotificationItem
from credits_app.state.notification_presenters import badge_text, notification_row, relative_time
from credits_app.state.settings_presenters import (
    SettingsForm,
    check_form,
    field_of,
    form_of,
    input_text,
)

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=5), "just now"),
        (timedelta(minutes=5), "5 min ago"),
        (timedelta(hours=3), "3 h ago"),
        (timedelta(days=2), "Mar 2"),
    ],
)
def test_relative_time(age: timedelta, text: str) -> None:
    assert relative_time(NOW - age, NOW) == text


@pytest.mark.parametrize(("unread", "text"), [(0, ""), (1, "1"), (9, "9"), (10, "9+")])
def test_badge_text(unread: int, text: str) -> None:
    assert badge_text(unread) == text


def test_a_row_links_to_its_wallet_and_says_how_urgent_it_is() -> None:
    item = NotificationItem(7, "balance.critical", "T", "B", "org", 3, NOW, None)
    row = notification_row(item, NOW, {3: "acme"})
    assert (row.href, row.severity, row.unread) == ("/organizations/acme/credits", "danger", True)
    personal = NotificationItem(8, "purchase.completed", "T", "B", "user", 1, NOW, NOW)
    row = notification_row(personal, NOW, {})
    assert (row.href, row.severity, row.unread) == ("/credits", "info", False)


def test_the_form_shows_stored_amounts_as_plain_text() -> None:
    settings = WalletSettings(Decimal("250.0000"), Decimal("12.5000"), None)
    assert form_of(settings) == SettingsForm("250", "12.5", "")
    assert input_text(Decimal("0.0001")) == "0.0001"


def test_the_form_is_checked_as_the_api_checks_amounts() -> None:
    checked = check_form(SettingsForm("12.34567", "", "-1"))
    assert set(checked.errors) == {"monthly_limit", "critical_threshold"}
    assert "decimal places" in checked.errors["monthly_limit"]
    ok = check_form(SettingsForm(" 250 ", "20", ""))
    assert ok.errors == {}
    assert ok.change == {"monthly_limit": "250", "low_threshold": "20", "critical_threshold": None}


def test_a_service_error_lands_on_the_field_it_names() -> None:
    error = InvalidArgument("criticalThreshold must not be greater", field="criticalThreshold")
    assert field_of(error) == "critical_threshold"
    assert field_of(InvalidArgument("no field")) == "monthly_limit"
