"""Demo data for `make run`: a demo user and org with funded wallets and two weeks of history.

Safe to re-run: accounts are looked up before they are created, and every ledger entry
carries a fixed idempotency key, so a second run replays instead of adding entries.
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from credits_app.auth.accounts import (
    OrgInfo,
    Role,
    UserInfo,
    create_organization,
    create_user,
    find_org_by_slug,
    find_user_by_email,
)
from credits_app.clock import frozen_at, utcnow
from credits_app.credits import credit_service
from credits_app.credits.ai_credit_service import (
    chat_cost_units,
    image_cost_units,
    stt_cost_units,
    tts_cost_units,
)
from credits_app.credits.ai_usage_metadata import AiFeature
from credits_app.credits.amounts import Units
from credits_app.credits.categories import CreditUsageCategory
from credits_app.credits.errors import IdempotencyConflict
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import update_wallet_settings
from credits_app.settings import get_settings

HISTORY_DAYS = 14
# (days ago, category, credits, description) for the personal and the org wallet
PERSONAL_SPENDING = [
    (13, CreditUsageCategory.AI_USAGE, "12.5", "2Bot chat: gpt-4o-mini"),
    (11, CreditUsageCategory.MARKETPLACE, "150", "Marketplace: Invoice parser bot"),
    (9, CreditUsageCategory.AI_USAGE, "48.25", "2Bot image: 1024x1024"),
    (7, CreditUsageCategory.PREMIUM_FEATURE, "200", "Premium: scheduled runs"),
    (5, CreditUsageCategory.AI_USAGE, "31.75", "2Bot chat: gpt-4o"),
    (3, CreditUsageCategory.SUBSCRIPTION, "500", "Pro plan, monthly"),
    (1, CreditUsageCategory.AI_USAGE, "22.4", "2Bot speech-to-text: 4 min"),
]
# Who served the AI lines above, so the usage breakdown can name the model and feature.
AI_SPENDING_METADATA: dict[str, dict[str, object]] = {
    "2Bot chat: gpt-4o-mini": {"model": "gpt-4o-mini", "feature": "chat"},
    "2Bot image: 1024x1024": {"model": "dall-e-3", "feature": "image"},
    "2Bot chat: gpt-4o": {"model": "gpt-4o", "feature": "chat"},
    "2Bot speech-to-text: 4 min": {"model": "whisper-1", "feature": "stt"},
    "Team chat assistant": {"model": "gpt-4o", "feature": "chat"},
    "Support bot replies": {"model": "gpt-4o-mini", "feature": "chat"},
}
# (days ago, model, feature, units from the rate card, input tokens, output tokens)
AI_CHARGES = [
    (6, "gpt-4o-mini", AiFeature.CHAT, chat_cost_units("gpt-4o-mini", 1200, 800), 1200, 800),
    (4, "dall-e-3", AiFeature.IMAGE, image_cost_units("dall-e-3", "1024x1024"), 0, 0),
    (2, "tts-1", AiFeature.TTS, tts_cost_units("tts-1", 2400), 0, 0),
    (1, "whisper-1", AiFeature.STT, stt_cost_units("whisper-1", 150), 0, 0),
]
ORG_SPENDING = [
    (12, CreditUsageCategory.AI_USAGE, "820", "Team chat assistant"),
    (8, CreditUsageCategory.MARKETPLACE, "2400", "Marketplace: CRM sync bot"),
    (4, CreditUsageCategory.AI_USAGE, "1310.5", "Support bot replies"),
    (2, CreditUsageCategory.SUBSCRIPTION, "5000", "Team plan, monthly"),
]


@dataclass(frozen=True)
class DemoAccounts:
    """What the demo loader made (or found)."""

    user: UserInfo
    org: OrgInfo


def load_demo_data() -> DemoAccounts:
    """Create the demo user, org and their history unless they already exist."""
    settings = get_settings()
    user = find_user_by_email(settings.demo_user_email) or create_user(
        settings.demo_user_email, "Demo User", settings.demo_user_password
    )
    existing_org = find_org_by_slug(settings.demo_org_slug)
    org = (
        OrgInfo(existing_org.id, existing_org.name, existing_org.slug, Role.OWNER)
        if existing_org and existing_org.id
        else create_organization(user.id, "Demo Org", settings.demo_org_slug)
    )
    _fund_and_spend(user, org)
    _configure_wallets(user, org)
    return DemoAccounts(user, org)


def _fund_and_spend(user: UserInfo, org: OrgInfo) -> None:
    """Back-dated history written in date order: the ledger's order is the order entries were
    posted, so writing them oldest first makes History's running balance add up."""
    start = utcnow() - timedelta(days=HISTORY_DAYS)
    with frozen_at(start):
        credit_service.grant_personal_credits(
            user.id, 5000, description="Welcome credits", idempotency_key="demo:welcome"
        )
        credit_service.grant_org_credits(
            org.id, 50000, description="Team starter pack", idempotency_key="demo:org-starter"
        )
    for days_ago, spend in sorted(_spending(user, org), key=lambda item: -item[0]):
        with frozen_at(utcnow() - timedelta(days=days_ago)), suppress(IdempotencyConflict):
            # A database loaded by an older demo holds these entries without metadata:
            # the key then names a different request, and the old entry simply stays.
            spend()


def _spending(user: UserInfo, org: OrgInfo) -> list[tuple[int, Callable[[], object]]]:
    """Every demo deduction as (days ago, the call that posts it)."""
    calls: list[tuple[int, Callable[[], object]]] = []
    for owner, spending, prefix in (
        (WalletOwner.user(user.id), PERSONAL_SPENDING, "demo:spend"),
        (WalletOwner.org(org.id), ORG_SPENDING, "demo:spend"),
    ):
        for index, (days_ago, category, amount, description) in enumerate(spending):
            calls.append(
                (
                    days_ago,
                    partial(
                        credit_service.deduct,
                        owner,
                        amount,
                        category=category,
                        description=description,
                        metadata=AI_SPENDING_METADATA.get(description),
                        idempotency_key=f"{prefix}:{index}",
                    ),
                )
            )
    for index, (days_ago, model, feature, units, tokens_in, tokens_out) in enumerate(AI_CHARGES):
        metadata: dict[str, object] = {"model": model, "feature": feature.value}
        if tokens_in or tokens_out:
            metadata |= {"inputTokens": tokens_in, "outputTokens": tokens_out}
        calls.append(
            (
                days_ago,
                partial(
                    credit_service.deduct,
                    WalletOwner.user(user.id),
                    Units(units),
                    category=CreditUsageCategory.AI_USAGE,
                    description=f"2Bot {feature.value}: {model}",
                    metadata=metadata,
                    idempotency_key=f"demo:ai:{index}",
                ),
            )
        )
    return calls


def _configure_wallets(user: UserInfo, org: OrgInfo) -> None:
    """Thresholds and a monthly limit, so the demo shows statuses and limit progress."""
    update_wallet_settings(
        WalletOwner.user(user.id),
        {"monthly_limit": 2500, "low_threshold": 1000, "critical_threshold": 200},
    )
    update_wallet_settings(
        WalletOwner.org(org.id), {"low_threshold": 10000, "critical_threshold": 2000}
    )
