"""The members page of an organization, bound to `MembersState`."""

import reflex as rx

from credits_app import styles
from credits_app.components.orgs.members_list import MemberEvents, members_list
from credits_app.state.members_state import MembersState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.views.loading import not_loaded
from credits_app.views.not_found import not_found_view


def members_view() -> rx.Component:
    """Heading, then the people (or not-found for outsiders, exactly like the credits page)."""
    return rx.cond(
        WalletContextState.not_found,
        not_found_view(),
        rx.vstack(
            rx.vstack(
                rx.heading("Members", as_="h1", size=styles.HEADING_SIZE, id="members-heading"),
                rx.text(
                    "Who shares the ",
                    rx.text.strong(WalletContextState.org_name),
                    " wallet, and what each of them may do.",
                    size=styles.BODY_SIZE,
                    **styles.CAPTION_STYLE,
                ),
                spacing="1",
            ),
            members_list(
                MembersState.members,
                org_name=WalletContextState.org_name,
                invite_role=MembersState.invite_role,
                sending=MembersState.invite_sending,
                events=MemberEvents(
                    on_invite=MembersState.invite,
                    on_invite_role=MembersState.set_invite_role,
                    on_role=MembersState.set_role,
                    on_remove=MembersState.remove,
                    on_revoke=MembersState.revoke,
                    on_leave=MembersState.leave,
                ),
                loading=not_loaded(MembersState.loaded_for),
            ),
            spacing="5",
            width="100%",
        ),
    )
