"""The Settings tab: the wallet's monthly limit and thresholds, and the user's email alerts.

Saving goes through the same services as `PATCH …/credits/settings` and
`PUT /api/notifications/email-settings`: the same parsing, the same "critical ≤ low" rule, and
for an org wallet the same owner/admin check (members see the values read-only). The balance
card and the header follow at once (`WalletOverviewState.refresh`).
"""

import reflex as rx

from credits_app.auth.organizations import require_manager
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.credits.wallet_settings import (
    SettingsChange,
    WalletSettings,
    get_balance_overview,
    update_wallet_settings,
)
from credits_app.notifications import email
from credits_app.notifications.events import DEFAULT_EMAIL_EVENTS, EventType
from credits_app.state.auth_state import AuthState
from credits_app.state.service_calls import call_service
from credits_app.state.settings_presenters import SettingsForm, check_form, field_of, form_of
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.state.wallet_overview_state import WalletOverviewState

EMAIL_CHOICES = [
    (EventType.BALANCE_LOW.value, "Balance low"),
    (EventType.BALANCE_CRITICAL.value, "Balance critical"),
    (EventType.MONTHLY_LIMIT_WARNING.value, "80% of the monthly limit"),
    (EventType.MONTHLY_LIMIT_REACHED.value, "Monthly limit reached"),
    (EventType.CREDITS_EXPIRING.value, "Credits expiring"),
    (EventType.PURCHASE_COMPLETED.value, "Purchase completed"),
]


class WalletSettingsState(rx.State):
    """The form's inputs, per-field errors, and whether this user may change the wallet's."""

    monthly_limit: str = ""
    low_threshold: str = ""
    critical_threshold: str = ""
    errors: dict[str, str] = {}
    can_edit: bool = False
    email_enabled: bool = True
    email_events: list[str] = [event.value for event in DEFAULT_EMAIL_EVENTS]
    saving: bool = False

    @rx.var
    def email_choices(self) -> list[list[str]]:
        """[event, label, "on"/"off"] for each email checkbox."""
        chosen = set(self.email_events)
        return [
            [event, label, "on" if event in chosen else "off"] for event, label in EMAIL_CHOICES
        ]

    @rx.event
    def set_monthly_limit(self, value: str) -> None:
        self.monthly_limit = value

    @rx.event
    def set_low_threshold(self, value: str) -> None:
        self.low_threshold = value

    @rx.event
    def set_critical_threshold(self, value: str) -> None:
        self.critical_threshold = value

    @rx.event
    def set_email_enabled(self, value: bool) -> None:
        self.email_enabled = value

    @rx.event
    def toggle_email_event(self, event: str, on: bool) -> None:
        chosen = set(self.email_events) - {event}
        self.email_events = sorted(chosen | ({event} if on else set()))

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """Fill the form from the wallet in context and the user's email choices."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        owner = context.wallet_owner()
        if owner is None or not auth.user_id:
            return None
        try:
            settings = (await call_service(get_balance_overview, owner)).settings
            choice = await call_service(email.get_email_settings, auth.user_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        self._fill(settings)
        self.can_edit = not context.is_org or context.role in ("owner", "admin")
        self.email_enabled, self.email_events = choice.enabled, list(choice.events)
        self.errors = {}
        return None

    @rx.event
    async def save(self) -> list[rx.event.EventType[()]] | rx.event.EventSpec | None:
        """Validate as the API does, save the wallet settings (if allowed) and email choices."""
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        owner = context.wallet_owner()
        user_id = await auth.verified_user_id()
        if owner is None or not user_id:
            return rx.toast.error("Sign in again to change settings.")
        checked = check_form(
            SettingsForm(self.monthly_limit, self.low_threshold, self.critical_threshold)
        )
        self.errors = checked.errors
        if checked.errors:
            return None
        try:
            if self.can_edit:
                saved = await call_service(_save_wallet_settings, owner, user_id, checked.change)
                self._fill(saved)
            await call_service(
                email.update_email_settings,
                user_id,
                enabled=self.email_enabled,
                events=self.email_events,
            )
        except CreditsError as error:
            self.errors = {field_of(error): error.message}
            return None
        return [WalletOverviewState.refresh, rx.toast.success("Settings saved.")]

    def _fill(self, settings: WalletSettings) -> None:
        form = form_of(settings)
        self.monthly_limit = form.monthly_limit
        self.low_threshold = form.low_threshold
        self.critical_threshold = form.critical_threshold


def _save_wallet_settings(
    owner: WalletOwner, user_id: int, change: SettingsChange
) -> WalletSettings:
    """The org check the API's `OrgManager` does, then the same service."""
    if owner.kind.value == "org":
        require_manager(user_id, owner.id)
    return update_wallet_settings(owner, change)
