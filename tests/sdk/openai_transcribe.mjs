// The official OpenAI Node SDK against our service, with only its base
// URL changed: transcribes a file and prints what the SDK returned, or
// the SDK's own error (class, status, code) as JSON.
//
// usage: node openai_transcribe.mjs BASE_URL API_KEY FILE FORMAT
import fs from "node:fs";
import OpenAI from "openai";

const [base, key, file, format] = process.argv.slice(2);
const client = new OpenAI({ apiKey: key, baseURL: base + "/v1", maxRetries: 0 });
try {
	const r = await client.audio.transcriptions.create({
		file: fs.createReadStream(file), model: "whisper-1",
		response_format: format,
		...(format === "verbose_json" ? { timestamp_granularities: ["word", "segment"] } : {}),
	});
	const models = await client.models.list();
	console.log(JSON.stringify({ result: r, models: models.data.map((m) => m.id) }));
} catch (e) {
	console.log(JSON.stringify({ error: e.constructor.name, status: e.status,
	    code: e.code, type: e.type, message: e.message }));
}
