"""GET/DELETE /api/2bot-ai/conversations over real HTTP: the stored history, its owner only.

Conversations are written by the widget through `ai.conversations`; the test stores them the
same way and reads them back over the REST door: per wallet context, paged by cursor, other
users and outsiders 404, nothing of anyone else's changed by a refused request.
"""

from decimal import Decimal

from credits_app.ai.conversations import StoredMessage, append_messages, start_conversation
from credits_app.credits.owners import WalletOwner
from tests.support.api_client import ApiClient, ApiUser, assert_error, decoded

LIST = "/api/2bot-ai/conversations"
QUESTION = StoredMessage("user", "text", "How do holds work?", "", "")
ANSWER = StoredMessage("assistant", "text", "They reserve the worst case.", "Demo model", "1,234.5")


def stored(user: ApiUser, owner: WalletOwner, title: str = "How do holds work?") -> int:
    conversation_id = start_conversation(user.id, owner, title)
    append_messages(user.id, conversation_id, [QUESTION, ANSWER])
    return conversation_id


def test_the_owner_lists_reads_and_deletes_a_conversation(api: ApiClient) -> None:
    user = api.register("talker")
    conversation_id = stored(user, WalletOwner.user(user.id))
    listed = api.http.get(LIST, headers=user.headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    [item] = body["items"]
    assert body["nextCursor"] is None
    assert item["id"] == conversation_id and item["title"] == "How do holds work?"
    assert item["wallet"] == {"type": "user", "id": user.id} and item["messageCount"] == 2
    assert {"createdAt", "updatedAt"} <= item.keys()

    read = api.http.get(f"{LIST}/{conversation_id}", headers=user.headers)
    assert read.status_code == 200, read.text
    conversation = decoded(read)
    assert conversation["wallet"] == {"type": "user", "id": user.id}
    assert [(m["role"], m["kind"], m["content"]) for m in conversation["messages"]] == [
        ("user", "text", "How do holds work?"),
        ("assistant", "text", "They reserve the worst case."),
    ]
    assert [m["creditsUsed"] for m in conversation["messages"]] == [None, Decimal("1234.5")]
    assert conversation["messages"][1]["model"] == "Demo model"

    deleted = api.http.delete(f"{LIST}/{conversation_id}", headers=user.headers)
    assert deleted.status_code == 204, deleted.text
    assert_error(
        api.http.get(f"{LIST}/{conversation_id}", headers=user.headers),
        404,
        "conversation_not_found",
    )
    assert api.http.get(LIST, headers=user.headers).json()["items"] == []


def test_another_user_gets_404_and_changes_nothing(api: ApiClient) -> None:
    owner, other = api.register("owner"), api.register("snoop")
    conversation_id = stored(owner, WalletOwner.user(owner.id))
    for response in (
        api.http.get(f"{LIST}/{conversation_id}", headers=other.headers),
        api.http.delete(f"{LIST}/{conversation_id}", headers=other.headers),
    ):
        assert_error(response, 404, "conversation_not_found")
    assert api.http.get(LIST, headers=other.headers).json()["items"] == []
    still = api.http.get(f"{LIST}/{conversation_id}", headers=owner.headers)
    assert still.status_code == 200 and len(still.json()["messages"]) == 2


def test_an_org_context_lists_only_its_own_conversations_and_outsiders_get_404(
    api: ApiClient,
) -> None:
    boss, member, outsider = api.register("boss"), api.register("member"), api.register("out")
    org_id = api.create_org(boss, "Studio")["id"]
    api.add_member(boss, org_id, member, "member")
    personal = stored(member, WalletOwner.user(member.id), "personal")
    in_org = stored(member, WalletOwner.org(org_id), "in the org")
    boss_own = stored(boss, WalletOwner.org(org_id), "the boss's")

    org_list = api.http.get(LIST, params={"orgId": org_id}, headers=member.headers).json()
    assert [i["id"] for i in org_list["items"]] == [in_org]
    assert org_list["items"][0]["wallet"] == {"type": "org", "id": org_id}
    own_list = api.http.get(LIST, headers=member.headers).json()
    assert [i["id"] for i in own_list["items"]] == [personal]
    assert_error(
        api.http.get(f"{LIST}/{boss_own}", headers=member.headers), 404, "conversation_not_found"
    )
    assert_error(
        api.http.get(LIST, params={"orgId": org_id}, headers=outsider.headers), 404, "org_not_found"
    )
    assert_error(
        api.http.get(LIST, params={"orgId": 2**31 - 1}, headers=boss.headers), 404, "org_not_found"
    )


def test_pages_follow_the_cursor_most_recently_used_first(api: ApiClient) -> None:
    user = api.register("pager")
    owner = WalletOwner.user(user.id)
    ids = [stored(user, owner, f"topic {n}") for n in range(5)]
    seen: list[int] = []
    cursor = None
    for _ in range(5):
        params: dict[str, str | int] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.http.get(LIST, params=params, headers=user.headers)
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["nextCursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]


def test_bad_input_is_a_clear_4xx(api: ApiClient) -> None:
    user = api.register("clumsy")
    assert_error(
        api.http.get(LIST, params={"cursor": "garbage"}, headers=user.headers),
        400,
        "invalid_cursor",
    )
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"orgId": 0}, {"orgId": "x"}):
        response = api.http.get(LIST, params=params, headers=user.headers)
        assert response.status_code in (400, 422), (params, response.text)
    for path in (f"{LIST}/0", f"{LIST}/abc", f"{LIST}/{2**63}"):
        assert api.http.get(path, headers=user.headers).status_code in (400, 404, 422), path
    assert api.http.get(LIST).status_code == 401
    assert api.http.delete(f"{LIST}/1").status_code == 401


def test_the_conversation_routes_are_in_the_openapi_document(api: ApiClient) -> None:
    paths = api.http.get("/api/openapi.json").json()["paths"]
    assert {"get"} <= paths[LIST].keys()
    assert {"get", "delete"} <= paths[LIST + "/{conversationId}"].keys()
