"""POST /api/2bot-ai/image, /tts and /stt over real HTTP, the app calling the fake OpenAI server.

`ai_api` is the backend configured with AI_BASE_URL at the fake (models dall-e-3, tts-1 and
whisper-1 by default); `api` has no provider and answers with the local demo models, which make
real PNGs and WAVs. Every charge must equal the rate card; refusals and provider failures must
charge nothing and leave no credits held.
"""

import base64
import io
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image

from credits_app.ai.audio_duration import MAX_AUDIO_SECONDS
from credits_app.ai.media import MAX_UPLOAD_BYTES
from credits_app.credits.ai_credit_service import image_cost_units, stt_cost_units, tts_cost_units
from credits_app.credits.amounts import units_to_credits
from credits_app.credits.wallet_service import WalletOwner
from tests.integration.conftest import AI_TEST_CONCURRENCY_CAP, AI_TEST_TIMEOUT_SECONDS
from tests.support.api_client import (
    ApiClient,
    ApiUser,
    assert_error,
    decoded,
    fund_org,
    fund_user,
    no_cookie_jar,
)
from tests.support.fake_openai import (
    DEFAULT_TRANSCRIPT,
    IMAGES_PATH,
    SPEECH_PATH,
    TRANSCRIPTIONS_PATH,
    FakeOpenAIServer,
    wav_of,
)
from tests.support.wallets import ledger_totals, wallet_state

IMAGE, TTS, STT = "/api/2bot-ai/image", "/api/2bot-ai/tts", "/api/2bot-ai/stt"


def usage_entries(api: ApiClient, user: ApiUser, org_id: int | None = None) -> list[Any]:
    path = "/api/credits/history" if org_id is None else f"/api/orgs/{org_id}/credits/history"
    response = api.http.get(path, params={"type": "usage"}, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[Any] = decoded(response)["items"]
    return items


def assert_nothing_charged(api: ApiClient, user: ApiUser, balance: Decimal) -> None:
    assert api.balance(user) == balance
    assert usage_entries(api, user) == []
    assert wallet_state(WalletOwner.user(user.id)).held == 0
    totals = ledger_totals(WalletOwner.user(user.id))
    assert totals.balance == totals.ledger_sum


def credits(units: int) -> Decimal:
    return units_to_credits(units)


def upload(
    api: ApiClient, user: ApiUser, data: bytes, content_type: str = "audio/wav", **form: str
) -> httpx.Response:
    files = {"file": ("speech.wav", data, content_type)}
    return api.http.post(STT, files=files, data=form, headers=user.headers)


# --- images -----------------------------------------------------------------------------------


def test_an_image_request_charges_size_times_quality_times_n_from_the_rate_card(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("painter")
    fund_user(user, "100")
    body = {"prompt": "A lighthouse at dusk", "size": "1024x1792", "quality": "hd", "n": 2}
    response = ai_api.http.post(IMAGE, json=body, headers=user.headers)
    assert response.status_code == 200, response.text
    result = decoded(response)
    assert set(result) == {"images", "creditsUsed", "newBalance"}
    expected = credits(image_cost_units("dall-e-3", "1024x1792", "hd", 2))
    assert expected == Decimal(24)  # 12 per hd portrait image
    assert Decimal(result["creditsUsed"]) == expected
    assert Decimal(result["newBalance"]) == Decimal(100) - expected == ai_api.balance(user)
    assert len(result["images"]) == 2
    for image in result["images"]:
        assert Image.open(io.BytesIO(base64.b64decode(image["b64Json"]))).format == "PNG"
    [request] = fake_openai.requests
    assert request.path == IMAGES_PATH
    assert request.body == {
        "model": "dall-e-3",
        "prompt": "A lighthouse at dusk",
        "size": "1024x1792",
        "quality": "hd",
        "n": 2,
        "response_format": "b64_json",
    }
    [entry] = usage_entries(ai_api, user)
    assert entry["category"] == "ai_usage" and Decimal(entry["amount"]) == -expected
    assert entry["metadata"]["feature"] == "image" and entry["metadata"]["images"] == 2


def test_images_are_charged_only_for_those_delivered_and_never_for_more_than_asked(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("counter")
    fund_user(user, "100")
    fake_openai.return_images(1)
    response = ai_api.http.post(IMAGE, json={"prompt": "Cats", "n": 3}, headers=user.headers)
    assert response.status_code == 200, response.text
    assert Decimal(decoded(response)["creditsUsed"]) == Decimal(4)  # one standard square
    fake_openai.return_images(5)  # more than asked: the provider's number is not trusted
    response = ai_api.http.post(IMAGE, json={"prompt": "Dogs", "n": 1}, headers=user.headers)
    assert_error(response, 502, "ai_provider_error")
    assert ai_api.balance(user) == Decimal(96)
    assert wallet_state(WalletOwner.user(user.id)).held == 0


def test_an_image_the_wallet_cannot_cover_is_402_with_no_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("broke-painter")
    fund_user(user, "3.9999")
    response = ai_api.http.post(IMAGE, json={"prompt": "Mountains"}, headers=user.headers)
    assert_error(response, 402, "insufficient_credits")
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal("3.9999"))


@pytest.mark.parametrize("failure", ["status-500", "timeout"])
def test_a_provider_failure_on_any_media_feature_charges_nothing(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer, failure: str
) -> None:
    user = ai_api.register("unlucky-media")
    fund_user(user, "50")
    if failure == "timeout":
        fake_openai.delay(AI_TEST_TIMEOUT_SECONDS + 1)
    else:
        fake_openai.fail(500)
    calls = [
        lambda: ai_api.http.post(IMAGE, json={"prompt": "Rain"}, headers=user.headers),
        lambda: ai_api.http.post(TTS, json={"text": "Hello"}, headers=user.headers),
        lambda: upload(ai_api, user, wav_of(2)),
    ]
    for call in calls:
        assert_error(call(), 502, "ai_provider_error")
    assert [r.path for r in fake_openai.requests] == [IMAGES_PATH, SPEECH_PATH, TRANSCRIPTIONS_PATH]
    assert_nothing_charged(ai_api, user, Decimal(50))


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"prompt": ""}, 422, "validation_error"),
        ({"prompt": "x", "size": "512x512"}, 422, "validation_error"),
        ({"prompt": "x", "quality": "ultra"}, 422, "validation_error"),
        ({"prompt": "x", "n": 0}, 422, "validation_error"),
        ({"prompt": "x", "n": 5}, 422, "validation_error"),
        ({"prompt": "   "}, 400, "invalid_argument"),
    ],
    ids=["empty", "size", "quality", "n-0", "n-5", "blank"],
)
def test_bad_image_input_is_refused_without_a_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer, body: dict[str, Any], status: int, code: str
) -> None:
    user = ai_api.register("sloppy-painter")
    fund_user(user, "50")
    assert_error(ai_api.http.post(IMAGE, json=body, headers=user.headers), status, code)
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(50))


