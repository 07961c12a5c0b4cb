"""The operator CLI end to end on a migrated SQLite database: output, ledger effects, errors."""

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from credits_app.auth.accounts import UserInfo, find_org_by_slug, find_user_by_email
from credits_app.auth.passwords import verify_password
from credits_app.cli import app
from credits_app.cli.accounts import slugify
from credits_app.cli.export import HEADER
from credits_app.credits import credit_service as credits
from credits_app.credits.credit_service import HistoryItem
from credits_app.credits.ledger_counts import count_entries
from credits_app.credits.wallet_service import WalletOwner
from credits_app.db import unit_of_work
from credits_app.models import Membership, User
from tests.conftest import make_org, make_user
from tests.support.databases import fresh_sqlite_engine

pytestmark = pytest.mark.usefixtures("sqlite_engine")

runner = CliRunner()


def run(*args: str, input: str | None = None) -> Result:
    return runner.invoke(app, list(args), input=input)


def succeeds(*args: str, input: str | None = None) -> Result:
    result = run(*args, input=input)
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


def history(owner: WalletOwner) -> list[HistoryItem]:
    return credits.get_history(owner, limit=100).items


def funded(amount: str = "100") -> UserInfo:
    user = make_user("ada")
    credits.grant_personal_credits(user.id, amount, description="funding")
    return user


# --- accounts -------------------------------------------------------------------------------


def test_create_user_prints_the_id_and_stores_only_a_password_hash() -> None:
    result = succeeds("create-user", "Ada@Example.com", "--name", "Ada", "--password", "s3cret!")
    user = find_user_by_email("ada@example.com")
    assert user is not None and result.stdout.strip() == str(user.id)
    assert "Created user ada@example.com" in result.stderr
    with unit_of_work() as db:
        stored = db.exec(select(User).where(User.id == user.id)).one()
    assert stored.password_hash and verify_password("s3cret!", stored.password_hash)
    assert credits.get_personal_balance(user.id) == 0


def test_create_user_prompts_for_a_hidden_confirmed_password() -> None:
    result = succeeds("create-user", "bob@example.com", "--name", "Bob", input="pw-1\npw-1\n")
    assert "pw-1" not in result.output
    with unit_of_work() as db:
        stored = db.exec(select(User).where(User.email == "bob@example.com")).one()
    assert stored.password_hash and verify_password("pw-1", stored.password_hash)


def test_service_user_has_no_password_and_duplicates_are_refused() -> None:
    succeeds("create-user", "svc@example.com", "--name", "Service", "--no-password")
    with unit_of_work() as db:
        assert db.exec(select(User)).one().password_hash is None
    fails(
        run("create-user", "SVC@example.com", "--name", "Again", "--no-password"),
        "already exists",
    )
    fails(
        run("create-user", "x@example.com", "--name", "X", "--password", "p", "--no-password"),
        "not both",
    )
    fails(run("create-user", "not-an-email", "--name", "X", "--no-password"), "not valid")


def test_create_org_slugifies_the_name_and_makes_the_user_owner() -> None:
    owner = make_user("owner")
    result = succeeds("create-org", owner.email, "Acme Café, Inc.")
    org = find_org_by_slug("acme-cafe-inc")
    assert org is not None and result.stdout.strip() == str(org.id)
    with unit_of_work() as db:
        membership = db.exec(select(Membership).where(Membership.org_id == org.id)).one()
    assert (membership.user_id, membership.role) == (owner.id, "owner")
    succeeds("create-org", owner.email, "Acme", "--slug", "acme-two")
    fails(run("create-org", owner.email, "Acme", "--slug", "acme-two"), "already exists")
    fails(run("create-org", "ghost@example.com", "Ghost Org"), "No user with email")


def test_slugify() -> None:
    assert slugify("  Hello,   World!! ") == "hello-world"
    assert slugify("Ünïcödé 2") == "unicode-2"


def test_add_member_with_a_role() -> None:
    org = make_org(make_user("owner"))
    member = make_user("member")
    result = succeeds("add-member", org.slug, member.email, "--role", "admin")
    assert "as admin" in result.stdout
    with unit_of_work() as db:
        row = db.exec(select(Membership).where(Membership.user_id == member.id)).one()
    assert row.role == "admin"
    fails(run("add-member", org.slug, member.email), "already a member")
    fails(run("add-member", "no-such-org", member.email), "No organization with slug")
    assert run("add-member", org.slug, member.email, "--role", "owner").exit_code == 2


