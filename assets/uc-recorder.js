// Browser side of 2Bot voice input: record from the microphone, hand the server a WAV.
//
// MediaRecorder records in whatever the browser encodes (WebM/Opus in Chromium, Ogg in
// Firefox, MP4 in Safari). The server measures the duration it charges for itself and reads
// WAV exactly, so the recording is decoded here (Web Audio), mixed down to mono 16 kHz,
// 16-bit PCM, and written as a WAV file. That file is put into the microphone's upload input,
// so it travels the same path as an uploaded recording (Reflex upload -> speech_to_text).
// Loaded once per page from `rx.App(head_components=...)`; the widget's events call
// `start()` and `stop(inputSelector)`, each resolving to "" or a message for the person.
window.ucRecorder = (() => {
  const RATE = 16000;
  const MAX_SECONDS = 120; // a voice question, not a dictation: stop by itself after this
  let recorder = null;
  let chunks = [];
  let timer = null;

  const start = async () => {
    if (recorder) return "";
    if (!navigator.mediaDevices?.getUserMedia || typeof MediaRecorder === "undefined") {
      return "This browser cannot record audio here. Upload a recording instead.";
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      return error?.name === "NotAllowedError"
        ? "The microphone is blocked for this site. Allow it in the browser, or upload a recording."
        : "No microphone could be opened. Upload a recording instead.";
    }
    chunks = [];
    recorder = new MediaRecorder(stream);
    recorder.ondataavailable = (event) => event.data.size && chunks.push(event.data);
    recorder.start(250);
    // Stop by itself through the button, so the page state sees the same stop as a click.
    timer = setTimeout(() => document.getElementById("assistant-record")?.click(), MAX_SECONDS * 1000);
    return "";
  };

  const stopped = (active) =>
    new Promise((resolve) => {
      active.onstop = () => resolve();
      active.stop();
    });

  const stop = async (inputSelector) => {
    const active = recorder;
    recorder = null;
    clearTimeout(timer);
    if (!active) return "";
    await stopped(active);
    active.stream.getTracks().forEach((track) => track.stop());
    const recorded = new Blob(chunks, { type: active.mimeType || "audio/webm" });
    chunks = [];
    let wav;
    try {
      wav = await toWav(await recorded.arrayBuffer());
    } catch (_) {
      return "The recording could not be read. Try again, or upload a recording.";
    }
    const input = document.querySelector(inputSelector);
    if (!input) return "The voice input is not on this page any more.";
    const transfer = new DataTransfer();
    transfer.items.add(new File([wav], "recording.wav", { type: "audio/wav" }));
    input.files = transfer.files;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    return "";
  };

  /** Decode any recording the browser made, resample to mono RATE Hz, encode 16-bit WAV. */
  const toWav = async (encoded) => {
    const context = new AudioContext();
    let decoded;
    try {
      decoded = await context.decodeAudioData(encoded);
    } finally {
      context.close();
    }
    const frames = Math.max(1, Math.ceil(decoded.duration * RATE));
    const offline = new OfflineAudioContext(1, frames, RATE);
    const source = offline.createBufferSource();
    source.buffer = decoded;
    source.connect(offline.destination);
    source.start();
    const samples = (await offline.startRendering()).getChannelData(0);
    const out = new DataView(new ArrayBuffer(44 + samples.length * 2));
    const text = (offset, value) =>
      [...value].forEach((c, i) => out.setUint8(offset + i, c.charCodeAt(0)));
    text(0, "RIFF");
    out.setUint32(4, 36 + samples.length * 2, true);
    text(8, "WAVE");
    text(12, "fmt ");
    out.setUint32(16, 16, true); // PCM header size
    out.setUint16(20, 1, true); // PCM
    out.setUint16(22, 1, true); // mono
    out.setUint32(24, RATE, true);
    out.setUint32(28, RATE * 2, true); // bytes per second
    out.setUint16(32, 2, true); // bytes per frame
    out.setUint16(34, 16, true); // bits per sample
    text(36, "data");
    out.setUint32(40, samples.length * 2, true);
    samples.forEach((sample, i) => {
      const clipped = Math.max(-1, Math.min(1, sample));
      out.setInt16(44 + i * 2, clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff, true);
    });
    return new Blob([out.buffer], { type: "audio/wav" });
  };

  return { start, stop, recording: () => recorder !== null };
})();
