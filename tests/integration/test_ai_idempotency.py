"""2Bot AI requests with an `Idempotency-Key` (DESIGN §4b): a retry is answered from the first
request's answer, asks the model nothing and charges nothing more; a different request with
the key is a 409; a failed request gives its key back; racing copies charge once.

Over HTTP against the app that calls the fake OpenAI server (which records every request).
"""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx

from tests.support.api_client import ApiClient, ApiUser, assert_error, decoded, fund_user
from tests.support.fake_openai import FakeOpenAIServer, wav_of

IMAGE, TTS, STT, CHAT = (
    "/api/2bot-ai/image",
    "/api/2bot-ai/tts",
    "/api/2bot-ai/stt",
    "/api/2bot-ai/chat",
)


def keyed(user: ApiUser, key: str) -> dict[str, str]:
    return dict(user.headers) | {"Idempotency-Key": key}


def usage_count(api: ApiClient, user: ApiUser) -> int:
    response = api.http.get("/api/credits/history", params={"type": "usage"}, headers=user.headers)
    return len(decoded(response)["items"])


def test_a_replayed_image_request_returns_the_same_images_and_charges_once(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("replay-image")
    fund_user(user, "100")
    body = {"prompt": "A red kite", "n": 1}

    first = ai_api.http.post(IMAGE, json=body, headers=keyed(user, "img-1"))
    again = ai_api.http.post(IMAGE, json=body, headers=keyed(user, "img-1"))

    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert decoded(again) == decoded(first)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert len(fake_openai.requests) == 1
    assert usage_count(ai_api, user) == 1
    assert ai_api.balance(user) == Decimal(100) - Decimal(decoded(first)["creditsUsed"])


def test_speech_chat_and_transcripts_replay_their_first_answer(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("replay-all")
    fund_user(user, "100")
    audio = wav_of(3.0)

    def transcribe(key: str) -> httpx.Response:
        files = {"file": ("speech.wav", audio, "audio/wav")}
        return ai_api.http.post(STT, files=files, headers=keyed(user, key))

    requests: list[Any] = [
        lambda: ai_api.http.post(TTS, json={"text": "Hello there"}, headers=keyed(user, "tts-1")),
        lambda: ai_api.http.post(
            CHAT,
            json={"messages": [{"role": "user", "content": "Hi"}]},
            headers=keyed(user, "chat-1"),
        ),
        lambda: transcribe("stt-1"),
    ]
    for send in requests:
        first, again = send(), send()
        assert first.status_code == again.status_code == 200, (first.text, again.text)
        assert decoded(again) == decoded(first)
    assert len(fake_openai.requests) == 3
    assert usage_count(ai_api, user) == 3


def test_the_same_key_on_another_prompt_or_feature_is_a_409_and_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("conflict-ai")
    fund_user(user, "100")
    assert ai_api.http.post(IMAGE, json={"prompt": "Sea"}, headers=keyed(user, "k")).is_success
    balance = ai_api.balance(user)

    other_prompt = ai_api.http.post(IMAGE, json={"prompt": "Sky"}, headers=keyed(user, "k"))
    other_feature = ai_api.http.post(TTS, json={"text": "Sea"}, headers=keyed(user, "k"))

    assert_error(other_prompt, 409, "idempotency_conflict")
    assert_error(other_feature, 409, "idempotency_conflict")
    assert len(fake_openai.requests) == 1
    assert ai_api.balance(user) == balance


def test_a_request_that_failed_charged_nothing_and_its_key_runs_again(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("retry-ai")
    fund_user(user, "100")
    fake_openai.fail(500)
    failed = ai_api.http.post(TTS, json={"text": "Again"}, headers=keyed(user, "tts-retry"))
    assert_error(failed, 502, "ai_provider_error")
    assert ai_api.balance(user) == Decimal(100)

    fake_openai.reset()
    retried = ai_api.http.post(TTS, json={"text": "Again"}, headers=keyed(user, "tts-retry"))
    assert retried.status_code == 200, retried.text
    assert "Idempotent-Replayed" not in retried.headers
    assert usage_count(ai_api, user) == 1


def test_keys_belong_to_their_user(ai_api: ApiClient, fake_openai: FakeOpenAIServer) -> None:
    alice, bob = ai_api.register("alice-ai"), ai_api.register("bob-ai")
    for user in (alice, bob):
        fund_user(user, "10")
        response = ai_api.http.post(TTS, json={"text": "Mine"}, headers=keyed(user, "shared"))
        assert response.status_code == 200, response.text
        assert "Idempotent-Replayed" not in response.headers
    assert len(fake_openai.requests) == 2


def test_racing_copies_of_one_keyed_request_ask_the_model_once_and_charge_once(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    """Each copy is answered with the one answer or told the first is still running."""
    user = ai_api.register("racer-ai")
    fund_user(user, "100")
    fake_openai.delay(0.5)  # the first copy is still with the provider while the others land

    def attempt(_: int) -> httpx.Response:
        with httpx.Client(base_url=str(ai_api.http.base_url), timeout=30) as client:
            return client.post(TTS, json={"text": "Race"}, headers=keyed(user, "tts-race"))

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(attempt, range(6)))

    assert len(fake_openai.requests) == 1
    assert usage_count(ai_api, user) == 1
    bodies = [decoded(a) for a in answers if a.status_code == 200]
    assert bodies and all(body == bodies[0] for body in bodies)
    for answer in answers:
        if answer.status_code != 200:
            assert_error(answer, 409, "idempotency_key_in_use")


def test_a_key_on_a_streamed_turn_is_a_400_and_asks_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("stream-key")
    fund_user(user, "10")
    body = {"messages": [{"role": "user", "content": "Hi"}], "stream": True}
    response = ai_api.http.post(CHAT, json=body, headers=keyed(user, "stream-1"))
    assert_error(response, 400, "invalid_argument")
    assert fake_openai.requests == []
    assert ai_api.balance(user) == Decimal(10)
