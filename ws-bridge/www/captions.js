/*
 * The live-caption page: microphone -> 16 kHz mono linear16 chunks of
 * 100 ms -> Socket.IO namespace /audio-stream (ws-bridge, same origin)
 * -> "transcription" events -> captions.  Interim results replace each
 * other in #interim; final ones are appended as .final.
 */
"use strict";

(function () {
	const RATE = 16000;
	const CHUNK = RATE / 10;		/* samples: 100 ms */
	const STOP_WAIT = 10000;		/* ms for stream_stopped */
	const QUEUE_MAX = 30;			/* chunks kept until connected */
	const KEY = "trapi.captions.token";

	const $ = (id) => document.getElementById(id);
	const form = $("controls"), tokenIn = $("token"), langIn = $("lang");
	const startBtn = $("start"), stopBtn = $("stop");
	const stateEl = $("state"), statusEl = $("status");
	const captions = $("captions"), interim = $("interim");

	let socket = null;	/* this session's socket */
	let mic = null;		/* { stream, ctx, flush(), kind } */
	let stopTimer = null;
	let queue = [];		/* chunks captured while connecting */

	tokenIn.value = sessionStorage.getItem(KEY) || "";

	/* The languages the server's live engine takes, as ws-bridge lists
	 * them; the page's own English stays if it cannot say. */
	async function languages() {
		let doc;

		try {
			const r = await fetch("/socket.io/languages",
			    { cache: "no-store" });
			if (!r.ok)
				return;
			doc = await r.json();
		} catch (e) {
			return;
		}
		if (!Array.isArray(doc.languages) || doc.languages.length === 0)
			return;
		const keep = langIn.value;
		langIn.replaceChildren(...doc.languages.map(
		    (l) => new Option(l.name, l.code)));
		langIn.value = doc.languages.some((l) => l.code === keep) ?
		    keep : doc.languages[0].code;
		document.body.dataset.engine = doc.engine;
	}

	function state(text) {
		stateEl.textContent = text;
	}

	function error(text) {
		statusEl.textContent = text;
	}

	function buttons(running) {
		startBtn.disabled = running;
		stopBtn.disabled = !running;
		tokenIn.disabled = langIn.disabled = running;
	}

	/* A chunk to the server; the first ones wait for the connection
	 * (the token check) so that no speech is lost. */
	function send(buf) {
		if (socket !== null && socket.connected) {
			socket.emit("audio_chunk", { audio_chunk: buf });
			return;
		}
		queue.push(buf);
		if (queue.length > QUEUE_MAX)
			queue.shift();
	}

	/* The microphone, captured; its tracks stopped on failure. */
	async function openMic() {
		if (!navigator.mediaDevices)
			throw new Error("needs a secure context (HTTPS or"
			    + " localhost)");
		const stream = await navigator.mediaDevices.getUserMedia({
			audio: { channelCount: 1 }, video: false });
		try {
			return await capture(stream);
		} catch (e) {
			stream.getTracks().forEach((t) => t.stop());
			throw e;
		}
	}

	/* The stream through an AudioWorklet, or a ScriptProcessor where
	 * there is none; chunks go to send(). */
	async function capture(stream) {
		const ctx = new AudioContext();
		const src = ctx.createMediaStreamSource(stream);
		const m = { stream, ctx, flush: () => Promise.resolve(),
			kind: "worklet" };

		try {
			await ctx.audioWorklet.addModule("pcm.js");
			const node = new AudioWorkletNode(ctx, "pcm16", {
				numberOfOutputs: 1, outputChannelCount: [1],
				processorOptions: { rate: RATE, chunk: CHUNK } });
			let flushed = null;
			node.port.onmessage = (e) => {
				if (e.data instanceof ArrayBuffer)
					send(e.data);
				else if (e.data === "flushed" && flushed)
					flushed();
			};
			m.flush = () => new Promise((resolve) => {
				flushed = resolve;
				node.port.postMessage("flush");
				setTimeout(resolve, 500);
			});
			src.connect(node).connect(ctx.destination);
		} catch (e) {
			/* No AudioWorklet (old browser, insecure context). */
			const ds = new Downsampler(ctx.sampleRate, RATE, CHUNK,
			    send);
			const node = ctx.createScriptProcessor(4096, 1, 1);
			node.onaudioprocess = (ev) =>
			    ds.push([ev.inputBuffer.getChannelData(0)]);
			m.flush = () => { ds.flush(); return Promise.resolve(); };
			m.kind = "script-processor";
			src.connect(node).connect(ctx.destination);
		}
		await ctx.resume();
		return m;
	}

	function closeMic() {
		if (mic === null)
			return;
		mic.stream.getTracks().forEach((t) => t.stop());
		mic.ctx.close().catch(() => {});
		mic = null;
	}

	/* Everything off; the socket too. */
	function finish(text) {
		closeMic();
		queue = [];
		clearTimeout(stopTimer);
		if (socket !== null) {
			socket.disconnect();
			socket = null;
		}
		buttons(false);
		state(text);
	}

	function showResult(r) {
		if (!r || typeof r.transcript !== "string")
			return;
		if (r.is_final) {
			interim.textContent = "";
			if (r.transcript === "")
				return;
			const el = document.createElement("span");
			el.className = "final";
			el.textContent = r.transcript + " ";
			captions.insertBefore(el, interim);
		} else {
			interim.textContent = r.transcript;
		}
	}

	function connect(token, lang) {
		const s = io("/audio-stream", {
			path: "/socket.io/",
			forceNew: true,
			auth: { token },
			query: { lang, encoding: "linear16", sample_rate: RATE }
		});

		s.on("connect", () => {
			const q = queue;

			queue = [];
			q.forEach(send);
			error("");
			state("Listening (" + lang + ").");
		});
		s.on("connect_error", (err) => {
			error(err.message);
			/* Refused by the server: no retry.  Else reconnecting. */
			if (!s.active)
				finish("Stopped.");
			else
				state("Reconnecting…");
		});
		s.on("transcription", showResult);
		s.on("error", (e) => error(e && e.message ? e.message :
		    "stream error"));
		s.on("stream_stopped", (e) => {
			const secs = e && typeof e.audio_seconds === "number" ?
			    e.audio_seconds.toFixed(1) + " s of audio." : "";
			finish("Stopped. " + secs);
		});
		s.on("disconnect", (reason) => {
			/* The server ended the stream (idle, upstream failure):
			 * its error event said why. */
			if (reason === "io server disconnect")
				finish("Stopped by the server.");
		});
		return s;
	}

	async function start() {
		const token = tokenIn.value.trim();

		if (token === "") {
			error("Enter an API key or access token.");
			tokenIn.focus();
			return;
		}
		sessionStorage.setItem(KEY, token);
		error("");
		buttons(true);
		stopBtn.disabled = true;	/* until the microphone is open */
		state("Opening the microphone…");
		try {
			mic = await openMic();
		} catch (e) {
			mic = null;
			buttons(false);
			state("Stopped.");
			error("Microphone: " + (e && e.message ? e.message : e));
			return;
		}
		document.body.dataset.capture = mic.kind;
		stopBtn.disabled = false;
		state("Connecting…");
		socket = connect(token, langIn.value);
	}

	async function stop() {
		const s = socket;

		stopBtn.disabled = true;
		if (mic !== null)
			await mic.flush();
		closeMic();
		if (s === null || !s.connected) {
			finish("Stopped.");
			return;
		}
		state("Finishing…");
		s.emit("stop_streaming");
		stopTimer = setTimeout(() => finish("Stopped."), STOP_WAIT);
	}

	form.addEventListener("submit", (e) => {
		e.preventDefault();
		start();
	});
	stopBtn.addEventListener("click", stop);
	languages();
}());
