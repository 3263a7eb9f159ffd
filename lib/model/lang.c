/*
 * The one table of spoken languages: our tag for each (BCP 47, as the
 * client sends it), its English name, the engines that transcribe it,
 * and the other spellings an engine needs (Whisper names a language
 * "portuguese" where we say "pt").  Everyone who asks whether a
 * language is known, or how an engine spells it, reads this table.
 *
 * The REST endpoints take any well-formed tag and let the provider
 * refuse one it does not know: Deepgram, Whisper and AssemblyAI each
 * know many more languages than are listed here.  /audio-stream takes
 * only the tags of this table that a live upstream knows.
 */
#include <string.h>
#include <strings.h>

#include "tr.h"

#define DG	TR_LANG_DEEPGRAM
#define CLOUD	(TR_LANG_DEEPGRAM | TR_LANG_OPENAI | TR_LANG_ASSEMBLYAI)
#define EN	(TR_LANG_DEEPGRAM | TR_LANG_LOCAL)

/*
 * Deepgram's nova-2 languages (the seed's list and more).  Whisper and
 * AssemblyAI take the bare ISO 639-1 codes only.  The last column is
 * the ISO 639-2 code that Apertium's language pairs use ("eng-spa").
 */
static const struct tr_lang langs[] = {
	{ "bg", "Bulgarian", NULL, CLOUD, NULL },
	{ "ca", "Catalan", NULL, CLOUD, "cat" },
	{ "cs", "Czech", NULL, CLOUD, NULL },
	{ "da", "Danish", NULL, CLOUD, NULL },
	{ "da-DK", "Danish (Denmark)", NULL, DG, NULL },
	{ "de", "German", "german", CLOUD, "deu" },
	{ "de-CH", "German (Switzerland)", NULL, DG, NULL },
	{ "el", "Greek", NULL, CLOUD, NULL },
	{ "en", "English", "english", CLOUD | TR_LANG_LOCAL, "eng" },
	{ "en-AU", "English (Australia)", NULL, EN, NULL },
	{ "en-GB", "English (United Kingdom)", NULL, EN, NULL },
	{ "en-IN", "English (India)", NULL, EN, NULL },
	{ "en-NZ", "English (New Zealand)", NULL, EN, NULL },
	{ "en-US", "English (United States)", NULL, EN, NULL },
	{ "es", "Spanish", "spanish", CLOUD, "spa" },
	{ "es-419", "Spanish (Latin America)", NULL, DG, NULL },
	{ "et", "Estonian", NULL, CLOUD, NULL },
	{ "fi", "Finnish", NULL, CLOUD, NULL },
	{ "fr", "French", "french", CLOUD, "fra" },
	{ "fr-CA", "French (Canada)", NULL, DG, NULL },
	{ "hi", "Hindi", NULL, CLOUD, NULL },
	{ "hu", "Hungarian", NULL, CLOUD, NULL },
	{ "id", "Indonesian", NULL, CLOUD, NULL },
	{ "it", "Italian", "italian", CLOUD, "ita" },
	{ "ja", "Japanese", "japanese", CLOUD, NULL },
	{ "ko", "Korean", NULL, CLOUD, NULL },
	{ "ko-KR", "Korean (South Korea)", NULL, DG, NULL },
	{ "lt", "Lithuanian", NULL, CLOUD, NULL },
	{ "lv", "Latvian", NULL, CLOUD, NULL },
	{ "ms", "Malay", NULL, CLOUD, NULL },
	{ "multi", "Multilingual", NULL, DG, NULL },
	{ "nl", "Dutch", "dutch", CLOUD, "nld" },
	{ "nl-BE", "Flemish", NULL, DG, NULL },
	{ "no", "Norwegian", NULL, CLOUD, NULL },
	{ "pl", "Polish", NULL, CLOUD, NULL },
	{ "pt", "Portuguese", "portuguese", CLOUD, "por" },
	{ "pt-BR", "Portuguese (Brazil)", NULL, DG, NULL },
	{ "pt-PT", "Portuguese (Portugal)", NULL, DG, NULL },
	{ "ro", "Romanian", NULL, CLOUD, "ron" },
	{ "ru", "Russian", "russian", CLOUD, NULL },
	{ "sk", "Slovak", NULL, CLOUD, NULL },
	{ "sv", "Swedish", NULL, CLOUD, NULL },
	{ "sv-SE", "Swedish (Sweden)", NULL, DG, NULL },
	{ "th", "Thai", NULL, CLOUD, NULL },
	{ "th-TH", "Thai (Thailand)", NULL, DG, NULL },
	{ "tr", "Turkish", NULL, CLOUD, NULL },
	{ "uk", "Ukrainian", NULL, CLOUD, NULL },
	{ "vi", "Vietnamese", NULL, CLOUD, NULL },
	{ "zh", "Chinese", "chinese", CLOUD, NULL },
	{ "zh-CN", "Chinese (China)", NULL, DG, NULL },
	{ "zh-HK", "Chinese (Hong Kong)", NULL, DG, NULL },
	{ "zh-Hans", "Chinese (Simplified)", NULL, DG, NULL },
	{ "zh-Hant", "Chinese (Traditional)", NULL, DG, NULL },
	{ "zh-TW", "Chinese (Taiwan)", NULL, DG, NULL },
};

