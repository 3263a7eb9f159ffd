/*
 * Microphone samples to 16-bit PCM for the caption page.  Loaded twice:
 * as a page script (window.Downsampler, for the ScriptProcessor
 * fallback) and as an AudioWorklet module (registers "pcm16").
 */
"use strict";

/*
 * Float samples at inRate, one array per channel, in; mono signed
 * 16-bit little-endian PCM at outRate out, in chunks of chunkSamples
 * (an ArrayBuffer each, to onChunk).  Each output sample averages the
 * input samples of its window: a crude low-pass, enough for speech.
 */
class Downsampler {
	constructor(inRate, outRate, chunkSamples, onChunk) {
		this.step = inRate / outRate;
		this.size = chunkSamples;
		this.onChunk = onChunk;
		this.pos = 0;		/* input samples into the window */
		this.sum = 0;
		this.count = 0;
		this.last = 0;
		this.fresh();
	}

	fresh() {
		this.buf = new ArrayBuffer(this.size * 2);
		this.view = new DataView(this.buf);
		this.n = 0;
	}

	put(s) {
		s = Math.max(-1, Math.min(1, s));
		this.view.setInt16(this.n * 2, s < 0 ? s * 0x8000 : s * 0x7fff,
		    true);
		if (++this.n === this.size) {
			this.onChunk(this.buf);
			this.fresh();
		}
	}

	push(channels) {
		const nch = channels.length, len = nch ? channels[0].length : 0;

		for (let i = 0; i < len; i++) {
			let s = 0;
			for (let c = 0; c < nch; c++)
				s += channels[c][i];
			this.sum += s / nch;
			this.count++;
			this.pos++;
			while (this.pos >= this.step) {
				this.pos -= this.step;
				if (this.count > 0)
					this.last = this.sum / this.count;
				this.put(this.last);
				this.sum = 0;
				this.count = 0;
			}
		}
	}

	/* Sends what is buffered, if anything. */
	flush() {
		if (this.n > 0) {
			this.onChunk(this.buf.slice(0, this.n * 2));
			this.fresh();
		}
	}
}

if (typeof registerProcessor === "function") {
	/* AudioWorkletGlobalScope: sampleRate is the context's. */
	registerProcessor("pcm16", class extends AudioWorkletProcessor {
		constructor(options) {
			super();
			const o = options.processorOptions;
			this.ds = new Downsampler(sampleRate, o.rate, o.chunk,
			    (buf) => this.port.postMessage(buf, [buf]));
			this.port.onmessage = (e) => {
				if (e.data === "flush") {
					this.ds.flush();
					this.port.postMessage("flushed");
				}
			};
		}

		process(inputs) {
			if (inputs[0] && inputs[0].length > 0)
				this.ds.push(inputs[0]);
			return true;
		}
	});
} else {
	self.Downsampler = Downsampler;
}
