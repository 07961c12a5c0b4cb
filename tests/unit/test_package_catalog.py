"""Editing the package catalog: upsert, deactivate, list, and what shoppers then see.

Runs on SQLite and on Postgres (`any_engine`). The Postgres database is shared by the whole
test session, so every test works on packages with ids of its own and never edits the seeded
catalog (other tests buy from it).
"""

import itertools
import os
import threading
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Engine

from credits_app.billing.packages import (
    MAX_PRICE_MINOR,
    CatalogPackage,
    PackageNotFound,
    get_active_package,
    list_active_packages,
    list_all_packages,
    set_package_active,
    upsert_package,
)
from credits_app.credits.amounts import MAX_AMOUNT_CREDITS
from credits_app.credits.errors import CreditsError, InvalidAmount, InvalidArgument

pytestmark = pytest.mark.usefixtures("any_engine")

_numbers = itertools.count(1)
SEEDED = {"starter", "growth", "pro", "scale"}


def new_id(prefix: str = "pkg") -> str:
    return f"{prefix}-{os.getpid()}-{next(_numbers)}"


def create(package_id: str, **overrides: Any) -> CatalogPackage:
    values: dict[str, Any] = {"name": "Test pack", "credits": "100", "price_minor": 1_000}
    result = upsert_package(package_id, **(values | overrides))
    assert result.created
    return result.package


def catalog() -> dict[str, CatalogPackage]:
    return {package.id: package for package in list_all_packages()}


# --- create and update ----------------------------------------------------------------------


def test_upsert_creates_a_package_with_defaults_listed_last() -> None:
    package_id = new_id()
    before = list_all_packages()
    result = upsert_package(package_id, name=" Mega ", credits="1000.5", price_minor=12_345)
    assert result.created
    assert result.package == CatalogPackage(
        id=package_id,
        name="Mega",
        credits=Decimal("1000.5"),
        bonus_credits=Decimal(0),
        price_minor=12_345,
        currency="usd",
        popular=False,
        active=True,
        sort_order=max(p.sort_order for p in before) + 1,
    )
    assert catalog()[package_id] == result.package
    assert list_all_packages()[-1].id == package_id
    shown = get_active_package(package_id)
    assert (shown.credits, shown.total_credits, shown.price_minor) == (
        Decimal("1000.5"),
        Decimal("1000.5"),
        12_345,
    )
    assert package_id in {p.id for p in list_active_packages()}
    assert set(catalog()) >= SEEDED


def test_upsert_with_every_field() -> None:
    package_id = new_id()
    package = create(
        package_id,
        name="Euro pack",
        credits=Decimal("250"),
        bonus_credits=25,
        price_minor=2_500,
        currency="eur",
        popular=True,
        active=False,
        sort_order=-7,
    )
    assert (package.credits, package.bonus_credits, package.total_credits) == (
        Decimal(250),
        Decimal(25),
        Decimal(275),
    )
    assert (package.currency, package.popular, package.active, package.sort_order) == (
        "eur",
        True,
        False,
        -7,
    )
    assert package_id not in {p.id for p in list_active_packages()}


def test_update_changes_only_the_fields_given() -> None:
    package_id = new_id()
    original = create(package_id, bonus_credits="10", popular=True, sort_order=50)
    result = upsert_package(package_id, price_minor=900, bonus_credits="0")
    assert not result.created
    assert result.package == CatalogPackage(
        **(vars(original) | {"price_minor": 900, "bonus_credits": Decimal(0)})
    )
    renamed = upsert_package(package_id, name="Renamed", popular=False).package
    assert (renamed.name, renamed.popular, renamed.price_minor, renamed.sort_order) == (
        "Renamed",
        False,
        900,
        50,
    )
    assert get_active_package(package_id).price_minor == 900  # checkout prices from the catalog
    assert catalog()[package_id] == renamed


@pytest.mark.parametrize("bonus", ["0", "0.0000", 0, Decimal("0.00"), " 0 "])
def test_a_bonus_may_be_zero(bonus: Any) -> None:
    assert create(new_id(), bonus_credits=bonus).bonus_credits == 0


def test_list_all_is_in_catalog_order_and_list_active_skips_inactive() -> None:
    first, second, hidden = new_id("a"), new_id("b"), new_id("c")
    create(second, sort_order=1_000_001)
    create(first, sort_order=1_000_000)
    create(hidden, sort_order=999_999, active=False)
    everything = [p.id for p in list_all_packages()]
    assert everything.index(hidden) < everything.index(first) < everything.index(second)
    orders = [(p.sort_order, p.id) for p in list_all_packages()]
    assert orders == sorted(orders)
    on_sale = [p.id for p in list_active_packages()]
    assert hidden not in on_sale
    assert on_sale.index(first) < on_sale.index(second)


# --- deactivate -----------------------------------------------------------------------------


def test_a_deactivated_package_leaves_the_shop_and_can_come_back() -> None:
    package_id = new_id()
    create(package_id)
    off = set_package_active(package_id, False)
    assert not off.active
    assert package_id not in {p.id for p in list_active_packages()}
    with pytest.raises(PackageNotFound) as raised:
        get_active_package(package_id)
    assert raised.value.code == "package_not_found"
    assert catalog()[package_id].active is False  # operators still see it
    assert not set_package_active(package_id, False).active  # idempotent
    assert set_package_active(package_id, True).active
    assert get_active_package(package_id).id == package_id
    upsert_package(package_id, active=False)
    assert package_id not in {p.id for p in list_active_packages()}
    assert upsert_package(package_id, active=True).package.active


