"""Many instances behind HAProxy (DESIGN §9, issue 11): the money rules hold across instances,
browser sessions survive their instance, and the cluster rides out a killed instance, a
Postgres restart and a Redis restart. The cluster is built once (conftest.py); each test
starts from every instance serving.
"""

import re
import signal
from decimal import Decimal

import httpx
from playwright.sync_api import BrowserContext, Page, expect

from credits_app.credits.amounts import format_balance
from tests.cluster.conftest import BALANCE_REFRESH_SECONDS, Cluster
from tests.cluster.load import spend, summary, usage_entry_ids
from tests.e2e.flows import sign_in
from tests.support.api_client import SERVICE_KEY, ApiClient, ApiUser, fund_org, fund_user
from tests.support.stripe_events import complete, open_checkout, signed

UI_TIMEOUT_MS = 30_000
REFRESH_TIMEOUT_MS = BALANCE_REFRESH_SECONDS * 3 * 1000
PUSH_TIMEOUT_MS = 15_000  # far under the hour-long poll; CI runs 2 instances + Chromium on 2 cores


def deductions_counted(instance_url: str) -> float:
    """uc_deductions_total over all outcomes, from one instance's /metrics."""
    text = httpx.get(instance_url + "/metrics", timeout=10).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("uc_deductions_total{")
    )


def open_credits_page_on_instance_one(
    cluster: Cluster, context: BrowserContext, path: str = "/credits"
) -> Page:
    """Open the credits page while HAProxy sends everything to instance 1, then put
    instance 2 back: the page's websocket stays on instance 1."""
    cluster.haproxy_command("disable server app/app2")
    try:
        page = context.new_page()
        page.goto(f"{cluster.url}{path}")
        expect(page.locator("#header-balance")).not_to_have_text("", timeout=UI_TIMEOUT_MS)
        page.evaluate("window.__noReload = true")
    finally:
        cluster.haproxy_command("enable server app/app2")
    cluster.wait_serving(2)
    return page


def assert_ledger_matches(user: ApiUser, ids: list[int]) -> None:
    """Every 2xx's transactionId is one ledger entry, and there is no other (none lost,
    none duplicated)."""
    assert len(ids) == len(set(ids)), "two requests were given the same entry"
    assert sorted(usage_entry_ids(user)) == sorted(ids)


def test_4n_deductions_through_haproxy_on_a_wallet_funded_for_n_succeed_exactly_n_times(
    live_cluster: Cluster, api: ApiClient
) -> None:
    funded = 15
    user = api.register("exactly-n")
    fund_user(user, str(funded))
    before = [deductions_counted(i.url) for i in live_cluster.instances]
    result = spend(live_cluster.url, user, 4 * funded, clients=12)
    assert result.final == {200: funded, 402: 3 * funded}, summary(result)
    assert 500 not in result.seen, summary(result)
    assert_ledger_matches(user, result.transaction_ids)
    assert api.balance(user) == 0
    after = [deductions_counted(i.url) for i in live_cluster.instances]
    assert all(a > b for a, b in zip(after, before, strict=True)), "both instances served"


def test_a_purchase_webhook_handled_by_instance_2_updates_the_header_on_instance_1(
    live_cluster: Cluster, api: ApiClient, context: BrowserContext
) -> None:
    user = api.register("webhook")
    fund_user(user, "10")
    sign_in(context, live_cluster.url, user.email)
    page = open_credits_page_on_instance_one(live_cluster, context)
    expect(page.locator("#header-balance")).to_have_text("10", timeout=UI_TIMEOUT_MS)

    session_id = open_checkout(api, user)
    delivery = signed("checkout.session.completed", complete(session_id))
    with httpx.Client(base_url=live_cluster.instances[1].url, timeout=30) as instance_two:
        assert delivery.post(instance_two).status_code == 200
    credited = format_balance(api.balance(user))
    assert credited != "10"

    expect(page.locator("#header-balance")).to_have_text(credited, timeout=REFRESH_TIMEOUT_MS)
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"


