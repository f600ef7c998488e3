#include "report/untrusted_text.h"

#include <stdbool.h>
#include <string.h>

/* One character of the text: a valid UTF-8 sequence, or one byte that is not part of one. */
struct character {
	const unsigned char *bytes;
	size_t length;
	unsigned int code_point;
	bool valid;
};

/* The longest escaped form: four bytes as \xNN, and the NUL. */
#define MAX_FORM_SIZE 17

/*
 * Decodes the character at `text` (not at its end). Strict UTF-8: an overlong
 * form, a surrogate or a sequence cut short is not valid, so that what a
 * terminal or a JSON parser reads is exactly what we judged safe.
 */
static const char *next_character(const char *text, struct character *c)
{
	static const unsigned int smallest[] = {0, 0, 0x80, 0x800, 0x10000};
	const unsigned char *s = (const unsigned char *)text;
	unsigned int code_point;
	size_t length, i;

	*c = (struct character){.bytes = s, .length = 1, .code_point = s[0], .valid = s[0] < 0x80};
	if (s[0] >= 0xc2 && s[0] < 0xe0)
		length = 2;
	else if (s[0] >= 0xe0 && s[0] < 0xf0)
		length = 3;
	else if (s[0] >= 0xf0 && s[0] < 0xf5)
		length = 4;
	else
		return text + 1;
	code_point = s[0] & (0x7f >> length);
	/* The terminating NUL is no continuation byte: a cut sequence stops here. */
	for (i = 1; i < length; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return text + 1;
		code_point = code_point << 6 | (s[i] & 0x3f);
	}
	if (code_point < smallest[length] || code_point > 0x10ffff ||
	    (code_point >= 0xd800 && code_point <= 0xdfff))
		return text + 1;
	*c = (struct character){.bytes = s, .length = length, .code_point = code_point, .valid = true};
	return text + length;
}

/*
 * Controls move the cursor, clear the screen or set the window title (C1's
 * CSI is one byte); the others reorder or break what a reader sees.
 */
static bool is_unsafe(const struct character *c)
{
	unsigned int u = c->code_point;

	return !c->valid || u < 0x20 || (u >= 0x7f && u < 0xa0) || u == 0x061c || u == 0x200e ||
	       u == 0x200f || (u >= 0x2028 && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069);
}

static bool needs_escape(const struct character *c, const char *also)
{
	return is_unsafe(c) || c->code_point == '\\' ||
	       (c->code_point < 0x80 && also && strchr(also, (int)c->code_point));
}

/* The character as written outside JSON, into `form`; returns how many characters it shows. */
static size_t escaped_form(const struct character *c, const char *also, char form[MAX_FORM_SIZE])
{
	size_t i;

	if (!needs_escape(c, also)) {
		memcpy(form, c->bytes, c->length);
		form[c->length] = '\0';
		return 1;
	}
	for (i = 0; i < c->length; i++)
		snprintf(form + 4 * i, MAX_FORM_SIZE - 4 * i, "\\x%02x", c->bytes[i]);
	return 4 * c->length;
}

void untrusted_text__write(FILE *out, const char *text, const char *also)
{
	char form[MAX_FORM_SIZE];
	struct character c;

	while (*text) {
		text = next_character(text, &c);
		escaped_form(&c, also, form);
		fputs(form, out);
	}
}

const char *untrusted_text__escape(const char *text, char *buffer, size_t size)
{
	char form[MAX_FORM_SIZE];
	struct character c;
	size_t used = 0, length;

	while (*text) {
		text = next_character(text, &c);
		escaped_form(&c, NULL, form);
		length = strlen(form);
		if (used + length >= size)
			break;
		memcpy(buffer + used, form, length);
		used += length;
	}
	buffer[used] = '\0';
	return buffer;
}

size_t untrusted_text__shown_length(const char *text)
{
	char form[MAX_FORM_SIZE];
	struct character c;
	size_t shown = 0;

	while (*text) {
		text = next_character(text, &c);
		shown += escaped_form(&c, NULL, form);
	}
	return shown;
}

static const char *xml_reference(unsigned int code_point)
{
	switch (code_point) {
	case '&':
		return "&amp;";
	case '<':
		return "&lt;";
	case '>':
		return "&gt;";
	case '"':
		return "&quot;";
	case '\'':
		return "&#39;";
	default:
		return NULL;
	}
}

/*
 * XML 1.0 cannot carry most controls even as character references, so they
 * get the same \xNN as everywhere else: the flame graph shows a name exactly
 * as the text report does.
 */
void untrusted_text__write_xml(FILE *out, const char *text, size_t max_shown)
{
	char form[MAX_FORM_SIZE];
	const char *reference;
	struct character c;
	size_t shown = 0, width;

	while (*text) {
		text = next_character(text, &c);
		width = escaped_form(&c, NULL, form);
		if (width > max_shown - shown)
			return;
		shown += width;
		reference = xml_reference(c.code_point);
		fputs(reference ? reference : form, out);
	}
}

void untrusted_text__write_json(FILE *out, const char *text)
{
	struct character c;

	fputc('"', out);
	while (*text) {
		text = next_character(text, &c);
		if (!c.valid)
			fputs("\\ufffd", out);
		else if (is_unsafe(&c))
			fprintf(out, "\\u%04x", c.code_point);	/* every unsafe one is below U+10000 */
		else if (c.code_point == '"' || c.code_point == '\\')
			fprintf(out, "\\%c", c.code_point);
		else
			fwrite(c.bytes, 1, c.length, out);
	}
	fputc('"', out);
}
