"""Bodies of the transfer and refund endpoints (DESIGN §4b): camelCase, exact credit amounts."""

from typing import Literal

from pydantic import Field

from credits_app.api.schemas import AmountIn, Body, Credits, Email
from credits_app.credits.categories import OwnerKind
from credits_app.credits.errors import InvalidArgument
from credits_app.credits.spend_refunds import MAX_REASON_LENGTH, RefundResult
from credits_app.credits.transfers import MAX_NOTE_LENGTH, Recipient, TransferResult


class RecipientIn(Body):
    """A user by email (personal door) or by id (org door), or an org by id."""

    type: Literal["user", "org"]
    email: Email | None = None
    id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class PersonalTransferIn(Body):
    """From the caller's personal wallet to a user (by email) or an org the caller belongs to."""

    to: RecipientIn
    amount: AmountIn
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)

    def recipient(self) -> Recipient:
        if self.to.type == "user":
            if self.to.email is None or self.to.id is not None:
                raise InvalidArgument("Name the recipient user by email.", field="to.email")
            return Recipient(OwnerKind.USER, email=self.to.email)
        return _org(self.to)


class OrgTransferIn(Body):
    """From an org wallet to one of its members (by user id) or another org the caller manages."""

    to: RecipientIn
    amount: AmountIn
    note: str | None = Field(default=None, max_length=MAX_NOTE_LENGTH)

    def recipient(self) -> Recipient:
        if self.to.type == "user":
            if self.to.id is None or self.to.email is not None:
                raise InvalidArgument("Name the member by user id.", field="to.id")
            return Recipient(OwnerKind.USER, id=self.to.id)
        return _org(self.to)


def _org(to: RecipientIn) -> Recipient:
    if to.id is None or to.email is not None:
        raise InvalidArgument("Name the recipient organization by id.", field="to.id")
    return Recipient(OwnerKind.ORG, id=to.id)


class WalletRefOut(Body):
    type: Literal["user", "org"]
    id: int


class TransferOut(Body):
    transfer_id: int
    amount: Credits
    from_: WalletRefOut = Field(alias="from")
    to: WalletRefOut
    new_balance: Credits

    @classmethod
    def of(cls, result: TransferResult) -> "TransferOut":
        return cls.model_validate(
            {
                "transferId": result.transfer_id,
                "amount": result.amount,
                "from": {"type": result.source.kind.value, "id": result.source.id},
                "to": {"type": result.target.kind.value, "id": result.target.id},
                "newBalance": result.new_balance,
            }
        )


class RefundIn(Body):
    """Default amount: everything still refundable."""

    amount: AmountIn | None = None
    reason: str | None = Field(default=None, min_length=1, max_length=MAX_REASON_LENGTH)


class ServiceRefundIn(Body):
    transaction_id: int = Field(ge=1, le=2**63 - 1)
    amount: AmountIn | None = None
    reason: str = Field(min_length=1, max_length=MAX_REASON_LENGTH)


class RefundOut(Body):
    refund_id: int
    refunded_amount: Credits
    remaining_refundable: Credits
    new_balance: Credits

    @classmethod
    def of(cls, result: RefundResult) -> "RefundOut":
        return cls(
            refund_id=result.refund_id,
            refunded_amount=result.refunded_amount,
            remaining_refundable=result.remaining_refundable,
            new_balance=result.new_balance,
        )
