"""Webhook endpoints on the Settings tab: list, add (secret shown once), test, delete, log.

The same services as `/api/webhook-endpoints` (and the org variant, with the same owner/admin
check the API's `OrgManager` does), so the URL rules (https, public address) are one rule.
"""

from dataclasses import dataclass

import reflex as rx

from credits_app.auth.organizations import require_manager
from credits_app.credits.errors import CreditsError
from credits_app.credits.owners import WalletOwner
from credits_app.notifications import endpoints
from credits_app.notifications.events import EventType
from credits_app.state.auth_state import AuthState
from credits_app.state.service_calls import call_service
from credits_app.state.wallet_context_state import WalletContextState

DEFAULT_EVENTS = [EventType.BALANCE_LOW.value, EventType.BALANCE_CRITICAL.value]


@dataclass(frozen=True)
class EndpointRow:
    """One endpoint as the list shows it, with its latest deliveries summarised."""

    id: int = 0
    url: str = ""
    events: str = ""
    deliveries: str = ""  # "3 delivered, 1 pending" or "no deliveries yet"


class WebhookEndpointsState(rx.State):
    """The wallet's endpoints and the add form."""

    rows: list[EndpointRow] = []
    new_url: str = ""
    new_events: list[str] = DEFAULT_EVENTS
    secret: str = ""  # the secret of the endpoint just added: shown once, then forgotten
    error: str = ""
    can_manage: bool = False

    @rx.var
    def event_choices(self) -> list[list[str]]:
        """[event, "on"/"off"] for every subscribable event."""
        chosen = set(self.new_events)
        return [[event.value, "on" if event.value in chosen else "off"] for event in EventType]

    @rx.event
    def set_new_url(self, value: str) -> None:
        self.new_url = value

    @rx.event
    def toggle_event(self, event: str, on: bool) -> None:
        chosen = set(self.new_events) - {event}
        self.new_events = sorted(chosen | ({event} if on else set()))

    @rx.event
    def forget_secret(self) -> None:
        self.secret = ""

    @rx.event
    async def load(self) -> rx.event.EventSpec | None:
        """List the endpoints (owners and admins for an org; members see nothing here)."""
        owner, user_id = await self._who()
        context = await self.get_state(WalletContextState)
        self.can_manage = owner is not None and (
            not context.is_org or context.role in ("owner", "admin")
        )
        self.secret, self.error = "", ""
        if owner is None or not self.can_manage:
            self.rows = []
            return None
        return await self._reload(owner, user_id)

    @rx.event
    async def add(self) -> rx.event.EventSpec | None:
        """Save the new endpoint and show its secret once."""
        owner, user_id = await self._who()
        if owner is None:
            return None
        try:
            created = await call_service(_create, owner, user_id, self.new_url, self.new_events)
        except CreditsError as error:
            self.error = error.message
            return None
        self.secret, self.error, self.new_url = created.secret, "", ""
        return await self._reload(owner, user_id)

    @rx.event
    async def send_test(self, endpoint_id: int) -> rx.event.EventSpec | None:
        """Queue a signed test event to one endpoint."""
        owner, user_id = await self._who()
        if owner is None:
            return None
        try:
            await call_service(_test, owner, user_id, endpoint_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        await self._reload(owner, user_id)
        return rx.toast.success("Test event queued; see the delivery count.")

    @rx.event
    async def remove(self, endpoint_id: int) -> rx.event.EventSpec | None:
        """Delete an endpoint (its pending deliveries are dropped)."""
        owner, user_id = await self._who()
        if owner is None:
            return None
        try:
            await call_service(_delete, owner, user_id, endpoint_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        return await self._reload(owner, user_id)

    async def _who(self) -> tuple[WalletOwner | None, int]:
        context = await self.get_state(WalletContextState)
        auth = await self.get_state(AuthState)
        return context.wallet_owner(), auth.user_id

    async def _reload(self, owner: WalletOwner, user_id: int) -> rx.event.EventSpec | None:
        try:
            self.rows = await call_service(_rows, owner, user_id)
        except CreditsError as error:
            return rx.toast.error(error.message)
        return None


def _allowed(owner: WalletOwner, user_id: int) -> None:
    if owner.kind.value == "org":
        require_manager(user_id, owner.id)


def _create(
    owner: WalletOwner, user_id: int, url: str, events: list[str]
) -> endpoints.CreatedEndpoint:
    _allowed(owner, user_id)
    return endpoints.create_endpoint(owner, user_id, url, events)


def _test(owner: WalletOwner, user_id: int, endpoint_id: int) -> None:
    _allowed(owner, user_id)
    endpoints.send_test_event(owner, endpoint_id)


def _delete(owner: WalletOwner, user_id: int, endpoint_id: int) -> None:
    _allowed(owner, user_id)
    endpoints.delete_endpoint(owner, endpoint_id)


def _rows(owner: WalletOwner, user_id: int) -> list[EndpointRow]:
    _allowed(owner, user_id)
    rows = []
    for endpoint in endpoints.list_endpoints(owner):
        log = endpoints.list_deliveries(owner, endpoint.id)
        rows.append(
            EndpointRow(endpoint.id, endpoint.url, ", ".join(endpoint.events), _summary(log))
        )
    return rows


def _summary(log: list[endpoints.Delivery]) -> str:
    if not log:
        return "no deliveries yet"
    counts: dict[str, int] = {}
    for delivery in log:
        counts[delivery.status] = counts.get(delivery.status, 0) + 1
    return ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
