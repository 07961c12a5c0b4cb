"""`python -m credits_app packages ...`: the catalog commands on a migrated SQLite database."""

from decimal import Decimal

import pytest
from click.testing import Result
from typer.testing import CliRunner

from credits_app.billing.packages import (
    PackageNotFound,
    get_active_package,
    list_active_packages,
    list_all_packages,
)
from credits_app.cli import app
from credits_app.cli.packages import format_price

pytestmark = pytest.mark.usefixtures("sqlite_engine")

runner = CliRunner()
CREATE_NEW = ["upsert", "new", "--name", "N", "--credits", "1", "--price-cents", "5"]


def run(*args: str) -> Result:
    return runner.invoke(app, ["packages", *args])


def succeeds(*args: str) -> Result:
    result = run(*args)
    assert result.exit_code == 0, (result.stdout, result.stderr, result.exception)
    return result


def fails(result: Result, message: str) -> None:
    """Exit 1 with one red line on stderr naming the problem, and no traceback."""
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert isinstance(result.exception, SystemExit), result.exception
    assert message in result.stderr
    assert result.stderr.startswith("Error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


def table_rows(output: str) -> dict[str, list[str]]:
    """The `packages list` table as {id: [cells...]} (one line per package when piped)."""
    rows = {}
    for line in output.splitlines():
        if line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            rows[cells[0]] = cells
    return rows


def test_list_shows_the_seeded_catalog_in_order() -> None:
    result = succeeds("list")
    header = next(line for line in result.stdout.splitlines() if "currency" in line)
    assert [cell.strip() for cell in header.strip("┃").split("┃")] == [
        "id",
        "name",
        "credits",
        "bonus",
        "price",
        "currency",
        "popular",
        "active",
    ]
    rows = table_rows(result.stdout)
    assert list(rows) == ["starter", "growth", "pro", "scale"]
    assert rows["pro"] == ["pro", "Pro", "10,000", "2,000", "90.00", "usd", "yes", "yes"]
    assert rows["starter"][3] == "0"


def test_upsert_creates_a_package_that_is_on_sale() -> None:
    result = succeeds(
        "upsert",
        "mega",
        "--name",
        "Mega",
        "--credits",
        "100000",
        "--bonus-credits",
        "0",
        "--price-cents",
        "75000",
        "--currency",
        "usd",
        "--popular",
        "--sort-order",
        "9",
    )
    assert result.stdout.startswith("Created package mega (Mega): 100,000 credits for 750.00 usd")
    package = get_active_package("mega")
    assert (package.credits, package.bonus_credits, package.price_minor, package.popular) == (
        Decimal(100_000),
        Decimal(0),
        75_000,
        True,
    )
    assert list_active_packages()[-1].id == "mega"
    row = table_rows(succeeds("list").stdout)["mega"]
    assert row == ["mega", "Mega", "100,000", "0", "750.00", "usd", "yes", "yes"]


def test_upsert_updates_only_what_is_given() -> None:
    result = succeeds("upsert", "pro", "--price-cents", "8900", "--no-popular")
    assert result.stdout.startswith("Updated package pro (Pro): 10,000 + 2,000 bonus credits")
    package = get_active_package("pro")
    assert (package.name, package.price_minor, package.popular) == ("Pro", 8_900, False)
    assert package.bonus_credits == Decimal(2_000)
    succeeds("upsert", "pro", "--bonus-credits", "12.5", "--credits", "10000.25")
    assert get_active_package("pro").total_credits == Decimal("10012.75")


def test_deactivate_takes_a_package_off_sale() -> None:
    result = succeeds("deactivate", "starter")
    assert result.stdout.startswith("Deactivated package starter (Starter)")
    assert "inactive" in result.stdout
    assert "starter" not in {p.id for p in list_active_packages()}
    with pytest.raises(PackageNotFound):
        get_active_package("starter")
    assert table_rows(succeeds("list").stdout)["starter"][-1] == "no"
    succeeds("upsert", "starter", "--active")
    assert get_active_package("starter").id == "starter"


def test_upsert_inactive_creates_a_package_that_is_not_for_sale() -> None:
    succeeds(
        "upsert",
        "hidden",
        "--name",
        "Hidden",
        "--credits",
        "5",
        "--price-cents",
        "99",
        "--inactive",
    )
    assert "hidden" not in {p.id for p in list_active_packages()}
    assert table_rows(succeeds("list").stdout)["hidden"][-1] == "no"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["upsert", "new", "--name", "New"], "creating it needs a name, credits and a price"),
        (["upsert", "Bad Id", "--name", "X", "--credits", "1", "--price-cents", "1"], "id must"),
        (
            ["upsert", "new", "--name", "N", "--credits", "1", "--price-cents", "0"],
            "Price must be between 1",
        ),
        (
            ["upsert", "new", "--name", "N", "--credits", "1", "--price-cents", "-5"],
            "Price must be between 1",
        ),
        (
            ["upsert", "new", "--name", "N", "--credits", "0", "--price-cents", "5"],
            "Credits: Amount must be greater than zero",
        ),
        (
            ["upsert", "new", "--name", "N", "--credits", "-1", "--price-cents", "5"],
            "Credits: Amount must be greater than zero",
        ),
        (
            ["upsert", "new", "--name", "N", "--credits", "1.00001", "--price-cents", "5"],
            "more than 4 decimal places",
        ),
        (
            [*CREATE_NEW, "--bonus-credits", "-2"],
            "Bonus credits: Amount must be greater than zero",
        ),
        (
            [*CREATE_NEW, "--currency", "USD"],
            "three-letter lowercase",
        ),
        (["upsert", "pro", "--name", " "], "name must be 1 to 100"),
        (["deactivate", "no-such-package"], "No credit package 'no-such-package'"),
    ],
)
def test_bad_input_fails_with_one_line_and_changes_nothing(args: list[str], message: str) -> None:
    before = list_all_packages()
    fails(run(*args), message)
    assert list_all_packages() == before


def test_a_non_integer_price_is_a_usage_error() -> None:
    result = run("upsert", "new", "--name", "N", "--credits", "1", "--price-cents", "9.99")
    assert result.exit_code == 2
    assert "new" not in {p.id for p in list_all_packages()}


def test_no_subcommand_shows_help() -> None:
    result = run()
    assert result.exit_code == 2
    for command in ("list", "upsert", "deactivate"):
        assert command in result.output


def test_long_ids_and_names_are_never_cut_short_when_piped() -> None:
    package_id, name = "p" * 64, "A long name " * 8
    succeeds("upsert", package_id, "--name", name, "--credits", "1", "--price-cents", "99999999")
    row = table_rows(succeeds("list").stdout)[package_id]
    assert row[1] == name.strip()


def test_format_price() -> None:
    assert format_price(4_500, "usd") == "45.00"
    assert format_price(5, "eur") == "0.05"
    assert format_price(123_456_789, "usd") == "1,234,567.89"
    assert format_price(500, "jpy") == "500"
    assert format_price(1_500, "kwd") == "1.500"
