"""The dashboard's top bar and sidebar: brand, header balance, account menu, org switcher, nav.

The sidebar offers the same pages for the personal wallet and for each organization; its links
follow the current context, so "Credits" inside an org opens that org's credits. On phones the
sidebar moves into a drawer behind the menu button.
"""

import reflex as rx

from credits_app import styles
from credits_app.state.auth_state import AuthState, OrgOption
from credits_app.state.credits_page_state import CreditsPageState
from credits_app.state.members_state import CreateOrgState
from credits_app.state.wallet_context_state import WalletContextState
from credits_app.views.balance_header import header_balance
from credits_app.views.notification_view import notification_center
from credits_app.views.session_script import session_call

LOGOUT_SCRIPT = session_call("logout()")


def top_bar() -> rx.Component:
    """Brand on the left; balance and account menu on the right."""
    return rx.box(
        rx.hstack(
            rx.hstack(
                _mobile_menu(),
                _brand(),
                align="center",
                spacing="3",
            ),
            rx.hstack(
                notification_center(),
                header_balance(),
                rx.color_mode.button(
                    size="2",
                    variant="ghost",
                    color_scheme="gray",
                    aria_label="Switch between light and dark mode",
                    id="color-mode-toggle",
                ),
                _account_menu(),
                align="center",
                spacing="3",
            ),
            **styles.TOP_BAR_INNER_STYLE,
        ),
        **styles.TOP_BAR_STYLE,
    )


def sidebar() -> rx.Component:
    """The desktop sidebar (hidden on small screens, where the drawer takes over).

    The outer column spans the page's height (background and border); the inner part sticks
    below the top bar while the content scrolls.
    """
    return rx.box(
        rx.box(_sidebar_content(), **styles.SIDEBAR_INNER_STYLE),
        display=["none", "none", "none", "block"],
        id="sidebar",
        **styles.SIDEBAR_STYLE,
    )


def _brand() -> rx.Component:
    return rx.link(
        rx.hstack(
            rx.flex("U", **styles.BRAND_MARK_STYLE),
            rx.heading(
                styles.APP_NAME,
                size=styles.BRAND_SIZE,
                color=styles.TEXT_COLOR,
                display=["none", "block"],
            ),
            align="center",
            spacing=styles.GAP_SMALL,
        ),
        href="/credits",
        underline="none",
    )


def _sidebar_content() -> rx.Component:
    return rx.vstack(
        rx.text("Workspace", size=styles.SMALL_SIZE, **styles.SIDEBAR_SECTION_LABEL_STYLE),
        _org_switcher(),
        rx.box(height="8px"),
        rx.text("Wallet", size=styles.SMALL_SIZE, **styles.SIDEBAR_SECTION_LABEL_STYLE),
        _nav_link(
            "Credits",
            "coins",
            WalletContextState.credits_href,
            active=WalletContextState.section == "credits",
            element_id="nav-credits",
            tab="usage",
        ),
        _nav_link(
            "Billing",
            "credit-card",
            WalletContextState.billing_href,
            active=WalletContextState.section == "billing",
            element_id="nav-billing",
            tab="usage",
        ),
        rx.cond(
            WalletContextState.is_org,
            _nav_link(
                "Members",
                "users",
                WalletContextState.members_href,
                active=WalletContextState.section == "members",
                element_id="nav-members",
                tab="usage",
            ),
        ),
        spacing="1",
        width="100%",
        align="stretch",
    )


def _nav_link(
    label: str,
    icon: str,
    href: rx.Var[str],
    *,
    active: rx.Var[bool],
    element_id: str,
    tab: str,
) -> rx.Component:
    """A sidebar entry; it also switches the tab, since a same-page link does not reload."""
    content = rx.hstack(
        rx.icon(icon, size=styles.ICON_SIZE),
        rx.text(label, size=styles.BODY_SIZE),
        align="center",
        spacing="2",
    )
    return rx.link(
        rx.cond(
            active,
            rx.box(content, **styles.NAV_LINK_ACTIVE_STYLE),
            rx.box(content, **styles.NAV_LINK_STYLE),
        ),
        href=href,
        underline="none",
        id=element_id,
        on_click=CreditsPageState.show_tab(tab),
        width="100%",
    )


