"""The credit package catalog: the only source of prices (clients send just a package id)."""

from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import Session, col, select

from credits_app.credits.amounts import units_to_credits
from credits_app.credits.errors import CreditsError
from credits_app.db import unit_of_work
from credits_app.models import CreditPackage


class PackageNotFound(CreditsError):
    """No active package with this id."""

    code = "package_not_found"

    def __init__(self, package_id: str) -> None:
        super().__init__(f"No active credit package {package_id!r}.", packageId=package_id)


@dataclass(frozen=True)
class PackageInfo:
    """A package as shoppers see it; `price_minor` is in the currency's minor unit (cents)."""

    id: str
    name: str
    credits: Decimal
    bonus_credits: Decimal
    price_minor: int
    currency: str
    popular: bool

    @property
    def total_credits(self) -> Decimal:
        return self.credits + self.bonus_credits


def list_active_packages(*, session: Session | None = None) -> list[PackageInfo]:
    """The packages on sale, in catalog order."""
    query = (
        select(CreditPackage)
        .where(col(CreditPackage.active).is_(True))
        .order_by(col(CreditPackage.sort_order), col(CreditPackage.id))
    )
    with unit_of_work(session) as db:
        return [_info(row) for row in db.exec(query).all()]


def get_active_package(package_id: str, *, session: Session | None = None) -> PackageInfo:
    """One package on sale, or `PackageNotFound`."""
    with unit_of_work(session) as db:
        row = db.get(CreditPackage, package_id)
    if row is None or not row.active:
        raise PackageNotFound(package_id)
    return _info(row)


def _info(row: CreditPackage) -> PackageInfo:
    return PackageInfo(
        id=row.id,
        name=row.name,
        credits=units_to_credits(row.credits),
        bonus_credits=units_to_credits(row.bonus_credits),
        price_minor=row.price_minor,
        currency=row.currency,
        popular=row.popular,
    )