def test_a_low_balance_on_instance_2_is_pushed_to_the_bell_of_a_page_on_instance_1(
    live_cluster: Cluster, api: ApiClient, context: BrowserContext
) -> None:
    """Instance 2 commits the notification and publishes on Redis; instance 1, which holds
    the page's websocket, pushes the new count. The spend is on an org wallet the user owns
    while the page shows the personal one, so no balance poll can re-read the bell, and the
    bell's own poll is an hour (conftest)."""
    owner = api.register("pushed")
    fund_user(owner, "10")
    org = api.create_org(owner, "Pushed")
    fund_org(org["id"], "100")
    with httpx.Client(base_url=live_cluster.instances[1].url, timeout=30) as instance_two:
        settings = instance_two.patch(
            f"/api/orgs/{org['id']}/credits/settings",
            json={"lowThreshold": 50},
            headers=owner.headers,
        )
        assert settings.status_code == 200, settings.text
        sign_in(context, live_cluster.url, owner.email)
        page = open_credits_page_on_instance_one(live_cluster, context)
        expect(page.locator("#notification-bell")).to_be_visible(timeout=UI_TIMEOUT_MS)
        expect(page.locator("#notification-badge")).to_have_count(0)
        spent = instance_two.post(
            "/api/internal/credits/deduct",
            json={"wallet": {"type": "org", "id": org["id"]}, "amount": "60", "category": "other"},
            headers={"Authorization": f"Bearer {SERVICE_KEY}"},
        )
        assert spent.status_code == 200, spent.text

    try:
        expect(page.locator("#notification-badge")).to_have_text("1", timeout=PUSH_TIMEOUT_MS)
    except AssertionError as missed:
        raise AssertionError(f"{missed}\n{live_cluster.log_tails()}") from None
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"


def history_filtered_to_purchases_on_instance_one(
    cluster: Cluster, api: ApiClient, context: BrowserContext, user: ApiUser
) -> Page:
    """A signed-in page on instance 1 whose history is filtered to purchases (none: empty)."""
    sign_in(context, cluster.url, user.email)
    # Every (re)connect re-runs the page's on_load (Reflex 0.10's hydrate_and_load), which
    # sets the tab from the URL; the history filter is state that no on_load touches.
    page = open_credits_page_on_instance_one(cluster, context, "/credits?tab=history")
    page.locator("#history-type-filter").click()
    page.get_by_role("option", name="Purchase").click()
    expect(page.locator("#history-empty")).to_be_visible(timeout=UI_TIMEOUT_MS)
    return page


def spend_five(api: ApiClient, user: ApiUser) -> None:
    body = {"wallet": {"type": "user", "id": user.id}, "amount": "5", "category": "other"}
    response = api.service_deduct(body)
    assert response.status_code == 200, response.text


def test_a_browser_session_keeps_its_state_and_moves_to_instance_2_when_instance_1_stops(
    live_cluster: Cluster, api: ApiClient, context: BrowserContext
) -> None:
    user = api.register("failover")
    fund_user(user, "20")
    page = history_filtered_to_purchases_on_instance_one(live_cluster, api, context, user)

    token = page.evaluate("window.sessionStorage.getItem('token')")
    # Reflex deletes the session's socket record in Redis when instance 1 closes the
    # websocket; a reconnect that reached instance 2 before that would be taken for a
    # duplicate tab and get a new token (and a fresh state). So instance 2 takes no new
    # connections until instance 1 has finished stopping, as when an operator drains it.
    live_cluster.haproxy_command("disable server app/app2")
    try:
        live_cluster.instances[0].kill(signal.SIGTERM)
    finally:
        live_cluster.haproxy_command("enable server app/app2")
    spend_five(api, user)

    # The header's refresh runs on instance 2 now, with the session's state from Redis: the
    # filter chosen on instance 1 still applies (a fresh state would list the two entries).
    expect(page.locator("#header-balance")).to_have_text("15", timeout=REFRESH_TIMEOUT_MS * 2)
    expect(page.locator("#history-type-filter")).to_contain_text("Purchase")
    expect(page.locator("#history-empty")).to_be_visible()
    assert page.evaluate("window.sessionStorage.getItem('token')") == token
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"