def test_set_active_on_an_unknown_package() -> None:
    with pytest.raises(PackageNotFound) as raised:
        set_package_active(new_id("ghost"), False)
    assert raised.value.code == "package_not_found"
    assert "No credit package" in raised.value.message


# --- validation -----------------------------------------------------------------------------

VALID: dict[str, Any] = {"name": "Pack", "credits": "10", "price_minor": 100}


@pytest.mark.parametrize(
    ("package_id", "overrides", "error"),
    [
        ("", {}, InvalidArgument),
        ("Upper", {}, InvalidArgument),
        ("has space", {}, InvalidArgument),
        ("-leading-dash", {}, InvalidArgument),
        ("x" * 65, {}, InvalidArgument),
        ("trailing-newline\n", {}, InvalidArgument),
        (None, {"name": ""}, InvalidArgument),
        (None, {"name": "   "}, InvalidArgument),
        (None, {"name": "n" * 101}, InvalidArgument),
        (None, {"credits": "0"}, InvalidAmount),
        (None, {"credits": "-5"}, InvalidAmount),
        (None, {"credits": "1.00001"}, InvalidAmount),
        (None, {"credits": "ten"}, InvalidAmount),
        (None, {"credits": 1.5}, InvalidAmount),
        (None, {"credits": "NaN"}, InvalidAmount),
        (None, {"bonus_credits": "-1"}, InvalidAmount),
        (None, {"bonus_credits": "0.00001"}, InvalidAmount),
        (None, {"bonus_credits": "lots"}, InvalidAmount),
        (None, {"bonus_credits": 0.0}, InvalidAmount),
        (None, {"price_minor": 0}, InvalidArgument),
        (None, {"price_minor": -100}, InvalidArgument),
        (None, {"price_minor": MAX_PRICE_MINOR + 1}, InvalidArgument),
        (None, {"price_minor": 9.99}, InvalidArgument),
        (None, {"price_minor": "999"}, InvalidArgument),
        (None, {"price_minor": True}, InvalidArgument),
        (None, {"currency": "USD"}, InvalidArgument),
        (None, {"currency": "us"}, InvalidArgument),
        (None, {"currency": "usdt"}, InvalidArgument),
        (None, {"currency": "u$d"}, InvalidArgument),
        (None, {"currency": "üsd"}, InvalidArgument),
        (None, {"currency": ""}, InvalidArgument),
        (None, {"popular": "yes"}, InvalidArgument),
        (None, {"active": 1}, InvalidArgument),
        (None, {"sort_order": 2**31}, InvalidArgument),
        (None, {"sort_order": True}, InvalidArgument),
    ],
)
def test_invalid_values_are_refused_before_anything_is_written(
    package_id: str | None, overrides: dict[str, Any], error: type[CreditsError]
) -> None:
    target = new_id() if package_id is None else package_id
    with pytest.raises(error):
        upsert_package(target, **(VALID | overrides))
    assert target not in catalog()


def test_amount_errors_name_the_amount() -> None:
    with pytest.raises(InvalidAmount, match=r"^Bonus credits: "):
        upsert_package(new_id(), **VALID, bonus_credits="-1")
    with pytest.raises(InvalidAmount, match=r"^Credits: "):
        upsert_package(new_id(), **(VALID | {"credits": "0"}))


@pytest.mark.parametrize("missing", ["name", "credits", "price_minor"])
def test_a_new_package_needs_name_credits_and_price(missing: str) -> None:
    package_id = new_id()
    values = {key: value for key, value in VALID.items() if key != missing}
    with pytest.raises(InvalidArgument, match="creating it needs") as raised:
        upsert_package(package_id, **values)
    assert raised.value.details["missing"] == [missing]
    assert package_id not in catalog()


def test_an_invalid_update_leaves_the_package_as_it_was() -> None:
    package_id = new_id()
    original = create(package_id)
    with pytest.raises(InvalidArgument):
        upsert_package(package_id, name="New name", price_minor=0)
    with pytest.raises(InvalidAmount):
        upsert_package(package_id, name="New name", credits="-1")
    assert catalog()[package_id] == original


def test_credits_and_bonus_together_must_fit_one_grant() -> None:
    """Fulfillment credits both in one ledger entry, so their sum obeys the amount limit."""
    limit = str(MAX_AMOUNT_CREDITS)
    package_id = new_id()
    with pytest.raises(InvalidAmount, match="Credits plus bonus"):
        upsert_package(package_id, **(VALID | {"credits": limit, "bonus_credits": "1"}))
    assert package_id not in catalog()
    create(package_id, credits=limit)
    with pytest.raises(InvalidAmount, match="Credits plus bonus"):
        upsert_package(package_id, bonus_credits="0.0001")
    assert catalog()[package_id].bonus_credits == 0


def test_set_active_refuses_a_non_boolean() -> None:
    package_id = new_id()
    create(package_id)
    with pytest.raises(InvalidArgument):
        set_package_active(package_id, "no")  # type: ignore[arg-type]
    assert catalog()[package_id].active


# --- concurrency ----------------------------------------------------------------------------


def test_concurrent_upserts_of_a_new_id_create_it_once(any_engine: Engine) -> None:
    """Racing creators: one creates, the others update; nobody fails on the primary key."""
    package_id = new_id("race")
    results: list[bool] = []
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def upsert(number: int) -> None:
        try:
            start.wait()
            result = upsert_package(package_id, **(VALID | {"price_minor": 100 + number}))
            results.append(result.created)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=upsert, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(results) == [False] * 5 + [True]
    assert catalog()[package_id].price_minor in range(100, 106)
