// Streams audio to ws-bridge's /audio-stream namespace with the official
// socket.io-client, as many clients at once as asked, and prints what
// each received as one JSON document.
//
// usage: node ws_stream.mjs '<json options>'
//   url          base URL (http://127.0.0.1:PORT)
//   token        auth token
//   clients      how many clients at once (1)
//   seconds      audio per client (2)
//   chunk_ms     audio per chunk (100)
//   pace_ms      wait between chunks (chunk_ms: real time)
//   query        handshake query ({lang, encoding, sample_rate})
//   transports   socket.io-client transports (its default if absent)
//   pcm          a raw 16 kHz s16le file to send instead of tagged noise
//   base64       send {audio_chunk: base64} instead of binary
//   stop         emit stop_streaming at the end (true)
//   timeout_ms   give up waiting for the end (20000)
//   tag_base     client i's audio starts with the 32-bit tag_base + i
//   epoch        also record each event's receive time as epoch ms in
//                "at" (performance.timeOrigin + performance.now(): the
//                wall clock, sub-millisecond), for comparing with another
//                process's time.time(); each client also gets
//                "epoch_skew_ms" (Date.now() minus that clock at its end)
//   stagger_ms   client i starts i * stagger_ms / clients ms late (0)
//   steady       pace on a fixed schedule: chunk k goes at connect +
//                k * pace_ms, not pace_ms after the previous one; each
//                client gets "send_lag_ms" (the latest a chunk went out)
import { readFileSync } from "node:fs";
import { io } from "socket.io-client";

const opt = JSON.parse(process.argv[2]);
const clients = opt.clients ?? 1;
const chunkMs = opt.chunk_ms ?? 100;
const pace = opt.pace_ms ?? chunkMs;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const epochNow = () => performance.timeOrigin + performance.now();

function audioFor(i) {
  if (opt.pcm) return readFileSync(opt.pcm);
  const n = Math.round((opt.seconds ?? 2) * 16000) * 2;
  const buf = Buffer.alloc(n);
  for (let k = 0; k < n; k++) buf[k] = 1 + ((k * 7 + i * 13) % 250);
  buf.writeUInt32BE(((opt.tag_base ?? 0x10000000) + i) >>> 0, 0);
  return buf;
}

async function run(i) {
  const audio = audioFor(i);
  if (opt.stagger_ms) await sleep((i * opt.stagger_ms) / clients);
  const out = { i, tag: audio.subarray(0, 4).toString("hex"), events: [] };
  const t0 = Date.now();
  const sockOpts = {
    auth: { token: opt.token },
    query: opt.query ?? { lang: "en", encoding: "linear16", sample_rate: 16000 },
    reconnection: false,
    forceNew: true,
  };
  if (opt.transports) sockOpts.transports = opt.transports;
  const socket = io(opt.url + "/audio-stream", sockOpts);
  socket.io.on("open", () => {
    out.transport = socket.io.engine.transport.name;
    socket.io.engine.on("upgrade", (t) => { out.upgraded = t.name; });
  });
  const ended = new Promise((resolve) => {
    socket.on("connect_error", (e) => { out.connect_error = e.message; resolve(); });
    socket.on("transcription", (d) => {
      const ev = { event: "transcription", data: d, t: Date.now() - t0 };
      if (opt.epoch) ev.at = epochNow();
      out.events.push(ev);
    });
    socket.on("error", (d) => out.events.push({ event: "error", data: d, t: Date.now() - t0 }));
    socket.on("stream_stopped", (d) => { out.events.push({ event: "stream_stopped", data: d }); resolve(); });
    socket.on("disconnect", (reason) => { out.disconnect = reason; resolve(); });
  });
  const connected = await Promise.race([
    new Promise((r) => socket.once("connect", () => r(true))),
    ended.then(() => false),
  ]);
  if (connected) {
    const step = (16000 * 2 * chunkMs) / 1000;
    const start = performance.now();
    if (opt.steady) out.send_lag_ms = 0;
    for (let off = 0, k = 0; off < audio.length && socket.connected; off += step, k++) {
      if (opt.steady) out.send_lag_ms = Math.max(out.send_lag_ms, performance.now() - (start + k * pace));
      const chunk = audio.subarray(off, off + step);
      if (opt.base64) socket.emit("audio_chunk", { audio_chunk: chunk.toString("base64") });
      else socket.emit("audio_chunk", { audio_chunk: chunk });
      if (pace > 0 && opt.steady) {
        const wait = start + (k + 1) * pace - performance.now();
        if (wait > 0) await sleep(wait);
      } else if (pace > 0) await sleep(pace);
    }
    out.final_transport = socket.io.engine.transport.name;
    if (opt.stop ?? true) socket.emit("stop_streaming");
    await Promise.race([ended, sleep(opt.timeout_ms ?? 20000)]);
  }
  socket.disconnect();
  if (opt.epoch) out.epoch_skew_ms = Date.now() - epochNow();
  return out;
}

const results = await Promise.all(Array.from({ length: clients }, (_, i) => run(i)));
process.stdout.write(JSON.stringify(results) + "\n", () => process.exit(0));
