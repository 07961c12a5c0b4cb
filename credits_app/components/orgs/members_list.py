"""An organization's people: name, email, role, and (for owners and admins) the controls.

Takes the `MembersView` (state/members_presenters.py) whole. Members who manage nothing see
the list and, on top, whom to ask for a top-up or a role change. Everyone may leave; the
service refuses the last owner, and the page says why.
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import reflex as rx

from credits_app import styles
from credits_app.components.banner import banner
from credits_app.components.card import card, card_header
from credits_app.components.common import placeholder_lines

BoolProp = rx.Var[bool] | bool
Handler = Callable[..., Any]
ROLE_CHOICES = [("member", "Member"), ("admin", "Admin"), ("owner", "Owner")]


class MemberEvents(NamedTuple):
    """What the controls do (bound to `MembersState` by the view)."""

    on_invite: Handler
    on_invite_role: Handler
    on_role: Handler  # (user_id, role)
    on_remove: Handler  # (user_id)
    on_revoke: Handler  # (invitation_id)
    on_leave: Handler


def members_list(
    view: rx.Var[Any],
    *,
    org_name: rx.Var[str],
    invite_role: rx.Var[str],
    sending: BoolProp,
    events: MemberEvents,
    loading: BoolProp,
) -> rx.Component:
    """The members card, the invite form for managers, and the leave button."""
    return rx.vstack(
        rx.cond(
            ~loading & ~view.can_manage,
            banner(
                "users",
                styles.ACCENT_COLOR,
                "Need credits or another role?",
                rx.fragment("Ask ", view.managers_text, "."),
                id="ask-managers",
            ),
        ),
        rx.cond(view.can_manage, _invite_form(invite_role, sending, events)),
        card(
            card_header(rx.fragment("People in ", org_name), view.count_text),
            rx.cond(
                loading,
                placeholder_lines(3),
                rx.vstack(
                    rx.foreach(view.rows, lambda row: _row(row, view, events)),
                    spacing="0",
                    width="100%",
                    id="members-list",
                ),
            ),
            id="members-card",
        ),
        rx.cond(
            view.can_manage & (view.invitations.length() > 0),
            card(
                card_header("Invited", "Pending until they sign up with that email"),
                rx.vstack(
                    rx.foreach(view.invitations, lambda row: _invitation(row, events)),
                    spacing="0",
                    width="100%",
                    id="invitations-list",
                ),
                id="invitations-card",
            ),
        ),
        rx.button(
            rx.icon("log-out", size=styles.ICON_SIZE),
            "Leave organization",
            variant="outline",  # soft red on red-3 falls short of 4.5:1 contrast (axe)
            color_scheme="red",
            on_click=events.on_leave,
            id="leave-org",
        ),
        spacing=styles.GAP_MEDIUM,
        width="100%",
        align="start",
    )


def _invite_form(invite_role: rx.Var[str], sending: BoolProp, events: MemberEvents) -> rx.Component:
    return card(
        card_header(
            "Add someone",
            "People with an account join at once; others are invited and join when they sign up.",
        ),
        rx.form(
            rx.flex(
                rx.input(
                    name="email",
                    type="email",
                    required=True,
                    placeholder="colleague@example.com",
                    aria_label="Email of the person to add",
                    id="invite-email",
                    flex="1",
                    min_width="220px",
                ),
                rx.select.root(
                    rx.select.trigger(aria_label="Role for the new member", id="invite-role"),
                    rx.select.content(
                        rx.select.item("Member", value="member"),
                        rx.select.item("Admin", value="admin"),
                    ),
                    value=invite_role,
                    on_change=events.on_invite_role,
                ),
                rx.button("Add or invite", type="submit", loading=sending, id="invite-submit"),
                gap="8px",
                wrap="wrap",
                width="100%",
            ),
            on_submit=events.on_invite,
            reset_on_submit=False,
            width="100%",
        ),
        id="invite-card",
    )


def _invitation(row: rx.Var[Any], events: MemberEvents) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(row.email, size=styles.BODY_SIZE, weight="medium"),
            rx.text(row.detail, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
            spacing="0",
            min_width="0",
        ),
        rx.hstack(
            rx.badge(row.role_label, variant="soft"),
            rx.icon_button(
                rx.icon("x", size=styles.ICON_SIZE),
                variant="ghost",
                color_scheme="red",
                aria_label="Withdraw the invitation of " + row.email,
                on_click=events.on_revoke(row.invitation_id),
                class_name="invitation-revoke",
            ),
            spacing="2",
            align="center",
        ),
        justify="between",
        align="center",
        width="100%",
        padding_y="10px",
        border_bottom=styles.CARD_BORDER,
        class_name="invitation-row",
        custom_attrs={"data-email": row.email},
    )


def _row(row: rx.Var[Any], view: rx.Var[Any], events: MemberEvents) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(
                row.name,
                rx.cond(row.is_me, rx.text.span(" (you)", **styles.CAPTION_STYLE)),
                size=styles.BODY_SIZE,
                weight="medium",
            ),
            rx.text(row.email, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
            spacing="0",
            min_width="0",
        ),
        rx.hstack(
            rx.cond(
                row.can_change_role,
                rx.select.root(
                    rx.select.trigger(aria_label="Role of " + row.name, class_name="member-role"),
                    rx.select.content(
                        rx.select.item("Member", value="member"),
                        rx.select.item("Admin", value="admin"),
                        rx.cond(view.can_appoint_owners, rx.select.item("Owner", value="owner")),
                    ),
                    value=row.role,
                    on_change=lambda role: events.on_role(row.user_id, role),
                    size="1",
                ),
                rx.badge(row.role_label, variant="soft", class_name="member-role-badge"),
            ),
            rx.cond(
                row.can_remove,
                rx.icon_button(
                    rx.icon("user-minus", size=styles.ICON_SIZE),
                    variant="ghost",
                    color_scheme="red",
                    aria_label="Remove " + row.name,
                    on_click=events.on_remove(row.user_id),
                    class_name="member-remove",
                ),
            ),
            spacing="2",
            align="center",
        ),
        justify="between",
        align="center",
        width="100%",
        padding_y="10px",
        border_bottom=styles.CARD_BORDER,
        class_name="member-row",
        custom_attrs={"data-email": row.email, "data-role": row.role},
    )
