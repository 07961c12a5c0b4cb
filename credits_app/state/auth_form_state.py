"""The login and register forms' feedback: a busy flag and the API's error message.

The forms post straight from the browser to /api/auth/* (assets/uc-session.js), so this state
never sees a password; it only shows what went wrong.
"""

from urllib.parse import quote

import reflex as rx


class AuthFormState(rx.State):
    """Whether a form is being sent, and the last error in words for a person."""

    error: str = ""
    submitting: bool = False
    next_query: str = ""  # "?next=…" to carry over between the login and register pages

    @rx.event
    def reset_form(self) -> None:
        """A fresh form on every visit."""
        self.error = ""
        self.submitting = False
        next_path = self.router.url.query_parameters.get("next", "")
        self.next_query = f"?next={quote(next_path, safe='/')}" if next_path else ""

    @rx.event
    def begin(self) -> None:
        """The form was sent: clear the old error and disable the button meanwhile."""
        self.error = ""
        self.submitting = True

    @rx.event
    def finish(self, message: str) -> None:
        """The browser's answer: an error message, or "" while it moves on to the next page."""
        if message:
            self.error = message
            self.submitting = False
