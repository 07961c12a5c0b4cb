"""Any OpenAI-compatible server over HTTP: chat (plain and streamed), images, speech, transcription.

OpenAI, vLLM, Ollama or a llama.cpp server all speak these paths under `AI_BASE_URL`:
`chat/completions` (usage reported, `stream: true` as Server-Sent Events), `images/generations`
(`b64_json`), `audio/speech` (the audio bytes) and `audio/transcriptions` (multipart upload).

Every call goes through one `httpx.AsyncClient` per event loop (connections are reused; a
client cannot cross loops) with a connect timeout of at most `CONNECT_TIMEOUT_SECONDS` and a
read timeout of `AI_TIMEOUT_SECONDS`, so a hung provider fails fast and charges nothing.
Anything the provider reports is checked before it can reach the ledger.
"""

import asyncio
import base64
import binascii
import json
import weakref
from collections.abc import AsyncIterator
from typing import Any

import httpx

from credits_app.ai.provider_types import (
    ChatCompletion,
    ChatMessage,
    ImageRequest,
    ProviderError,
    SpeechAudio,
    StreamChunk,
    is_token_count,
)

CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = 60.0
MAX_AUDIO_BYTES = 25 * 1024 * 1024  # what we accept back from audio/speech
SSE_DATA = "data:"


