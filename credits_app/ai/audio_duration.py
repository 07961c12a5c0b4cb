"""How long an uploaded recording is, measured by the server from the audio itself.

Speech to text is priced per minute, so the duration must never come from the client. The
format is recognised from the file's own first bytes (not its name or declared type) and must
be one we accept; WAV is read with the standard library (frames actually present, not only
what the header claims), the compressed formats with `mutagen` (MP3 frames, Ogg granules,
FLAC stream info, MP4 movie header). Anything unreadable is `InvalidAudio` (400), so nothing
is held or charged for it.
"""

import io
import math
import struct
import wave
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import mutagen
from mutagen.flac import FLAC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4
from mutagen.oggopus import OggOpus
from mutagen.oggvorbis import OggVorbis

from credits_app.credits.errors import CreditsError

MAX_AUDIO_SECONDS = 600  # 10 minutes per upload
AUDIO_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "m4a": "audio/mp4",
}
ACCEPTED_CONTENT_TYPES = frozenset(
    {
        *AUDIO_TYPES.values(),
        "audio/x-wav",
        "audio/wave",
        "audio/vnd.wave",
        "audio/mp3",
        "audio/x-flac",
        "audio/opus",
        "audio/x-m4a",
        "audio/m4a",
        "application/octet-stream",  # what many clients send for a file they cannot name
    }
)


class InvalidAudio(CreditsError):
    """The upload is not readable audio of an accepted format, or is too long."""

    code = "invalid_audio"


class AudioTooLarge(CreditsError):
    """The upload is larger than we accept (the HTTP door answers 413)."""

    code = "payload_too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"Uploads may be at most {limit} bytes.", maxBytes=limit)


class UnsupportedAudioType(CreditsError):
    """The upload is of a type we do not transcribe."""

    code = "unsupported_audio_type"

    def __init__(self, found: str) -> None:
        super().__init__(
            f"Audio of type {found!r} is not accepted.", accepted=sorted(AUDIO_TYPES.values())
        )


@dataclass(frozen=True)
class MeasuredAudio:
    """The recognised format and the duration in seconds (exact to the millisecond, rounded up)."""

    format: str
    content_type: str
    seconds: Decimal


def measure_audio(data: bytes, declared_type: str) -> MeasuredAudio:
    """Recognise and measure the upload; `InvalidAudio` / `UnsupportedAudioType` otherwise."""
    declared = declared_type.split(";")[0].strip().lower()
    if declared and declared not in ACCEPTED_CONTENT_TYPES:
        raise UnsupportedAudioType(declared)
    kind = _sniff(data)
    if kind is None:
        raise InvalidAudio(
            "The file is not audio in a format we accept (WAV, MP3, Ogg, FLAC, M4A)."
        )
    seconds = _wav_seconds(data) if kind == "wav" else _mutagen_seconds(data, kind)
    if not seconds.is_finite() or seconds <= 0:
        raise InvalidAudio("The recording is empty or its length cannot be read.")
    if seconds > MAX_AUDIO_SECONDS:
        raise InvalidAudio(
            f"Recordings may be at most {MAX_AUDIO_SECONDS // 60} minutes long.",
            maxSeconds=MAX_AUDIO_SECONDS,
        )
    exact = (seconds * 1000).to_integral_value(rounding=ROUND_CEILING) / 1000
    return MeasuredAudio(kind, AUDIO_TYPES[kind], exact)


def _sniff(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:4] == b"fLaC":
        return "flac"
    if data[4:8] == b"ftyp":
        return "m4a"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    return None


def _wav_seconds(data: bytes) -> Decimal:
    """Frames actually in the file ÷ the rate: a header promising more than is there is corrupt."""
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            rate, width, channels = (
                reader.getframerate(),
                reader.getsampwidth(),
                reader.getnchannels(),
            )
            claimed = reader.getnframes()
            present = len(reader.readframes(claimed)) // max(1, width * channels)
    except (wave.Error, EOFError, ValueError) as error:
        raise InvalidAudio(f"The WAV file cannot be read ({error}).") from None
    if rate <= 0 or present < claimed:
        raise InvalidAudio("The WAV file is truncated or its header is wrong.")
    return Decimal(present) / Decimal(rate)  # exact: no float between frames and price


def _mutagen_seconds(data: bytes, kind: str) -> Decimal:
    parsers: dict[str, list[type[mutagen.FileType]]] = {
        "mp3": [MP3],
        "ogg": [OggOpus, OggVorbis],
        "flac": [FLAC],
        "m4a": [MP4],
    }
    for parser in parsers[kind]:
        try:
            info = parser(io.BytesIO(data)).info
            length = info.length if info is not None else 0.0
        except (mutagen.MutagenError, ValueError, EOFError, IndexError, struct.error):
            continue
        return Decimal(repr(float(length))) if math.isfinite(length) else Decimal(0)
    raise InvalidAudio(f"The {kind.upper()} file cannot be read (corrupt or truncated).")