# --- text to speech ---------------------------------------------------------------------------


def test_speech_is_charged_per_thousand_characters_and_returns_the_audio(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("speaker")
    fund_user(user, "10")
    text = "Read this aloud. " * 147  # 2,499 characters
    response = ai_api.http.post(TTS, json={"text": text, "voice": "nova"}, headers=user.headers)
    assert response.status_code == 200, response.text
    result = decoded(response)
    expected = credits(tts_cost_units("tts-1", len(text)))
    assert expected == Decimal("3.7485")  # 2,499 x 1.5 / 1,000
    assert (result["characters"], Decimal(result["creditsUsed"])) == (len(text), expected)
    assert Decimal(result["newBalance"]) == Decimal(10) - expected
    assert result["audio"]["contentType"] == "audio/wav"
    assert base64.b64decode(result["audio"]["base64"])[:4] == b"RIFF"
    [request] = fake_openai.requests
    assert request.body == {
        "model": "tts-1",
        "input": text,
        "voice": "nova",
        "response_format": "wav",
    }
    [entry] = usage_entries(ai_api, user)
    assert entry["metadata"] == {"model": "tts-1", "feature": "tts", "characters": len(text)}


def test_speech_the_wallet_cannot_cover_is_402_with_no_provider_request(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("quiet")
    fund_user(user, "0.0014")  # 1 character costs 0.0015
    assert_error(
        ai_api.http.post(TTS, json={"text": "A"}, headers=user.headers), 402, "insufficient_credits"
    )
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal("0.0014"))


# --- speech to text ---------------------------------------------------------------------------


def test_a_transcript_is_charged_for_the_duration_the_server_measured(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("listener")
    fund_user(user, "10")
    recording = wav_of(90)  # 1.5 minutes
    response = upload(ai_api, user, recording, durationSeconds="1")  # a client claim: ignored
    assert response.status_code == 200, response.text
    result = decoded(response)
    assert result["text"] == DEFAULT_TRANSCRIPT
    assert Decimal(result["durationSeconds"]) == Decimal(90)
    expected = credits(stt_cost_units("whisper-1", 90))
    assert expected == Decimal("0.9") == Decimal(result["creditsUsed"])
    assert Decimal(result["newBalance"]) == Decimal(10) - expected
    [request] = fake_openai.requests
    assert request.path == TRANSCRIPTIONS_PATH
    assert request.body["model"] == "whisper-1"
    assert request.body["file"] == ("speech.wav", "audio/wav", recording)
    [entry] = usage_entries(ai_api, user)
    assert entry["metadata"]["feature"] == "stt"
    assert entry["metadata"]["durationSeconds"] == "90"


@pytest.mark.parametrize(
    ("data", "content_type", "status", "code"),
    [
        (b"definitely not audio", "audio/wav", 400, "invalid_audio"),
        (wav_of(3)[:3000], "audio/wav", 400, "invalid_audio"),  # header promises 3 s
        (b"ID3" + bytes(500), "audio/mpeg", 400, "invalid_audio"),
        (b"OggS" + bytes(500), "audio/ogg", 400, "invalid_audio"),
        (wav_of(0), "audio/wav", 400, "invalid_audio"),
        (wav_of(MAX_AUDIO_SECONDS + 1, rate=100), "audio/wav", 400, "invalid_audio"),
        (wav_of(1), "text/plain", 415, "unsupported_audio_type"),
    ],
    ids=["garbage", "truncated-wav", "corrupt-mp3", "corrupt-ogg", "empty", "too-long", "type"],
)
def test_unreadable_or_unaccepted_audio_is_refused_before_anything_is_held(
    ai_api: ApiClient,
    fake_openai: FakeOpenAIServer,
    data: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    user = ai_api.register("garbled")
    fund_user(user, "10")
    assert_error(upload(ai_api, user, data, content_type), status, code)
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(10))


def test_an_upload_past_the_size_limit_is_413_and_a_request_without_a_file_400(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("hoarder")
    fund_user(user, "10")
    assert_error(upload(ai_api, user, bytes(MAX_UPLOAD_BYTES + 1)), 413, "payload_too_large")
    response = ai_api.http.post(
        STT, data={"orgId": "1"}, files={"other": ("a", b"x")}, headers=user.headers
    )
    assert_error(response, 400, "invalid_argument")
    assert_error(
        ai_api.http.post(STT, json={"file": "x"}, headers=user.headers),
        415,
        "unsupported_media_type",
    )
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(10))


# --- org wallets, reports ---------------------------------------------------------------------


def test_media_on_an_org_wallet_charge_the_org_and_show_in_the_reports(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    owner = ai_api.register("media-owner")
    member = ai_api.register("media-member")
    org = ai_api.create_org(owner, "Studio")
    ai_api.add_member(owner, org["id"], member, "member")
    fund_org(org["id"], "100")
    headers = member.headers
    assert (
        ai_api.http.post(
            IMAGE, json={"prompt": "Logo", "orgId": org["id"]}, headers=headers
        ).status_code
        == 200
    )
    assert (
        ai_api.http.post(
            TTS, json={"text": "x" * 1000, "orgId": org["id"]}, headers=headers
        ).status_code
        == 200
    )
    assert upload(ai_api, member, wav_of(30), orgId=str(org["id"])).status_code == 200
    assert ai_api.balance(member) == 0
    spent = Decimal(4) + Decimal("1.5") + Decimal("0.3")
    assert ai_api.balance(member, org_id=org["id"]) == Decimal(100) - spent
    usage = decoded(
        ai_api.http.get(f"/api/orgs/{org['id']}/credits/usage", params={"days": 1}, headers=headers)
    )
    assert {k: Decimal(v) for k, v in usage["ai"]["byFeature"].items()} == {
        "chat": 0,
        "image": 4,
        "tts": Decimal("1.5"),
        "stt": Decimal("0.3"),
    }
    assert {k: Decimal(v) for k, v in usage["ai"]["byModel"].items()} == {
        "dall-e-3": 4,
        "tts-1": Decimal("1.5"),
        "whisper-1": Decimal("0.3"),
    }
    outsider = ai_api.register("media-outsider")
    fund_user(outsider, "100")
    refused = ai_api.http.post(
        IMAGE, json={"prompt": "x", "orgId": org["id"]}, headers=outsider.headers
    )
    assert_error(refused, 404, "org_not_found")
    assert len(fake_openai.requests) == 3


def test_the_tokens_widget_counts_media_credits(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("tokens-media")
    fund_user(user, "20")
    assert ai_api.http.post(IMAGE, json={"prompt": "Sun"}, headers=user.headers).status_code == 200
    assert ai_api.http.post(TTS, json={"text": "y" * 2000}, headers=user.headers).status_code == 200
    tokens = decoded(ai_api.http.get("/api/credits/tokens", headers=user.headers))
    assert Decimal(tokens["creditsUsed"]) == Decimal(7)  # 4 + 3
    assert tokens["totalTokens"] == 0  # media are not token-priced
    assert Decimal(tokens["balance"]) == Decimal(13)
    assert Decimal(tokens["percentUsed"]) == Decimal("35.00")  # 7 / (7 + 13)


# --- the demo provider (the shared app has no AI_BASE_URL) ------------------------------------


def test_the_demo_models_draw_speak_and_transcribe_for_real(api: ApiClient) -> None:
    user = api.register("demo-media")
    fund_user(user, "20")
    response = api.http.post(
        IMAGE, json={"prompt": "A red fox", "size": "1792x1024"}, headers=user.headers
    )
    assert response.status_code == 200, response.text
    [image] = decoded(response)["images"]
    picture = Image.open(io.BytesIO(base64.b64decode(image["b64Json"])))
    assert (picture.format, picture.size) == ("PNG", (1792, 1024))
    assert Decimal(decoded(response)["creditsUsed"]) == Decimal(8)
    speech = decoded(api.http.post(TTS, json={"text": "Hello from the demo"}, headers=user.headers))
    audio = base64.b64decode(speech["audio"]["base64"])
    transcript = decoded(upload(api, user, audio))
    assert 0 < Decimal(transcript["durationSeconds"]) <= 6
    assert "demo" in transcript["text"]
    assert Decimal(transcript["creditsUsed"]) > 0


# --- concurrency ------------------------------------------------------------------------------

CONCURRENT = 20
AFFORDABLE = 10


def race(ai_api: ApiClient, count: int, send: Any) -> list[httpx.Response]:
    """`count` requests released at once, each on its own connection."""
    barrier = threading.Barrier(count)
    responses: list[httpx.Response] = []

    def one() -> None:
        with httpx.Client(
            base_url=str(ai_api.http.base_url), timeout=60, cookies=no_cookie_jar()
        ) as http:
            barrier.wait()
            responses.append(send(http))

    threads = [threading.Thread(target=one) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return responses


@pytest.mark.postgres
def test_twenty_concurrent_images_on_a_wallet_for_ten_charge_exactly_ten(
    postgres_url: str, ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("image-racer")
    fund_user(user, str(4 * AFFORDABLE))
    fake_openai.delay(0.3)  # the admitted ones are all in flight while the rest arrive
    responses = race(
        ai_api,
        CONCURRENT,
        lambda http: http.post(IMAGE, json={"prompt": "Race"}, headers=user.headers),
    )
    assert Counter(r.status_code for r in responses) == {
        200: AFFORDABLE,
        402: CONCURRENT - AFFORDABLE,
    }
    assert len(fake_openai.requests) == AFFORDABLE
    owner = WalletOwner.user(user.id)
    totals = ledger_totals(owner)
    assert totals.balance == totals.ledger_sum == 0
    assert totals.entry_count == 1 + AFFORDABLE
    assert wallet_state(owner).held == 0


def test_above_the_per_user_cap_a_request_is_429_with_retry_after(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    user = ai_api.register("greedy")
    fund_user(user, "1000")
    fake_openai.delay(1.0)
    count = AI_TEST_CONCURRENCY_CAP + 1
    responses = race(
        ai_api, count, lambda http: http.post(TTS, json={"text": "Hi"}, headers=user.headers)
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: AI_TEST_CONCURRENCY_CAP, 429: 1}
    [refused] = [r for r in responses if r.status_code == 429]
    assert refused.json()["error"]["code"] == "too_many_ai_requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert len(fake_openai.requests) == AI_TEST_CONCURRENCY_CAP
    other = ai_api.register("patient-neighbour")  # the cap is per user
    fund_user(other, "10")
    assert ai_api.http.post(TTS, json={"text": "Hi"}, headers=other.headers).status_code == 200


def test_org_ids_are_plain_integers_in_media_bodies_and_ascii_digits_in_the_upload_form(
    ai_api: ApiClient, fake_openai: FakeOpenAIServer
) -> None:
    """Issue 11, finding 4: `"orgId": true` meant org 1, and the form's "\u0663" (Arabic-Indic
    three) passed `str.isdigit`, so it named org 3."""
    user = ai_api.register("loose")
    fund_user(user, "10")
    for path, body in ((IMAGE, {"prompt": "x"}), (TTS, {"text": "hello"})):
        for org_id in (True, "1", 1.0):
            refused = ai_api.http.post(path, json=body | {"orgId": org_id}, headers=user.headers)
            assert_error(refused, 422, "validation_error")
    for org_id in ("\u0663", "\uff11", "1_0", "+1", " 1"):
        refused = upload(ai_api, user, wav_of(1), orgId=org_id)
        assert_error(refused, 400, "invalid_argument")
    assert fake_openai.requests == []
    assert_nothing_charged(ai_api, user, Decimal(10))
