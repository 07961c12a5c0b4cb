"""Real media made locally for the demo provider: a PNG drawn from the prompt, a short WAV.

`make run` has no AI provider, yet the image and speech features must work end to end (the
widget shows a real picture, the browser plays real audio, the charges are real ledger
entries). Pillow draws the picture; the standard library's `wave` writes the sound.
"""

import hashlib
import io
import math
import textwrap
import wave
from array import array

from PIL import Image, ImageDraw, ImageFont

SAMPLE_RATE = 8_000
MAX_SPEECH_SECONDS = 6.0
SECONDS_PER_WORD = 0.18
AMPLITUDE = 9_000


def draw_png(prompt: str, size: str) -> bytes:
    """A PNG of `size` ("WxH"): a gradient in colours derived from the prompt, with its text."""
    width, height = (int(part) for part in size.split("x"))
    digest = hashlib.sha256(prompt.encode()).digest()
    start, end = digest[0:3], digest[3:6]
    gradient = Image.linear_gradient("L").resize((width, height))
    channels = [
        gradient.point(lambda v, a=a, b=b: a + (b - a) * v // 255)
        for a, b in zip(start, end, strict=True)
    ]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for index in range(6):  # a few circles, placed by the prompt's hash
        x, y = digest[6 + index] * width // 255, digest[12 + index] * height // 255
        radius = 40 + digest[18 + index] % (min(width, height) // 4)
        colour = tuple(digest[(24 + index + k) % 32] for k in range(3))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=colour, width=8)
    font = ImageFont.load_default(size=max(24, width // 24))
    lines = textwrap.wrap(prompt, width=28)[:6] or ["(empty prompt)"]
    draw.multiline_text(
        (width // 12, height // 12),
        "\n".join(lines),
        fill="white",
        font=font,
        spacing=12,
        stroke_width=3,
        stroke_fill="black",
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def synthesize_wav(text: str) -> bytes:
    """Mono 16-bit WAV at 8 kHz: one short tone per word (pitch from the word), at most 6 s."""
    words = text.split() or ["…"]
    per_word = max(1, int(SAMPLE_RATE * SECONDS_PER_WORD))
    budget = int(SAMPLE_RATE * MAX_SPEECH_SECONDS)
    samples = array("h")
    for word in words:
        if len(samples) + per_word > budget:
            break
        pitch = 180 + hashlib.sha256(word.encode()).digest()[0] * 2
        step = 2 * math.pi * pitch / SAMPLE_RATE
        fade = per_word // 8
        for n in range(per_word):
            envelope = min(1.0, n / fade, (per_word - n) / fade)
            samples.append(int(AMPLITUDE * envelope * math.sin(step * n)))
    return wav_bytes(samples, SAMPLE_RATE)


def wav_bytes(samples: array, sample_rate: int) -> bytes:  # type: ignore[type-arg]
    """16-bit mono PCM samples as a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(sample_rate)
        writer.writeframes(samples.tobytes())
    return out.getvalue()