class OpenAICompatibleProvider:
    """Bearer key, strict timeouts, clear errors; `timeout_seconds` bounds each read."""

    def __init__(
        self, base_url: str, api_key: str | None, timeout_seconds: float = READ_TIMEOUT_SECONDS
    ) -> None:
        if not timeout_seconds > 0:
            raise ValueError("timeout_seconds must be positive")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout_seconds = timeout_seconds
        self._clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient]
        self._clients = weakref.WeakKeyDictionary()

    # --- chat -------------------------------------------------------------------------------

    async def complete(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> ChatCompletion:
        response = await self._post(
            "chat/completions", json=_chat_body(messages, model, max_tokens)
        )
        return _parse_completion(response, model)

    async def stream(
        self, messages: list[ChatMessage], model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        """The reply as it is produced. Leaving the loop early closes the connection, which is
        how an OpenAI-compatible server learns to stop generating (the client went away)."""
        body = _chat_body(messages, model, max_tokens) | {
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        try:
            async with self._client().stream(
                "POST", self._url("chat/completions"), json=body, headers=self._headers()
            ) as response:
                if response.status_code != 200:
                    await response.aread()
                    raise _status_error(response)
                async for line in response.aiter_lines():
                    chunk = _parse_stream_line(line)
                    if chunk is None:
                        continue
                    if chunk is _DONE:
                        return
                    yield chunk
        except httpx.TimeoutException:
            raise ProviderError("The AI provider timed out.") from None
        except httpx.HTTPError as error:
            raise ProviderError(f"The AI provider is unreachable ({error}).") from None

    # --- media ------------------------------------------------------------------------------

    async def generate_images(self, request: ImageRequest) -> list[bytes]:
        body = {
            "model": request.model,
            "prompt": request.prompt,
            "size": request.size,
            "quality": request.quality,
            "n": request.count,
            "response_format": "b64_json",
        }
        response = await self._post("images/generations", json=body)
        try:
            items = response.json()["data"]
            images = [base64.b64decode(item["b64_json"], validate=True) for item in items]
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise ProviderError("The AI provider sent images we cannot read.") from None
        if not 0 < len(images) <= request.count or not all(images):
            raise ProviderError(
                f"The AI provider sent {len(images)} images for {request.count} asked."
            )
        return images

    async def speak(self, text: str, model: str, voice: str) -> SpeechAudio:
        body = {"model": model, "input": text, "voice": voice, "response_format": "wav"}
        response = await self._post("audio/speech", json=body)
        data = response.content
        if not data or len(data) > MAX_AUDIO_BYTES:
            raise ProviderError("The AI provider sent no usable audio.")
        content_type = response.headers.get("content-type", "audio/wav").split(";")[0].strip()
        return SpeechAudio(content_type if content_type.startswith("audio/") else "audio/wav", data)

    async def transcribe(self, audio: bytes, filename: str, content_type: str, model: str) -> str:
        response = await self._post(
            "audio/transcriptions",
            data={"model": model, "response_format": "json"},
            files={"file": (filename, audio, content_type)},
        )
        try:
            text = response.json()["text"]
        except (ValueError, KeyError, TypeError):
            raise ProviderError("The AI provider sent a transcript we cannot read.") from None
        if not isinstance(text, str):
            raise ProviderError("The AI provider sent a transcript we cannot read.")
        return text

    # --- HTTP -------------------------------------------------------------------------------

    async def _post(self, path: str, **request: Any) -> httpx.Response:
        try:
            response = await self._client().post(
                self._url(path), headers=self._headers(), **request
            )
        except httpx.TimeoutException:
            raise ProviderError("The AI provider timed out; nothing was charged.") from None
        except httpx.HTTPError as error:
            raise ProviderError(f"The AI provider is unreachable ({error}).") from None
        if response.status_code != 200:
            raise _status_error(response)
        return response

    def _client(self) -> httpx.AsyncClient:
        """This loop's client (created on first use; it goes with its loop)."""
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            timeout = httpx.Timeout(
                self.timeout_seconds, connect=min(CONNECT_TIMEOUT_SECONDS, self.timeout_seconds)
            )
            client = httpx.AsyncClient(timeout=timeout)
            self._clients[loop] = client
        return client

    def _url(self, path: str) -> str:
        return f"{self.base_url}/{path}"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


_DONE = StreamChunk()  # the `data: [DONE]` sentinel


def _chat_body(messages: list[ChatMessage], model: str, max_tokens: int) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [{"role": m.role, "content": m.content} for m in messages],
        "max_tokens": max_tokens,
    }


def _status_error(response: httpx.Response) -> ProviderError:
    return ProviderError(
        f"The AI provider answered {response.status_code}; nothing was charged.",
        providerStatus=response.status_code,
    )


def _parse_completion(response: httpx.Response, requested_model: str) -> ChatCompletion:
    try:
        body: dict[str, Any] = response.json()
        content = body["choices"][0]["message"]["content"] or ""
        usage = body["usage"]
        input_tokens, output_tokens = usage["prompt_tokens"], usage["completion_tokens"]
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError("The AI provider sent an answer we cannot read.") from None
    if not all(is_token_count(n) for n in (input_tokens, output_tokens)):
        raise ProviderError("The AI provider reported invalid token usage.")
    return ChatCompletion(
        content=str(content),
        model=str(body.get("model") or requested_model),
        input_tokens=input_tokens,
        output_tokens=output_tokens,
    )


def _parse_stream_line(line: str) -> StreamChunk | None:
    """One SSE line of a streamed completion: a delta, the final usage, [DONE], or nothing.

    Usage that is not a valid count is dropped (None), so the charge falls back to what was
    counted from the stream instead of trusting a negative or absurd provider number.
    """
    if not line.startswith(SSE_DATA):
        return None
    data = line[len(SSE_DATA) :].strip()
    if data == "[DONE]":
        return _DONE
    try:
        event = json.loads(data)
    except ValueError:
        raise ProviderError("The AI provider sent a stream we cannot read.") from None
    if not isinstance(event, dict):
        return None
    if "error" in event:
        raise ProviderError("The AI provider failed while answering.")
    delta = ""
    choices = event.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        content = (choices[0].get("delta") or {}).get("content")
        delta = content if isinstance(content, str) else ""
    usage = event.get("usage")
    counts = None
    if isinstance(usage, dict):
        prompt, completion = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if (
            isinstance(prompt, int)
            and isinstance(completion, int)
            and is_token_count(prompt)
            and is_token_count(completion)
        ):
            counts = (prompt, completion)
    if not delta and counts is None:
        return None
    return StreamChunk(delta, counts)