def _org_switcher() -> rx.Component:
    """Personal wallet or one of my organizations; picking one opens its credits page."""
    current = rx.hstack(
        rx.flex(
            rx.cond(WalletContextState.is_org, WalletContextState.org_name[0], "P"),
            **styles.AVATAR_MARK_STYLE,
        ),
        rx.vstack(
            rx.text(
                rx.cond(WalletContextState.is_org, WalletContextState.org_name, "Personal"),
                size=styles.BODY_SIZE,
                weight="medium",
                white_space="nowrap",
                overflow="hidden",
                text_overflow="ellipsis",
                max_width="140px",
                as_="span",
            ),
            rx.text(
                rx.cond(
                    WalletContextState.is_org, WalletContextState.role_label, "Your own wallet"
                ),
                size=styles.SMALL_SIZE,
                as_="span",
                **styles.CAPTION_STYLE,
            ),
            spacing="0",
            align="start",
        ),
        rx.spacer(),
        rx.icon("chevrons-up-down", size=styles.SMALL_ICON_SIZE, color=styles.MUTED_TEXT_COLOR),
        align="center",
        spacing="2",
        width="100%",
    )
    return rx.menu.root(
        rx.menu.trigger(
            # A real <button>: reachable with Tab, opened with Enter/Space like any menu.
            rx.el.button(
                current,
                type="button",
                id="org-switcher",
                aria_label=rx.cond(
                    WalletContextState.is_org,
                    "Switch wallet (current: " + WalletContextState.org_name + ")",
                    "Switch wallet (current: Personal)",
                ),
                **styles.ORG_SWITCHER_STYLE,
            ),
        ),
        rx.menu.content(
            rx.text(
                "Switch wallet",
                size=styles.SMALL_SIZE,
                padding_y="4px",
                **styles.SIDEBAR_SECTION_LABEL_STYLE,
            ),
            _switch_item("Personal", "Your own wallet", "/credits", "switch-personal"),
            rx.cond(
                AuthState.orgs.length() > 0,  # type: ignore[attr-defined]
                rx.menu.separator(),
            ),
            rx.foreach(AuthState.orgs, _org_item),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("plus", size=styles.ICON_SIZE),
                "Create organization",
                on_click=CreateOrgState.set_open(True),
                id="create-org",
            ),
            min_width="216px",
        ),
        # Not modal: a modal menu hides the rest of the page with aria-hidden while its
        # buttons stay focusable (axe: aria-hidden-focus).
        modal=False,
    )


def _org_item(org: rx.Var[OrgOption]) -> rx.Component:
    return _switch_item(
        org["name"],
        org["role_label"],
        "/organizations/" + org["slug"] + "/credits",
        "switch-org-" + org["slug"],
    )


def _switch_item(
    name: rx.Var[str] | str,
    detail: rx.Var[str] | str,
    href: rx.Var[str] | str,
    element_id: rx.Var[str] | str,
) -> rx.Component:
    return rx.menu.item(
        rx.hstack(
            rx.text(name, size=styles.BODY_SIZE),
            rx.text(detail, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
            justify="between",
            align="center",
            width="100%",
            spacing="4",
        ),
        on_click=[CreditsPageState.show_tab("usage"), rx.redirect(href)],
        id=element_id,
    )


def _account_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                rx.cond(
                    AuthState.initials,
                    rx.text(AuthState.initials, size=styles.SMALL_SIZE, weight="bold"),
                    rx.icon("user", size=styles.ICON_SIZE),
                ),
                variant="soft",
                radius="full",
                size="2",
                aria_label="Account",
                id="account-menu",
            ),
        ),
        rx.menu.content(
            rx.box(
                rx.text(AuthState.user_name, size=styles.BODY_SIZE, weight="medium"),
                rx.text(AuthState.user_email, size=styles.SMALL_SIZE, **styles.CAPTION_STYLE),
                padding="6px 8px",
            ),
            rx.menu.separator(),
            rx.menu.item(
                rx.icon("user-cog", size=styles.ICON_SIZE),
                "Account settings",
                on_click=rx.redirect("/account"),
                id="account-settings",
            ),
            rx.menu.item(
                rx.icon("log-out", size=styles.ICON_SIZE),
                "Sign out",
                on_click=rx.call_script(LOGOUT_SCRIPT),
                id="sign-out",
            ),
            align="end",
            min_width="200px",
        ),
        modal=False,
    )


def _mobile_menu() -> rx.Component:
    return rx.box(
        rx.drawer.root(
            rx.drawer.trigger(
                rx.icon_button(
                    rx.icon("menu", size=18),
                    variant="ghost",
                    color_scheme="gray",
                    aria_label="Open navigation",
                ),
            ),
            rx.drawer.overlay(z_index="20"),
            rx.drawer.portal(
                rx.drawer.content(
                    rx.vstack(
                        rx.hstack(
                            _brand(),
                            rx.drawer.close(
                                rx.icon_button(
                                    rx.icon("x", size=18),
                                    variant="ghost",
                                    color_scheme="gray",
                                    aria_label="Close navigation",
                                )
                            ),
                            justify="between",
                            align="center",
                            width="100%",
                        ),
                        _sidebar_content(),
                        spacing="5",
                        width="100%",
                    ),
                    padding="16px",
                    width="280px",
                    height="100%",
                    background=styles.SURFACE_BACKGROUND,
                    z_index="30",
                ),
            ),
            direction="left",
        ),
        display=["block", "block", "block", "none"],
    )
