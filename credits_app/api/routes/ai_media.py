"""POST /api/2bot-ai/image, /tts and /stt: credited images, speech and transcripts (DESIGN §4b).

Thin doors onto `credits_app.ai.media`: the price is held before the provider is called and
settled after, 402 when short, 429 above the per-user cap, 502 (nothing charged) when the
provider fails. The STT upload is read here with a byte limit (413 past it) and parsed as
multipart; the audio's duration is measured by the service, never taken from the client.
With an `Idempotency-Key` a retry gets the first answer back and is charged nothing more
(`api/ai_replay.py`).
"""

import base64
import hashlib
from collections.abc import AsyncGenerator
from typing import Any, Literal

from fastapi import Request, Response
from pydantic import Field
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser

from credits_app.ai.media import (
    MAX_IMAGES,
    MAX_PROMPT_CHARS,
    MAX_SPEECH_CHARS,
    MAX_UPLOAD_BYTES,
    VOICES,
    generate_image,
    speech_to_text,
    text_to_speech,
)
from credits_app.api.ai_replay import answer_once
from credits_app.api.deps import CurrentUser, IdempotencyKey
from credits_app.api.encoding import respond
from credits_app.api.responses import api_router
from credits_app.api.schemas import Body, Credits
from credits_app.credits.errors import InvalidArgument

router = api_router("2bot-ai")
MULTIPART_OVERHEAD_BYTES = 16 * 1024
ORG_ID_MAX = 2**31 - 1


class ImageIn(Body):
    prompt: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    size: Literal["1024x1024", "1024x1792", "1792x1024"] = "1024x1024"
    quality: Literal["standard", "hd"] = "standard"
    n: int = Field(default=1, ge=1, le=MAX_IMAGES)
    org_id: int | None = Field(default=None, ge=1, le=ORG_ID_MAX)


class ImageOut(Body):
    b64_json: str


class ImagesOut(Body):
    images: list[ImageOut]
    credits_used: Credits
    new_balance: Credits


class SpeechIn(Body):
    text: str = Field(min_length=1, max_length=MAX_SPEECH_CHARS)
    voice: str = Field(default="alloy", json_schema_extra={"enum": list(VOICES)})
    org_id: int | None = Field(default=None, ge=1, le=ORG_ID_MAX)


class AudioOut(Body):
    content_type: str
    base64: str


class SpeechOut(Body):
    audio: AudioOut
    characters: int
    credits_used: Credits
    new_balance: Credits


class TranscriptOut(Body):
    text: str
    duration_seconds: Credits
    credits_used: Credits
    new_balance: Credits


@router.post("/2bot-ai/image", response_model=ImagesOut)
async def image(
    body: ImageIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """Images from the prompt, priced by size and quality per image times n."""

    async def produce() -> Response:
        result = await generate_image(
            user.id,
            body.prompt,
            size=body.size,
            quality=body.quality,
            count=body.n,
            org_id=body.org_id,
        )
        images = [ImageOut(b64_json=base64.b64encode(png).decode()) for png in result.images]
        return respond(
            ImagesOut(
                images=images, credits_used=result.credits_used, new_balance=result.new_balance
            )
        )

    return await answer_once(user.id, idempotency_key, "image", body.model_dump(), produce)


@router.post("/2bot-ai/tts", response_model=SpeechOut)
async def tts(
    body: SpeechIn, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """The text read aloud, priced per 1,000 characters."""

    async def produce() -> Response:
        result = await text_to_speech(user.id, body.text, voice=body.voice, org_id=body.org_id)
        audio = AudioOut(
            content_type=result.audio.content_type,
            base64=base64.b64encode(result.audio.data).decode(),
        )
        return respond(
            SpeechOut(
                audio=audio,
                characters=result.characters,
                credits_used=result.credits_used,
                new_balance=result.new_balance,
            )
        )

    return await answer_once(user.id, idempotency_key, "tts", body.model_dump(), produce)


UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "orgId": {"type": "integer", "minimum": 1, "maximum": ORG_ID_MAX},
                    },
                }
            }
        },
    }
}


@router.post("/2bot-ai/stt", response_model=TranscriptOut, openapi_extra=UPLOAD_DOC)
async def stt(
    request: Request, user: CurrentUser, idempotency_key: IdempotencyKey = None
) -> Response:
    """The transcript of an uploaded recording, priced per minute the server measured."""
    upload, org_id = await _read_upload(request)
    data = await upload.read()
    filename, content_type = upload.filename or "audio", upload.content_type or ""

    async def produce() -> Response:
        result = await speech_to_text(
            user.id, data, filename=filename, content_type=content_type, org_id=org_id
        )
        return respond(
            TranscriptOut(
                text=result.text,
                duration_seconds=result.duration_seconds,
                credits_used=result.credits_used,
                new_balance=result.new_balance,
            )
        )

    asked = [hashlib.sha256(data).hexdigest(), filename, content_type, org_id]
    return await answer_once(user.id, idempotency_key, "stt", asked, produce)


async def _read_upload(request: Request) -> tuple[UploadFile, int | None]:
    """The `file` part and the optional `orgId` field, from at most MAX_UPLOAD_BYTES of body."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise HTTPException(415, "Send the audio as multipart/form-data with a 'file' part.")
    limit = MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large()

    async def limited() -> AsyncGenerator[bytes, None]:
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise _too_large()
            yield chunk

    try:
        form = await MultiPartParser(request.headers, limited(), max_files=1, max_fields=2).parse()
    except MultiPartException as error:
        raise InvalidArgument(f"The upload cannot be read: {error.message}", field="file") from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidArgument("Attach the recording as the 'file' part.", field="file")
    return upload, _org_id(form.get("orgId"))


def _too_large() -> HTTPException:
    """413 closing the connection, so the unread rest of the upload is not taken as a request."""
    message = f"Uploads may be at most {MAX_UPLOAD_BYTES} bytes."
    return HTTPException(413, message, {"Connection": "close"})


def _org_id(value: object) -> int | None:
    if value is None or value == "":
        return None
    # isascii too: str.isdigit is also true for "\u0663" or "\uff11", which int() reads as 3, 1.
    if (
        isinstance(value, str)
        and value.isascii()
        and value.isdigit()
        and 1 <= int(value) <= ORG_ID_MAX
    ):
        return int(value)
    raise InvalidArgument(f"orgId must be a whole number from 1 to {ORG_ID_MAX}.", field="orgId")