# --- grant, adjust, balance -----------------------------------------------------------------


def test_grant_records_reason_and_operator_in_the_ledger() -> None:
    user = make_user("ada")
    result = succeeds(
        "grant", "--user", user.email, "100", "--reason", "Beta tester", "--operator", "alice"
    )
    assert "Granted 100 credits" in result.stdout
    [entry] = history(WalletOwner.user(user.id))
    assert (entry.type, entry.amount) == ("grant", Decimal("100"))
    assert entry.metadata == {"reason": "Beta tester", "operator": "alice"}
    assert entry.description == "Operator grant: Beta tester"


def test_operator_defaults_to_the_os_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ops-on-call")
    org = make_org(make_user("owner"))
    succeeds("grant", "--org", org.slug, "12.5", "--reason", "pilot")
    [entry] = history(WalletOwner.org(org.id))
    assert entry.metadata == {"reason": "pilot", "operator": "ops-on-call"}
    assert credits.get_org_balance(org.id) == Decimal("12.5")


@pytest.mark.parametrize("reason", [None, "", "   "])
@pytest.mark.parametrize("command", ["grant", "adjust"])
def test_missing_or_blank_reason_is_refused_and_nothing_is_written(
    command: str, reason: str | None
) -> None:
    user = make_user("ada")
    args = [command, "--user", user.email, "5"]
    fails(run(*args, *(["--reason", reason] if reason is not None else [])), "reason")
    assert history(WalletOwner.user(user.id)) == []
    assert credits.get_personal_balance(user.id) == 0


def test_adjust_up_and_down_posts_adjustment_entries() -> None:
    user = funded()
    up = succeeds("adjust", "--user", user.email, "+5", "--reason", "bonus", "--operator", "al")
    down = succeeds("adjust", "--user", user.email, "-12.5", "--reason", "double charge")
    assert "by +5 credits" in up.stdout
    assert "by -12.5 credits; balance 92.5" in down.stdout
    newest, previous, _ = history(WalletOwner.user(user.id))
    assert (newest.type, newest.amount) == ("adjustment", Decimal("-12.5"))
    assert newest.metadata["reason"] == "double charge" and newest.metadata["operator"]
    assert previous.metadata == {"reason": "bonus", "operator": "al"}
    assert credits.get_personal_balance(user.id) == Decimal("92.5")


def test_negative_adjustment_past_zero_is_refused_and_the_balance_is_unchanged() -> None:
    user = funded(amount="10")
    fails(
        run("adjust", "--user", user.email, "-10.5", "--reason", "clawback"),
        "Insufficient credits",
    )
    assert credits.get_personal_balance(user.id) == Decimal("10")
    assert len(history(WalletOwner.user(user.id))) == 1


@pytest.mark.parametrize(
    ("command", "amount"),
    [
        *[(command, amount) for command in ("grant", "adjust") for amount in ("0", "-0", "abc")],
        ("grant", "1.00001"),
        ("adjust", "-1.00001"),
        ("grant", "-5"),
        ("adjust", "--5"),
    ],
)
def test_invalid_amounts_are_refused(command: str, amount: str) -> None:
    user = funded()
    fails(run(command, "--user", user.email, amount, "--reason", "x"), "Amount")
    assert credits.get_personal_balance(user.id) == Decimal("100")


def test_balance_prints_the_formatted_balance() -> None:
    user = funded(amount="1234.5")
    assert succeeds("balance", "--user", user.email).stdout.strip() == (
        f"user {user.email}: 1,234.5 credits"
    )
    org = make_org(user)
    assert succeeds("balance", "--org", org.slug).stdout.strip() == f"org {org.slug}: 0 credits"


# --- owner resolution, shared by every wallet command ---------------------------------------

WALLET_COMMANDS = [
    ["grant", "5", "--reason", "x"],
    ["adjust", "5", "--reason", "x"],
    ["balance"],
    ["export-history", "-o", "-"],
]


@pytest.mark.parametrize("command", WALLET_COMMANDS)
def test_unknown_email_or_slug_fails_cleanly(command: list[str]) -> None:
    fails(run(*command, "--user", "nobody@example.com"), "No user with email nobody@example.com")
    fails(run(*command, "--org", "nowhere"), "No organization with slug 'nowhere'")