def test_after_kill_9_of_its_instance_a_browser_session_keeps_its_state_on_instance_2(
    live_cluster: Cluster, api: ApiClient, context: BrowserContext
) -> None:
    """kill -9 leaves the dead worker's socket record for the session's token in Redis; Reflex
    0.10 alone takes the reconnect for a duplicated tab and hands out a new token (a fresh UI
    state). cluster_sessions releases records whose worker stopped beating, so the reconnect
    keeps its token and the filter chosen on instance 1, with no reload and no drain."""
    user = api.register("kill9-browser")
    fund_user(user, "20")
    page = history_filtered_to_purchases_on_instance_one(live_cluster, api, context, user)
    token = page.evaluate("window.sessionStorage.getItem('token')")

    live_cluster.instances[0].kill(signal.SIGKILL)
    spend_five(api, user)

    expect(page.locator("#header-balance")).to_have_text("15", timeout=REFRESH_TIMEOUT_MS * 2)
    expect(page.locator("#credits-balance")).to_have_text("15")
    # A fresh state would show the two entries again: the filter is Redis state of the token.
    expect(page.locator("#history-type-filter")).to_contain_text("Purchase")
    expect(page.locator("#history-empty")).to_be_visible()
    assert page.evaluate("window.sessionStorage.getItem('token')") == token
    assert page.evaluate("window.__noReload === true"), "the page must not have reloaded"


def test_kill_9_of_an_instance_under_load_loses_and_duplicates_no_entry(
    live_cluster: Cluster, api: ApiClient
) -> None:
    user = api.register("kill9")
    fund_user(user, "1000")
    result = spend(
        live_cluster.url,
        user,
        200,
        clients=12,
        chaos=lambda: live_cluster.instances[0].kill(signal.SIGKILL),
        chaos_after=40,
    )
    assert result.unfinished == 0 and result.final == {200: 200}, summary(result)
    assert 500 not in result.seen, summary(result)
    assert_ledger_matches(user, result.transaction_ids)
    assert api.balance(user) == Decimal(800)


def test_postgres_restarted_mid_load_recovers_with_no_500(
    live_cluster: Cluster, api: ApiClient
) -> None:
    user = api.register("pg-restart")
    fund_user(user, "1000")
    result = spend(
        live_cluster.url, user, 150, clients=8, chaos=live_cluster.postgres.restart, chaos_after=30
    )
    assert 500 not in result.seen, summary(result)
    assert result.unfinished == 0 and result.final == {200: 150}, summary(result)
    assert_ledger_matches(user, result.transaction_ids)
    for instance in live_cluster.instances:
        live_cluster.wait_for(instance.ready, f"instance {instance.number} ready again")
    assert api.balance(user) == Decimal(850)


def test_redis_restarted_the_instances_recover_and_new_sessions_work(
    live_cluster: Cluster, api: ApiClient, context: BrowserContext
) -> None:
    user = api.register("redis-restart")
    fund_user(user, "7")
    live_cluster.redis.restart()  # no persistence: every stored Reflex state is gone
    for instance in live_cluster.instances:
        live_cluster.wait_for(instance.ready, f"instance {instance.number} ready again")
    assert api.balance(user) == 7
    sign_in(context, live_cluster.url, user.email)
    page = context.new_page()
    page.goto(f"{live_cluster.url}/credits")
    expect(page.locator("#header-balance")).to_have_text("7", timeout=UI_TIMEOUT_MS)
    expect(page.locator("#credits-balance")).to_have_text(re.compile(r"^7$"))
