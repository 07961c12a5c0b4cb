"""What the UI shows, computed without a browser: labels, signs, shares, prices, chart traces."""

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from credits_app import styles
from credits_app.billing.packages import PackageInfo
from credits_app.credits.ai_usage_report import AiUsageBreakdown
from credits_app.credits.categories import CreditUsageCategory
from credits_app.credits.credit_service import DailyUsage, HistoryItem, UsageReport
from credits_app.credits.wallet_settings import BalanceOverview, BalanceStatus, WalletSettings
from credits_app.state.auth_state import safe_next
from credits_app.state.formatting import (
    MINUS,
    compact_balance,
    model_label,
    money,
    percent,
    signed_amount,
)
from credits_app.state.history_presenters import history_row
from credits_app.state.overview_presenters import overview_view, status_tooltip
from credits_app.state.purchase_presenters import package_cards
from credits_app.state.usage_presenters import (
    category_rows,
    feature_rows,
    model_rows,
    usage_figure,
    usage_traces,
)
from credits_app.state.wallet_context_state import credits_path, org_slug_from_path


def item(amount: str, type: str = "usage", category: str | None = "ai_usage") -> HistoryItem:
    return HistoryItem(
        id=7,
        type=type,
        category=category,
        amount=Decimal(amount),
        balance_after=Decimal("1234.5"),
        description="",
        metadata={},
        created_at=datetime(2026, 3, 4, 14, 5, tzinfo=UTC),
    )


def overview(balance: str, used: str, limit: str | None) -> BalanceOverview:
    return BalanceOverview(
        balance=Decimal(balance),
        status=BalanceStatus.OK,
        settings=WalletSettings(
            monthly_limit=None if limit is None else Decimal(limit),
            low_threshold=Decimal(50),
            critical_threshold=None,
        ),
        used_this_month=Decimal(used),
    )


def report(spent: dict[tuple[int, str], str], days: int = 3) -> UsageReport:
    """A usage report over `days` days; `spent` maps (day index, category) to credits."""
    first = date(2026, 3, 1)
    daily = []
    for offset in range(days):
        per_category = {
            c.value: Decimal(spent.get((offset, c.value), "0")) for c in CreditUsageCategory
        }
        daily.append(
            DailyUsage(first + timedelta(days=offset), sum(per_category.values()), per_category)
        )
    by_category = {
        c.value: sum((d.by_category[c.value] for d in daily), Decimal(0))
        for c in CreditUsageCategory
    }
    return UsageReport(days, sum(by_category.values(), Decimal(0)), by_category, daily)


def test_amounts_are_signed_with_a_true_minus_and_formatted_by_the_shared_rule() -> None:
    assert signed_amount(Decimal("12000.0000")) == "+12,000"
    assert signed_amount(Decimal("-0.0660")) == MINUS + "0.066"


def test_history_row_labels_a_ledger_entry_for_the_table() -> None:
    row = history_row(item("-22.4"))
    assert row.amount == MINUS + "22.4" and row.is_credit is False
    assert row.type_label == "Usage" and row.category_label == "AI usage"
    assert row.description == "Usage", "an entry without description shows its type"
    assert (row.at, row.at_utc, row.balance_after) == (
        "2026-03-04T14:05:00Z",
        "Mar 4, 2026, 14:05 UTC",
        "1,234.5",
    ), "the browser shows local time from `at`; the UTC text is the hover"
    purchase = history_row(item("12000", type="purchase", category=None))
    assert purchase.is_credit and purchase.category_label == ""


def test_purchases_are_named_after_their_package_as_everywhere_else() -> None:
    entry = item("12000", type="purchase", category=None)
    entry = HistoryItem(**{**entry.__dict__, "description": "Purchase: pro package"})
    entry.metadata["packageId"] = "pro"
    row = history_row(entry, {"pro": "Pro"})
    assert row.description == "Pro package"
    assert ("Package", "Pro") in [(d.label, d.value) for d in row.details]
    assert history_row(entry, {}).description == "Purchase: pro package", "unknown: as stored"


def test_the_detail_drawer_lists_model_and_tokens_first_in_words() -> None:
    entry = item("-0.5")
    entry.metadata.update(
        {"model": "demo-model", "inputTokens": 1200, "outputTokens": 34, "zeta": [1]}
    )
    details = [(d.label, d.value) for d in history_row(entry).details]
    assert details == [
        ("Entry", "#7"),
        ("Model", "Demo model"),
        ("Input tokens", "1,200"),
        ("Output tokens", "34"),
        ("zeta", "[1]"),
    ]


def test_overview_measures_spending_against_the_limit_when_one_is_set() -> None:
    view = overview_view(overview("100", "850", "1000"))
    assert (view.percent_used, view.near_limit, view.limit_reached) == (85, True, False)
    assert (view.used_this_month, view.monthly_limit, view.low_threshold) == ("850", "1,000", "50")
    assert overview_view(overview("0", "1000", "1000")).limit_reached


def test_the_header_shows_at_most_two_decimals_rounded_down_and_the_exact_one_on_hover() -> None:
    view = overview_view(overview("17025.8981", "0", None))
    assert (view.balance, view.header_balance) == ("17,025.8981", "17,025.89")
    assert view.tooltip.startswith("17,025.8981 credits.")
    assert compact_balance(Decimal("0.0099")) == "0", "never more than the wallet holds"


