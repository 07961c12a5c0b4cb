"""The credit package catalog: the only source of prices (clients send just a package id)."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from credits_app.credits.amounts import (
    MAX_AMOUNT_CREDITS,
    MAX_AMOUNT_UNITS,
    AmountInput,
    parse_credits,
    units_to_credits,
)
from credits_app.credits.errors import CreditsError, InvalidAmount, InvalidArgument
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
    bonus_expires_in_days: int | None = None  # None: the bonus lot never expires

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
        bonus_expires_in_days=row.bonus_expires_in_days,
    )


# --------------------------------------------------------------------------------------------
# Editing the catalog (the operator CLI's `packages` commands)
# --------------------------------------------------------------------------------------------

PACKAGE_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
CURRENCY_PATTERN = re.compile(r"[a-z]{3}")
MAX_NAME_LENGTH = 100
MAX_PRICE_MINOR = 99_999_999  # Stripe's largest Checkout amount (eight digits of minor units)
SORT_ORDER_RANGE = range(-(2**31), 2**31)  # the column is a 32-bit INTEGER
DEFAULT_CURRENCY = "usd"


class UnknownPackage(PackageNotFound):
    """No package with this id at all, active or not (same code as `PackageNotFound`)."""

    def __init__(self, package_id: str) -> None:
        CreditsError.__init__(self, f"No credit package {package_id!r}.", packageId=package_id)


@dataclass(frozen=True)
class CatalogPackage(PackageInfo):
    """A package as operators see it: also whether it is on sale, and where it is listed."""

    active: bool = True
    sort_order: int = 0


@dataclass(frozen=True)
class UpsertResult:
    """The package as stored after an upsert, and whether the upsert created it."""

    package: CatalogPackage
    created: bool


def list_all_packages(*, session: Session | None = None) -> list[CatalogPackage]:
    """Every package, on sale or not, in catalog order."""
    query = select(CreditPackage).order_by(col(CreditPackage.sort_order), col(CreditPackage.id))
    with unit_of_work(session) as db:
        return [_catalog(row) for row in db.exec(query).all()]


def upsert_package(
    package_id: str,
    *,
    name: str | None = None,
    credits: AmountInput | None = None,
    bonus_credits: AmountInput | None = None,
    price_minor: int | None = None,
    currency: str | None = None,
    popular: bool | None = None,
    active: bool | None = None,
    sort_order: int | None = None,
    bonus_expires_in_days: int | None = None,
    session: Session | None = None,
) -> UpsertResult:
    """Create the package, or change the fields given of an existing one (None = keep).

    A new package needs `name`, `credits` and `price_minor`; the rest default to no bonus,
    usd, not popular, on sale, and listed after every existing package; the bonus never
    expires unless `bonus_expires_in_days` says so (0 makes it never expire again). Every value is
    validated before the database is touched. Purchases snapshot their price and credits, so an
    edit never changes what a pending purchase costs or credits.
    """
    changes = _validated_changes(
        package_id,
        name=name,
        credits=credits,
        bonus_credits=bonus_credits,
        price_minor=price_minor,
        currency=currency,
        popular=popular,
        active=active,
        sort_order=sort_order,
        bonus_expires_in_days=bonus_expires_in_days,
    )
    if session is not None:
        return _upsert(session, package_id, changes)
    try:
        with unit_of_work() as db:
            return _upsert(db, package_id, changes)
    except IntegrityError:  # a concurrent upsert created the same id first: update it instead
        with unit_of_work() as db:
            return _upsert(db, package_id, changes)


def set_package_active(
    package_id: str, active: bool, *, session: Session | None = None
) -> CatalogPackage:
    """Put a package on sale or take it off (it then leaves the public catalog and checkout)."""
    if not isinstance(active, bool):
        raise InvalidArgument("active must be true or false.", value=repr(active))
    with unit_of_work(session) as db:
        row = db.get(CreditPackage, package_id, with_for_update=True)
        if row is None:
            raise UnknownPackage(package_id)
        row.active = active
        db.add(row)
        db.flush()
        return _catalog(row)


def _upsert(db: Session, package_id: str, changes: dict[str, Any]) -> UpsertResult:
    row = db.get(CreditPackage, package_id, with_for_update=True)
    created = row is None
    if row is None:
        missing = [field for field in _REQUIRED_TO_CREATE if field not in changes]
        if missing:
            raise InvalidArgument(
                f"There is no package {package_id!r} yet; creating it needs a name, credits "
                f"and a price (missing: {', '.join(_REQUIRED_TO_CREATE[f] for f in missing)}).",
                packageId=package_id,
                missing=missing,
            )
        row = CreditPackage(
            id=package_id,
            **({"sort_order": _next_sort_order(db)} | _NEW_PACKAGE_DEFAULTS | changes),
        )
    else:
        for field, value in changes.items():
            setattr(row, field, value)
    if row.credits + row.bonus_credits > MAX_AMOUNT_UNITS:  # a purchase credits both at once
        raise InvalidAmount(
            f"Credits plus bonus credits must be at most {MAX_AMOUNT_CREDITS:,} credits.",
            packageId=package_id,
        )
    db.add(row)
    db.flush()
    return UpsertResult(_catalog(row), created)


_NEW_PACKAGE_DEFAULTS: dict[str, Any] = {
    "bonus_credits": 0,
    "currency": DEFAULT_CURRENCY,
    "popular": False,
    "active": True,
}
_REQUIRED_TO_CREATE = {"name": "name", "credits": "credits", "price_minor": "price"}


def _validated_changes(package_id: str, **values: Any) -> dict[str, Any]:
    """The given (non-None) values as column values, or the first validation error."""
    if not isinstance(package_id, str) or not PACKAGE_ID_PATTERN.fullmatch(package_id):
        raise InvalidArgument(
            "Package id must be 1 to 64 characters: lowercase letters, digits, '-' or '_', "
            "starting with a letter or digit.",
            packageId=str(package_id),
        )
    given = {field: value for field, value in values.items() if value is not None}
    changes: dict[str, Any] = {}
    if "name" in given:
        changes["name"] = _valid_name(given["name"])
    if "credits" in given:
        changes["credits"] = _named_amount("Credits", parse_credits, given["credits"])
    if "bonus_credits" in given:
        changes["bonus_credits"] = _named_amount(
            "Bonus credits", _bonus_units, given["bonus_credits"]
        )
    if "price_minor" in given:
        changes["price_minor"] = _valid_price(given["price_minor"])
    if "currency" in given:
        changes["currency"] = _valid_currency(given["currency"])
    for flag in ("popular", "active"):
        if flag in given:
            if not isinstance(given[flag], bool):
                raise InvalidArgument(f"{flag} must be true or false.", value=repr(given[flag]))
            changes[flag] = given[flag]
    if "sort_order" in given:
        changes["sort_order"] = _valid_sort_order(given["sort_order"])
    if "bonus_expires_in_days" in given:
        changes["bonus_expires_in_days"] = _valid_bonus_days(given["bonus_expires_in_days"])
    return changes


def _valid_bonus_days(days: object) -> int | None:
    """Days a bonus lot stays spendable, 1 to MAX_BONUS_DAYS; 0 means it never expires."""
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_BONUS_DAYS:
        raise InvalidArgument(
            f"Bonus expiry must be 0 (never) to {MAX_BONUS_DAYS} days.", value=repr(days)
        )
    return days or None


def _named_amount(label: str, parse: Callable[[AmountInput], int], value: AmountInput) -> int:
    """`parse(value)`, with an error that says which of the two amounts is wrong."""
    try:
        return parse(value)
    except InvalidAmount as error:
        raise InvalidAmount(f"{label}: {error.message}", **error.details) from None


def _valid_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME_LENGTH:
        raise InvalidArgument(f"Package name must be 1 to {MAX_NAME_LENGTH} characters.")
    return name.strip()


def _bonus_units(value: AmountInput) -> int:
    """Units of a bonus: zero is allowed (no bonus), otherwise the rules of `parse_credits`."""
    if isinstance(value, Decimal | int | str) and not isinstance(value, bool):
        try:
            if Decimal(value.strip() if isinstance(value, str) else value) == 0:
                return 0
        except InvalidOperation:
            pass  # parse_credits says what is wrong with it
    return parse_credits(value)


def _valid_price(price_minor: object) -> int:
    if not isinstance(price_minor, int) or isinstance(price_minor, bool):
        raise InvalidArgument("Price must be a whole number of cents.", value=repr(price_minor))
    if not 0 < price_minor <= MAX_PRICE_MINOR:
        raise InvalidArgument(
            f"Price must be between 1 and {MAX_PRICE_MINOR:,} cents.", value=price_minor
        )
    return price_minor


def _valid_currency(currency: object) -> str:
    if not isinstance(currency, str) or not CURRENCY_PATTERN.fullmatch(currency):
        raise InvalidArgument(
            "Currency must be a three-letter lowercase ISO code, e.g. usd.", value=str(currency)
        )
    return currency


def _valid_sort_order(sort_order: object) -> int:
    if (
        not isinstance(sort_order, int)
        or isinstance(sort_order, bool)
        or sort_order not in SORT_ORDER_RANGE
    ):
        raise InvalidArgument("Sort order must be a 32-bit whole number.", value=repr(sort_order))
    return sort_order


def _next_sort_order(db: Session) -> int:
    """One past the last listed package, so a new package goes to the end of the catalog."""
    last = db.exec(select(func.max(col(CreditPackage.sort_order)))).one()
    return 0 if last is None else min(last + 1, SORT_ORDER_RANGE[-1])


MAX_BONUS_DAYS = 3650


def _catalog(row: CreditPackage) -> CatalogPackage:
    return CatalogPackage(**vars(_info(row)), active=row.active, sort_order=row.sort_order)
