/*
 * Unit tests of the language table (lib/model/lang.c): lookups by tag,
 * by primary subtag and by Whisper's name, unknown names, and that the
 * sets each caller accepts are the ones it accepted before the table:
 * the 54 tags of /audio-stream, English for the local engine, the ten
 * names of Whisper both ways, any well-formed tag on the REST fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tr.h"
#include "t.h"

/* The tags ws-bridge accepted from its own list. */
static const char *const live[] = {
	"bg", "ca", "cs", "da", "da-DK", "de", "de-CH", "el", "en", "en-AU",
	"en-GB", "en-IN", "en-NZ", "en-US", "es", "es-419", "et", "fi", "fr",
	"fr-CA", "hi", "hu", "id", "it", "ja", "ko", "ko-KR", "lt", "lv",
	"ms", "multi", "nl", "nl-BE", "no", "pl", "pt", "pt-BR", "pt-PT",
	"ro", "ru", "sk", "sv", "sv-SE", "th", "th-TH", "tr", "uk", "vi",
	"zh", "zh-CN", "zh-HK", "zh-Hans", "zh-Hant", "zh-TW"
};

/* The pairs service/oai.c and prov/openai.c each held. */
static const struct {
	const char	*code;
	const char	*name;
} whisper[] = {
	{ "en", "english" }, { "it", "italian" }, { "fr", "french" },
	{ "de", "german" }, { "es", "spanish" }, { "pt", "portuguese" },
	{ "nl", "dutch" }, { "ja", "japanese" }, { "zh", "chinese" },
	{ "ru", "russian" },
};

static const char *const unknown[] = {
	"", "xx", "EN", "en-us", "pt-br", "eng", "en-", "-en", "en-ZZ",
	"english", "zh-hans", "multi-x",
};

static void
test_lookup(void)
{
	const struct tr_lang	*l;
	size_t			 i;

	T((l = tr_lang("pt-BR")) != NULL);
	T_STREQ(l->code, "pt-BR");
	T_STREQ(l->name, "Portuguese (Brazil)");
	T(l->openai == NULL);
	T((l->engines & TR_LANG_DEEPGRAM) != 0);
	T((l = tr_lang("en")) != NULL);
	T_STREQ(l->name, "English");
	T(l->engines == (TR_LANG_DEEPGRAM | TR_LANG_OPENAI |
	    TR_LANG_ASSEMBLYAI | TR_LANG_LOCAL));
	for (i = 0; i < T_NELEM(unknown); i++) {
		T(tr_lang(unknown[i]) == NULL);
		T(!tr_lang_has(unknown[i], ~0u));
	}
	/* Every row has a name, and a tag the REST fields take. */
	for (i = 0; i < T_NELEM(live); i++) {
		T((l = tr_lang(live[i])) != NULL);
		T(l->name != NULL && *l->name != '\0');
		T(strcmp(live[i], "multi") == 0 ||
		    tr_lang_wellformed(live[i], strlen(live[i])));
	}
}

static void
test_primary(void)
{
	T_STREQ(tr_lang_primary("pt-BR")->code, "pt");
	T_STREQ(tr_lang_primary("zh-Hans")->code, "zh");
	T_STREQ(tr_lang_primary("en-ZZ")->code, "en");
	T_STREQ(tr_lang_primary("en")->code, "en");
	T_STREQ(tr_lang_primary("multi")->code, "multi");
	T(tr_lang_primary("") == NULL);
	T(tr_lang_primary("xx-YY") == NULL);
	T(tr_lang_primary("eng") == NULL);
	T(tr_lang_primary("-en") == NULL);
	T(tr_lang_primary("abcdefghijklmnopqrstuvwxyz") == NULL);
}

static int
listed(const char *tag)
{
	size_t	 i;

	for (i = 0; i < T_NELEM(live); i++)
		if (strcmp(live[i], tag) == 0)
			return 1;
	return 0;
}

/*
 * /audio-stream: exactly the 54 (every tag of 2 or 3 letters, and of 2
 * letters with a region of 2 letters, is tried); the local engine: the
 * ones of them that begin with "en".
 */
static void
test_live(void)
{
	char	 tag[8];
	size_t	 i, n = 0;
	int	 a, b, c, d;

	for (i = 0; i < T_NELEM(live); i++) {
		T(tr_lang_has(live[i], TR_LANG_LIVE));
		T(tr_lang_has(live[i], TR_LANG_LOCAL) ==
		    (strncmp(live[i], "en", 2) == 0));
	}
	for (a = 'a'; a <= 'z'; a++)
		for (b = 'a'; b <= 'z'; b++) {
			snprintf(tag, sizeof(tag), "%c%c", a, b);
			n += tr_lang_has(tag, TR_LANG_LIVE);
			T(tr_lang_has(tag, TR_LANG_LIVE) == listed(tag));
			for (c = 'a'; c <= 'z'; c++) {
				snprintf(tag, sizeof(tag), "%c%c%c", a, b, c);
				T(!tr_lang_has(tag, ~0u));
			}
			for (c = 'A'; c <= 'Z'; c++)
				for (d = 'A'; d <= 'Z'; d++) {
					snprintf(tag, sizeof(tag), "%c%c-%c%c",
					    a, b, c, d);
					n += tr_lang_has(tag, TR_LANG_LIVE);
					T(tr_lang_has(tag, TR_LANG_LIVE) ==
					    listed(tag));
				}
		}
	/* The rest: multi, es-419, zh-Hans, zh-Hant. */
	T(n + 4 == T_NELEM(live));
	T(T_NELEM(live) == 54);
	T(!tr_lang_has("en", 0));
	T(!tr_lang_has("multi", TR_LANG_LOCAL));
}

static void
test_whisper(void)
{
	const struct tr_lang	*l;
	size_t			 i, n = 0;

	for (i = 0; i < T_NELEM(whisper); i++) {
		T((l = tr_lang_openai(whisper[i].name)) != NULL);
		T_STREQ(l->code, whisper[i].code);
		T((l = tr_lang_primary(whisper[i].code)) != NULL);
		T_STREQ(l->openai, whisper[i].name);
	}
	/* Only those ten have a Whisper name: "korean" stays "korean". */
	for (i = 0; i < T_NELEM(live); i++)
		if (tr_lang(live[i])->openai != NULL)
			n++;
	T(n == T_NELEM(whisper));
	T(tr_lang_openai("korean") == NULL);
	T(tr_lang_openai("English") == NULL);
	T(tr_lang_openai("") == NULL);
	T(tr_lang_openai("en") == NULL);
	T_STREQ(tr_lang_primary("pt-BR")->openai, "portuguese");
}

/* The syntax tr_valid_lang checked before it asked lang.c. */
static void
test_wellformed(void)
{
	static const char *const good[] = {
		"en", "it", "pt-BR", "zh-Hans", "es-419", "eng", "en-ZZ",
		"ar", "he", "en-us", "abc-1234567890ab",
	};
	static const char *const bad[] = {
		"", "e", "EN", "En", "abcd", "en-", "en-A", "en_US", "-en",
		"en-US-x", "multi", "en-Ü", "abc-1234567890abc", "en US",
	};
	size_t	 i;

	for (i = 0; i < T_NELEM(good); i++)
		T(tr_lang_wellformed(good[i], strlen(good[i])));
	for (i = 0; i < T_NELEM(bad); i++)
		T(!tr_lang_wellformed(bad[i], strlen(bad[i])));
	T(!tr_lang_wellformed("en\0", 3));
}

int
main(void)
{
	test_lookup();
	test_primary();
	test_live();
	test_whisper();
	test_wellformed();
	return 0;
}