/* The row of a tag, exactly as written ("pt-BR", not "pt-br"), or NULL. */
const struct tr_lang *
tr_lang(const char *code)
{
	size_t	 i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcmp(langs[i].code, code) == 0)
			return &langs[i];
	return NULL;
}

/* The row of a tag's language without region or script: "pt-BR": pt. */
const struct tr_lang *
tr_lang_primary(const char *tag)
{
	char	 code[16];
	size_t	 n = strcspn(tag, "-");

	if (n >= sizeof(code))
		return NULL;
	memcpy(code, tag, n);
	code[n] = '\0';
	return tr_lang(code);
}

/* The row Whisper calls name ("portuguese"), or NULL. */
const struct tr_lang *
tr_lang_openai(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (langs[i].openai != NULL &&
		    strcmp(langs[i].openai, name) == 0)
			return &langs[i];
	return NULL;
}

/* Row i of the table, or NULL past its end. */
const struct tr_lang *
tr_lang_at(size_t i)
{
	return i < sizeof(langs) / sizeof(langs[0]) ? &langs[i] : NULL;
}

/* Is code a tag of this table that one of the engines transcribes? */
int
tr_lang_has(const char *code, unsigned int engines)
{
	const struct tr_lang	*l = tr_lang(code);

	return l != NULL && (l->engines & engines) != 0;
}

/*
 * Is [s, s+n) a BCP-47-ish tag: a primary subtag of 2 or 3 lowercase
 * letters, then at most one "-" and 2 or more letters or digits ("en",
 * "pt-BR", "zh-Hans", "es-419"), 16 bytes at most, no NUL?
 */
int
tr_lang_wellformed(const char *s, size_t n)
{
	size_t	 i;

	if (n < 2 || n > 16 || strlen(s) != n)
		return 0;
	for (i = 0; i < n && s[i] >= 'a' && s[i] <= 'z'; i++)
		continue;
	if (i < 2 || i > 3)
		return 0;
	if (i < n) {
		if (s[i] != '-' || n - i - 1 < 2)
			return 0;
		for (i++; i < n; i++)
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9')))
				return 0;
	}
	return 1;
}

/* The row ISO 639-2 calls code ("spa"), or NULL. */
const struct tr_lang *
tr_lang_iso3(const char *code)
{
	size_t	 i;

	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (langs[i].iso3 != NULL && strcmp(langs[i].iso3, code) == 0)
			return &langs[i];
	return NULL;
}

/*
 * The row a client means: our tag ("es"), or a language's English name
 * in any case ("Spanish", "spanish"), as the seed's clients send them.
 */
const struct tr_lang *
tr_lang_find(const char *s)
{
	size_t	 i;

	if (tr_lang(s) != NULL)
		return tr_lang(s);
	for (i = 0; i < sizeof(langs) / sizeof(langs[0]); i++)
		if (strcasecmp(langs[i].name, s) == 0)
			return &langs[i];
	return NULL;
}
