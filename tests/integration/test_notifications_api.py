"""The notification and webhook-endpoint routes of §4b over HTTP against the running app."""

from tests.support.api_client import ApiClient, assert_error, fund_user


def test_a_spend_across_low_appears_in_notifications_and_can_be_read(api: ApiClient) -> None:
    user = api.register()
    fund_user(user, "50")
    patched = api.http.patch(
        "/api/credits/settings", json={"lowThreshold": 40}, headers=user.headers
    )
    assert patched.status_code == 200, patched.text
    spent = api.service_deduct(
        {"wallet": {"type": "user", "id": user.id}, "amount": 20, "category": "marketplace"},
        idempotency_key=f"notify-{user.id}",
    )
    assert spent.status_code == 200, spent.text
    listed = api.http.get("/api/notifications", headers=user.headers).json()
    assert listed["unreadCount"] == 1 and listed["nextCursor"] is None
    [item] = listed["items"]
    assert item["kind"] == "balance.low" and item["readAt"] is None
    assert item["wallet"] == {"type": "user", "id": user.id}
    assert set(item) == {"id", "kind", "title", "body", "wallet", "createdAt", "readAt"}
    read = api.http.post(f"/api/notifications/{item['id']}/read", headers=user.headers)
    assert read.status_code == 204
    assert api.http.get("/api/notifications", headers=user.headers).json()["unreadCount"] == 0
    assert api.http.post("/api/notifications/read-all", headers=user.headers).status_code == 204
    stranger = api.register("stranger")
    assert_error(
        api.http.post(f"/api/notifications/{item['id']}/read", headers=stranger.headers),
        404,
        "notification_not_found",
    )
    assert_error(api.http.get("/api/notifications"), 401, "not_authenticated")


def test_webhook_endpoints_show_the_secret_once_and_refuse_private_urls(api: ApiClient) -> None:
    user = api.register()
    refused = api.http.post(
        "/api/webhook-endpoints",
        json={"url": "https://127.0.0.1/hook", "events": ["balance.low"]},
        headers=user.headers,
    )
    assert_error(refused, 400, "invalid_webhook_url")
    assert_error(
        api.http.post(
            "/api/webhook-endpoints",
            json={"url": "https://93.184.215.14/hook", "events": ["no.such"]},
            headers=user.headers,
        ),
        422,
        "validation_error",
    )
    created = api.http.post(
        "/api/webhook-endpoints",
        json={"url": "https://93.184.215.14/hook", "events": ["balance.low", "balance.low"]},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["balance.low"]
    listed = api.http.get("/api/webhook-endpoints", headers=user.headers).json()["items"]
    assert [e["id"] for e in listed] == [body["id"]] and "secret" not in listed[0]
    log = api.http.get(f"/api/webhook-endpoints/{body['id']}/deliveries", headers=user.headers)
    assert log.json() == {"items": []}
    tested = api.http.post(f"/api/webhook-endpoints/{body['id']}/test", headers=user.headers)
    assert tested.status_code == 202, tested.text
    [queued] = api.http.get(
        f"/api/webhook-endpoints/{body['id']}/deliveries", headers=user.headers
    ).json()["items"]
    assert queued["id"] == tested.json()["deliveryId"]
    assert (queued["eventType"], queued["status"], queued["attempts"]) == (
        "webhook.test",
        "pending",
        0,
    )
    assert set(queued) == {
        "id",
        "eventType",
        "status",
        "attempts",
        "lastStatusCode",
        "nextAttemptAt",
        "createdAt",
    }
    other = api.register("other")
    assert_error(
        api.http.delete(f"/api/webhook-endpoints/{body['id']}", headers=other.headers),
        404,
        "webhook_endpoint_not_found",
    )
    deleted = api.http.delete(f"/api/webhook-endpoints/{body['id']}", headers=user.headers)
    assert deleted.status_code == 204
    assert api.http.get("/api/webhook-endpoints", headers=user.headers).json() == {"items": []}


def test_org_webhook_endpoints_are_for_owners_and_admins(api: ApiClient) -> None:
    owner, member, outsider = api.register("owner"), api.register("member"), api.register("out")
    org = api.create_org(owner)
    api.add_member(owner, org["id"], member, "member")
    path = f"/api/orgs/{org['id']}/webhook-endpoints"
    body = {"url": "https://93.184.215.14/org-hook", "events": ["purchase.completed"]}
    assert_error(api.http.post(path, json=body, headers=member.headers), 403, "forbidden")
    assert_error(api.http.get(path, headers=outsider.headers), 404, "org_not_found")
    created = api.http.post(path, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    assert [e["url"] for e in api.http.get(path, headers=owner.headers).json()["items"]] == [
        body["url"]
    ]


def test_email_settings_can_be_read_and_changed(api: ApiClient) -> None:
    user = api.register()
    initial = api.http.get("/api/notifications/email-settings", headers=user.headers).json()
    assert initial["enabled"] is True and "balance.low" in initial["events"]
    changed = api.http.put(
        "/api/notifications/email-settings",
        json={"enabled": False, "events": ["purchase.completed"]},
        headers=user.headers,
    )
    assert changed.json() == {"enabled": False, "events": ["purchase.completed"]}
    assert_error(
        api.http.get("/api/notifications/unsubscribe", params={"token": "nope"}),
        404,
        "invalid_unsubscribe_token",
    )


def test_ids_in_paths_are_plain_ascii_digits(api: ApiClient) -> None:
    user = api.register()
    for path in ("/api/notifications/0_1/read", "/api/notifications/+1/read"):
        assert_error(api.http.post(path, headers=user.headers), 422, "validation_error")
    assert_error(
        api.http.delete("/api/webhook-endpoints/0_1", headers=user.headers), 422, "validation_error"
    )
