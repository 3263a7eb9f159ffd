// The official OpenAI Node SDK against our service: what it makes of a
// model looked up by id, and of the errors its users meet (a file that
// is not audio, a missing model, an unknown one).  Prints one JSON
// object: each case's result or the SDK's error (class, status, param).
//
// usage: node openai_errors.mjs BASE_URL API_KEY NOT_AUDIO_FILE AUDIO_FILE
import fs from "node:fs";
import OpenAI from "openai";

const [base, key, notAudio, audio] = process.argv.slice(2);
const client = new OpenAI({ apiKey: key, baseURL: base + "/v1", maxRetries: 0 });

async function attempt(f) {
	try {
		return { result: await f() };
	} catch (e) {
		return { error: e.constructor.name, status: e.status, type: e.type,
		    param: e.param, message: e.message };
	}
}

const out = {
	retrieve: await attempt(() => client.models.retrieve("whisper-1")),
	unknown: await attempt(() => client.models.retrieve("no-such-model")),
	notAudio: await attempt(() => client.audio.transcriptions.create({
		file: fs.createReadStream(notAudio), model: "whisper-1" })),
	noModel: await attempt(() => client.audio.transcriptions.create({
		file: fs.createReadStream(audio), model: undefined })),
	badModel: await attempt(() => client.audio.transcriptions.create({
		file: fs.createReadStream(audio), model: "whisper-9" })),
	badFormat: await attempt(() => client.audio.transcriptions.create({
		file: fs.createReadStream(audio), model: "whisper-1",
		response_format: "docx" })),
};
console.log(JSON.stringify(out));
