"""Organization membership rules in the service (the API and the members page both call it)."""

import pytest

from credits_app.auth.accounts import Role
from credits_app.auth.errors import Forbidden, OrgNotFound
from credits_app.auth.members import (
    LastOwner,
    MemberNotFound,
    change_role,
    leave_org,
    list_managers,
    list_members,
    remove_member,
)
from credits_app.auth.organizations import add_member_by_email
from credits_app.state.members_presenters import managers_text, members_view
from tests.conftest import make_org, make_user

pytestmark = pytest.mark.usefixtures("any_engine")


def org_with_people() -> tuple[int, dict[str, int]]:
    people = {role: make_user(role) for role in ("owner", "admin", "member", "outsider")}
    org = make_org(people["owner"], "team")
    add_member_by_email(people["owner"].id, org.id, people["admin"].email, "admin")
    add_member_by_email(people["owner"].id, org.id, people["member"].email, "member")
    return org.id, {role: user.id for role, user in people.items()}


def test_members_see_everyone_with_roles_owners_first_outsiders_see_nothing() -> None:
    org_id, ids = org_with_people()
    roles = [(m.user_id, m.role) for m in list_members(ids["member"], org_id)]
    assert roles == [
        (ids["owner"], Role.OWNER),
        (ids["admin"], Role.ADMIN),
        (ids["member"], Role.MEMBER),
    ]
    with pytest.raises(OrgNotFound):
        list_members(ids["outsider"], org_id)
    assert [m.user_id for m in list_managers(ids["member"], org_id)] == [ids["owner"], ids["admin"]]


def test_admins_manage_members_but_never_owners() -> None:
    org_id, ids = org_with_people()
    with pytest.raises(Forbidden):
        remove_member(ids["member"], org_id, ids["admin"])  # members manage nobody
    assert change_role(ids["admin"], org_id, ids["member"], "admin").role == Role.ADMIN
    with pytest.raises(Forbidden):
        change_role(ids["admin"], org_id, ids["owner"], "member")
    with pytest.raises(Forbidden):
        change_role(ids["admin"], org_id, ids["member"], "owner")
    with pytest.raises(Forbidden):
        remove_member(ids["admin"], org_id, ids["owner"])


def test_the_last_owner_can_neither_leave_nor_step_down_until_another_owner_exists() -> None:
    org_id, ids = org_with_people()
    with pytest.raises(LastOwner):
        leave_org(ids["owner"], org_id)
    with pytest.raises(LastOwner):
        change_role(ids["owner"], org_id, ids["owner"], "admin")
    change_role(ids["owner"], org_id, ids["admin"], "owner")
    leave_org(ids["owner"], org_id)
    assert [m.user_id for m in list_members(ids["admin"], org_id) if m.role == Role.OWNER] == [
        ids["admin"]
    ]
    with pytest.raises(OrgNotFound):
        list_members(ids["owner"], org_id)
    with pytest.raises(MemberNotFound):
        remove_member(ids["admin"], org_id, ids["outsider"])


def test_the_page_offers_only_what_the_service_allows_and_names_whom_to_ask() -> None:
    org_id, ids = org_with_people()
    people = list_members(ids["admin"], org_id)
    admin_view = members_view(people, ids["admin"])
    controls = {row.role: (row.can_change_role, row.can_remove) for row in admin_view.rows}
    assert controls == {"owner": (False, False), "admin": (False, False), "member": (True, True)}
    assert admin_view.can_manage and not admin_view.can_appoint_owners
    member_view = members_view(people, ids["member"])
    assert not member_view.can_manage
    assert all(not row.can_remove for row in member_view.rows)
    names = {m.role: m.name for m in people}
    assert managers_text(people) == f"{names[Role.OWNER]} (owner) or {names[Role.ADMIN]} (admin)"
