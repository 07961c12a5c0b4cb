"""Whose wallet an operation is about; every door names the owner, never a wallet id."""

from dataclasses import dataclass

from credits_app.credits.categories import OwnerKind


@dataclass(frozen=True)
class WalletOwner:
    """Whose wallet: a user's personal wallet or an organization's wallet."""

    kind: OwnerKind
    id: int

    @classmethod
    def user(cls, user_id: int) -> "WalletOwner":
        return cls(OwnerKind.USER, user_id)

    @classmethod
    def org(cls, org_id: int) -> "WalletOwner":
        return cls(OwnerKind.ORG, org_id)
