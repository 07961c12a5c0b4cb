"""State of the /credits page: the demo user's personal balance, as display strings."""

import reflex as rx

from credits_app.auth.accounts import find_user_by_email
from credits_app.credits import credit_service
from credits_app.credits.amounts import format_balance
from credits_app.credits.errors import CreditsError
from credits_app.settings import get_settings


class CreditsPageState(rx.State):
    """Who is viewing and their balance, kept as strings so no Decimal crosses the wire."""

    balance: str = ""
    owner_name: str = ""
    message: str = ""
    loading: bool = True

    @rx.event
    def load_balance(self) -> None:
        """Read the balance on page load; until real login exists the viewer is the demo user."""
        self.loading = False
        email = get_settings().demo_user_email
        try:
            user = find_user_by_email(email)
            if user is None:
                self._show_message(
                    f"No demo user ({email}) yet. Run `python -m credits_app load-demo`."
                )
                return
            balance = credit_service.get_personal_balance(user.id)
        except CreditsError as error:
            self._show_message(error.message)
            return
        self.balance = format_balance(balance)
        self.owner_name = user.name
        self.message = ""

    def _show_message(self, message: str) -> None:
        """Replace the balance with a message, so the page never shows a stale number."""
        self.balance = ""
        self.owner_name = ""
        self.message = message
