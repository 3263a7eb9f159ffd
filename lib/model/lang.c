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

#include "tr.h"

#define DG	TR_LANG_DEEPGRAM
#define CLOUD	(TR_LANG_DEEPGRAM | TR_LANG_OPENAI | TR_LANG_ASSEMBLYAI)
#define EN	(TR_LANG_DEEPGRAM | TR_LANG_LOCAL)

/*
 * Deepgram's nova-2 languages (the seed's list and more).  Whisper and
 * AssemblyAI take the bare ISO 639-1 codes only.  A translation
 * engine's spelling (Apertium's "eng", "por") is one more member of
 * struct tr_lang and one more column here.
 */
static const struct tr_lang langs[] = {
	{ "bg", "Bulgarian", NULL, CLOUD },
	{ "ca", "Catalan", NULL, CLOUD },
	{ "cs", "Czech", NULL, CLOUD },
	{ "da", "Danish", NULL, CLOUD },
	{ "da-DK", "Danish (Denmark)", NULL, DG },
	{ "de", "German", "german", CLOUD },
	{ "de-CH", "German (Switzerland)", NULL, DG },
	{ "el", "Greek", NULL, CLOUD },
	{ "en", "English", "english", CLOUD | TR_LANG_LOCAL },
	{ "en-AU", "English (Australia)", NULL, EN },
	{ "en-GB", "English (United Kingdom)", NULL, EN },
	{ "en-IN", "English (India)", NULL, EN },
	{ "en-NZ", "English (New Zealand)", NULL, EN },
	{ "en-US", "English (United States)", NULL, EN },
	{ "es", "Spanish", "spanish", CLOUD },
	{ "es-419", "Spanish (Latin America)", NULL, DG },
	{ "et", "Estonian", NULL, CLOUD },
	{ "fi", "Finnish", NULL, CLOUD },
	{ "fr", "French", "french", CLOUD },
	{ "fr-CA", "French (Canada)", NULL, DG },
	{ "hi", "Hindi", NULL, CLOUD },
	{ "hu", "Hungarian", NULL, CLOUD },
	{ "id", "Indonesian", NULL, CLOUD },
	{ "it", "Italian", "italian", CLOUD },
	{ "ja", "Japanese", "japanese", CLOUD },
	{ "ko", "Korean", NULL, CLOUD },
	{ "ko-KR", "Korean (South Korea)", NULL, DG },
	{ "lt", "Lithuanian", NULL, CLOUD },
	{ "lv", "Latvian", NULL, CLOUD },
	{ "ms", "Malay", NULL, CLOUD },
	{ "multi", "Multilingual", NULL, DG },
	{ "nl", "Dutch", "dutch", CLOUD },
	{ "nl-BE", "Flemish", NULL, DG },
	{ "no", "Norwegian", NULL, CLOUD },
	{ "pl", "Polish", NULL, CLOUD },
	{ "pt", "Portuguese", "portuguese", CLOUD },
	{ "pt-BR", "Portuguese (Brazil)", NULL, DG },
	{ "pt-PT", "Portuguese (Portugal)", NULL, DG },
	{ "ro", "Romanian", NULL, CLOUD },
	{ "ru", "Russian", "russian", CLOUD },
	{ "sk", "Slovak", NULL, CLOUD },
	{ "sv", "Swedish", NULL, CLOUD },
	{ "sv-SE", "Swedish (Sweden)", NULL, DG },
	{ "th", "Thai", NULL, CLOUD },
	{ "th-TH", "Thai (Thailand)", NULL, DG },
	{ "tr", "Turkish", NULL, CLOUD },
	{ "uk", "Ukrainian", NULL, CLOUD },
	{ "vi", "Vietnamese", NULL, CLOUD },
	{ "zh", "Chinese", "chinese", CLOUD },
	{ "zh-CN", "Chinese (China)", NULL, DG },
	{ "zh-HK", "Chinese (Hong Kong)", NULL, DG },
	{ "zh-Hans", "Chinese (Simplified)", NULL, DG },
	{ "zh-Hant", "Chinese (Traditional)", NULL, DG },
	{ "zh-TW", "Chinese (Taiwan)", NULL, DG },
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