@pytest.mark.parametrize("command", WALLET_COMMANDS)
def test_exactly_one_of_user_and_org_is_required(command: list[str]) -> None:
    user = make_user("ada")
    org = make_org(user)
    fails(run(*command), "exactly one of --user EMAIL or --org SLUG")
    fails(run(*command, "--user", user.email, "--org", org.slug), "exactly one of")


# --- export ---------------------------------------------------------------------------------


def spend_many(user: UserInfo, count: int) -> None:
    for number in range(count):
        category = "ai_usage" if number % 2 else "marketplace"
        credits.deduct_personal_credits(
            user.id, "0.5", category=category, description=f'spend, #{number}\n"quoted"'
        )


def read_csv(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    assert reader.fieldnames == HEADER
    return list(reader)


def test_export_round_trips_every_entry_across_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = funded(amount="1000")
    spend_many(user, 130)  # 131 entries: more than one page of 100
    monkeypatch.chdir(tmp_path)
    result = succeeds("export-history", "--user", user.email)
    target = tmp_path / f"history-user-{user.id}.csv"
    assert "Wrote 131 entries" in result.stderr
    assert not list(tmp_path.glob("*.part"))
    rows = read_csv(target.read_text(encoding="utf-8"))
    assert len(rows) == 131 == count_entries(WalletOwner.user(user.id))
    expected = []
    cursor = None
    while True:
        page = credits.get_history(WalletOwner.user(user.id), limit=100, cursor=cursor)
        expected += page.items
        if (cursor := page.next_cursor) is None:
            break
    assert [int(row["id"]) for row in rows] == [item.id for item in expected]
    for row, item in zip(rows, expected, strict=True):
        assert row["created_at"] == item.created_at.isoformat()
        assert row["created_at"].endswith("+00:00")
        assert (row["type"], row["category"] or None) == (item.type, item.category)
        assert Decimal(row["amount"]) == item.amount
        assert Decimal(row["balance_after"]) == item.balance_after
        assert row["description"] == item.description
        assert json.loads(row["metadata"]) == item.metadata
    assert sum(Decimal(row["amount"]) for row in rows) == credits.get_personal_balance(user.id)


def test_export_to_stdout_with_filters() -> None:
    user = funded(amount="1000")
    spend_many(user, 6)
    rows = read_csv(
        succeeds("export-history", "--user", user.email, "-o", "-", "--category", "ai_usage").stdout
    )
    assert len(rows) == 3 and {row["category"] for row in rows} == {"ai_usage"}
    grants = read_csv(
        succeeds("export-history", "--user", user.email, "-o", "-", "--type", "grant").stdout
    )
    assert [row["type"] for row in grants] == ["grant"]
    fails(run("export-history", "--user", user.email, "-o", "-", "--type", "bogus"), "bogus")


def test_count_entries_matches_the_history_filters() -> None:
    user = funded(amount="1000")
    spend_many(user, 5)
    owner = WalletOwner.user(user.id)
    assert count_entries(owner) == 6
    assert count_entries(owner, type="usage") == 5
    assert count_entries(owner, type="usage", category="ai_usage") == 2
    assert count_entries(owner, category="other") == 0


def test_export_to_an_unwritable_path_fails_cleanly(tmp_path: Path) -> None:
    user = funded()
    missing_dir = tmp_path / "missing" / "out.csv"
    fails(run("export-history", "--user", user.email, "-o", str(missing_dir)), "Cannot write")


# --- global options -------------------------------------------------------------------------


def test_database_option_points_the_commands_at_another_database(
    sqlite_engine: Engine, sqlite_template: Path, tmp_path: Path
) -> None:
    other = fresh_sqlite_engine(sqlite_template, tmp_path)
    url = other.url.render_as_string(hide_password=False)
    args = ["create-user", "elsewhere@example.com", "--name", "E", "--no-password"]
    succeeds("--database", url, *args)
    for engine, expected in [(other, 1), (sqlite_engine, 0)]:
        with Session(engine) as db:
            assert len(db.exec(select(User)).all()) == expected
    other.dispose()
    fails(run("--database", "not a url", "balance", "--user", "a@example.com"), "--database")