def test_a_wallet_that_never_had_credits_is_welcomed_not_called_critical() -> None:
    empty = BalanceOverview(
        balance=Decimal(0),
        status=BalanceStatus.CRITICAL,
        settings=WalletSettings(None, None, None),
        used_this_month=Decimal(0),
    )
    new = overview_view(empty, has_history=False)
    assert (new.status, new.welcome, new.offers_buy) == ("new", True, True)
    spent_out = overview_view(empty, has_history=True)
    assert (spent_out.status, spent_out.welcome) == ("critical", False)
    assert not overview_view(overview("300", "100", None)).offers_buy, "healthy: one button"


def test_overview_without_a_limit_measures_against_what_the_month_started_with() -> None:
    view = overview_view(overview("300", "100", None))
    assert (view.percent_used, view.monthly_limit, view.near_limit) == (25, "", False)
    assert overview_view(overview("0", "0", None)).percent_used == 0


def test_status_tooltip_names_the_thresholds() -> None:
    assert "low at 50 and critical at 10" in status_tooltip("critical", "50", "10")
    assert status_tooltip("ok", "", "").startswith("Balance is healthy. No warning thresholds")


def test_usage_traces_keep_every_category_on_its_colour_with_exact_values() -> None:
    traces = usage_traces(report({(0, "marketplace"): "25.5", (2, "ai_usage"): "0.0001"}))
    assert [t["name"] for t in traces] == [
        "AI usage",
        "Marketplace",
        "Premium features",
        "Subscriptions",
        "Transfers",
        "Other",
    ]
    assert [t["marker"]["color"] for t in traces] == styles.CHART_CATEGORY_COLORS
    assert [t["visible"] for t in traces] == [True, True, False, False, False, False]
    marketplace = traces[1]
    assert marketplace["x"] == ["2026-03-01", "2026-03-02", "2026-03-03"]
    assert marketplace["y"] == ["25.5", None, None], "exact decimal strings, never floats"
    assert traces[0]["y"][2] == "0.0001" and traces[0]["customdata"][2] == "0.0001"
    assert traces[0]["y"][0] is None, "a day without spending is left out of the hover"
    layout = usage_figure(report({})).to_dict()["layout"]
    assert [(a["x"], a["text"]) for a in layout["annotations"]] == [("2026-03-03", "Today")]
    template = layout["template"]
    assert len(json.dumps(template)) < 200, "no default Plotly template shipped with every update"


def test_category_rows_are_largest_first_with_the_chart_colour_slot() -> None:
    rows = category_rows(report({(0, "subscription"): "75", (1, "ai_usage"): "25"}))
    assert [(r.label, r.amount, r.percent, r.color_index) for r in rows] == [
        ("Subscriptions", "75", 75, 3),
        ("AI usage", "25", 25, 0),
    ]


def test_ai_rows_name_unattributed_spending_and_list_every_feature() -> None:
    ai = AiUsageBreakdown(
        by_model={"unknown": Decimal(3), "gpt-4o": Decimal(1), "demo-model": Decimal(0)},
        by_feature={"chat": Decimal(1), "image": Decimal(0), "tts": Decimal(0), "stt": Decimal(0)},
    )
    assert [(r.label, r.percent) for r in model_rows(ai)] == [
        ("Unattributed", 75),
        ("gpt-4o", 25),
    ]
    assert [r.label for r in feature_rows(ai)] == [
        "Chat",
        "Image",
        "Text to speech",
        "Speech to text",
    ]


def test_package_cards_price_per_thousand_credits_and_savings() -> None:
    starter = PackageInfo("starter", "Starter", Decimal(1000), Decimal(0), 1000, "usd", False)
    pro = PackageInfo("pro", "Pro", Decimal(10000), Decimal(2000), 9000, "usd", True)
    cards = package_cards([starter, pro])
    assert (cards[0].price, cards[0].price_per_thousand, cards[0].savings) == (
        "$10.00",
        "$10.00",
        "",
    )
    assert (cards[1].total_credits, cards[1].bonus_credits, cards[1].has_bonus) == (
        "12,000",
        "2,000",
        True,
    )
    assert (cards[1].price_per_thousand, cards[1].savings) == ("$7.50", "Save 25%")
    assert money(123456, "chf") == "1,234.56 CHF"


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [("1", "3", 33), ("2", "3", 67), ("5", "0", 0), ("7", "5", 100)],
)
def test_percent_is_a_whole_number_between_0_and_100(part: str, whole: str, expected: int) -> None:
    assert percent(Decimal(part), Decimal(whole)) == expected


@pytest.mark.parametrize(
    ("path", "slug"),
    [
        ("/organizations/acme/credits", "acme"),
        ("/organizations/acme%20co/credits/", "acme co"),
        ("/credits", ""),
        ("", ""),
    ],
)
def test_the_wallet_context_comes_from_the_url(path: str, slug: str) -> None:
    assert org_slug_from_path(path) == slug
    assert credits_path(slug) == (f"/organizations/{slug}/credits" if slug else "/credits")


@pytest.mark.parametrize(
    ("next_path", "target"),
    [
        ("/credits?tab=history", "/credits?tab=history"),
        ("/organizations/acme/credits", "/organizations/acme/credits"),
        ("https://evil.example/", "/credits"),
        ("//evil.example/", "/credits"),
        ("/\\evil.example", "/credits"),
        ("/login?next=/x", "/credits"),
        (None, "/credits"),
    ],
)
def test_sign_in_only_returns_to_pages_of_this_site(next_path: str | None, target: str) -> None:
    assert safe_next(next_path) == target


def test_the_demo_models_are_named_plainly_and_real_models_as_they_are() -> None:
    assert model_label("demo-model") == "Demo model"
    assert model_label("demo-image") == "Demo image model"
    assert model_label("gpt-4o-mini") == "gpt-4o-mini"
