"""The account page's API tokens as the list shows them."""

from dataclasses import dataclass

from credits_app.auth.account_settings import ApiTokenInfo
from credits_app.state.formatting import iso_utc, utc_text


@dataclass(frozen=True)
class TokenRow:
    """A token: its name, when it was made and last used (local time in the browser)."""

    id: str
    name: str
    created_at: str
    created_utc: str
    last_used_at: str  # "" = never used
    last_used_utc: str


def token_rows(tokens: list[ApiTokenInfo]) -> list[TokenRow]:
    return [
        TokenRow(
            id=str(token.id),
            name=token.name,
            created_at=iso_utc(token.created_at),
            created_utc=utc_text(token.created_at),
            last_used_at=iso_utc(token.last_used_at) if token.last_used_at else "",
            last_used_utc=utc_text(token.last_used_at) if token.last_used_at else "",
        )
        for token in tokens
    ]
