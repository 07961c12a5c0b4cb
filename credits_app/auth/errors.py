"""Typed failures of sign-in and access checks; the API maps each `code` to a status once."""

from credits_app.credits.errors import CreditsError


class NotAuthenticated(CreditsError):
    """No session token, or one that is unknown, expired or revoked."""

    code = "not_authenticated"

    def __init__(self, message: str = "Sign in first: the session token is missing or expired."):
        super().__init__(message)


class InvalidCredentials(CreditsError):
    """Wrong email or password (deliberately not saying which)."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("The email or password is not correct.")


class TooManyAttempts(CreditsError):
    """Too many failed logins for this account or address; says when to try again."""

    code = "too_many_attempts"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            f"Too many failed sign-in attempts. Try again in {_wait_text(retry_after_seconds)}.",
            retryAfterSeconds=retry_after_seconds,
        )
        self.retry_after_seconds = retry_after_seconds


class OrgNotFound(CreditsError):
    """No such organization, or the caller is not a member (the two look the same on purpose)."""

    code = "org_not_found"

    def __init__(self) -> None:
        super().__init__("Organization not found.")


class Forbidden(CreditsError):
    """A member whose role does not allow this action."""

    code = "forbidden"


class UserNotFound(CreditsError):
    """No user with this email."""

    code = "user_not_found"

    def __init__(self) -> None:
        super().__init__("No user with this email address.")


def _wait_text(seconds: int) -> str:
    """'1 minute', '15 minutes', '30 seconds': a wait rounded up, in words."""
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = -(-seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"
