/*
 * A name the target chose, written as the text report, folded stacks and the
 * flame graph write it. Whatever its bytes, the text form must hold no
 * control byte and must decode (every \xNN back to its byte) to the very
 * name; the folded form must hold no frame separator; the XML form no raw
 * markup; and the length a label is cut to must count the characters shown.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/untrusted_text.h"

/* `write` applied to `name`, as a heap string. */
static char *written(const char *name, const char *also, int xml, size_t max_shown)
{
	char *output = NULL;
	size_t size;
	FILE *out = open_memstream(&output, &size);

	if (!out)
		abort();
	if (xml)
		untrusted_text__write_xml(out, name, max_shown);
	else
		untrusted_text__write(out, name, also);
	fclose(out);
	return output;
}

static int hex_value(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Every \xNN back to its byte; aborts on a backslash that starts no escape. */
static void check_decodes_to(const char *text, const char *name)
{
	size_t length = strlen(text), i, o = 0;
	char *decoded = malloc(length + 1);

	for (i = 0; i < length; i++) {
		if (text[i] != '\\') {
			decoded[o++] = text[i];
			continue;
		}
		if (text[i + 1] != 'x' || hex_value(text[i + 2]) < 0 || hex_value(text[i + 3]) < 0)
			abort();
		decoded[o++] = (char)(hex_value(text[i + 2]) << 4 | hex_value(text[i + 3]));
		i += 3;
	}
	decoded[o] = '\0';
	if (strcmp(decoded, name))
		abort();
	free(decoded);
}

/* Characters in `text`, which is valid UTF-8 once escaped: its bytes that start one. */
static size_t characters(const char *text)
{
	size_t count = 0;

	for (; *text; text++)
		count += ((unsigned char)*text & 0xc0) != 0x80;
	return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *text, *folded, *xml, *label;
	const unsigned char *c;

	memcpy(name, data, size);
	name[size] = '\0';
	text = written(name, NULL, 0, 0);
	folded = written(name, ";", 0, 0);
	xml = written(name, NULL, 1, SIZE_MAX);
	label = written(name, NULL, 1, size / 2);
	for (c = (const unsigned char *)text; *c; c++) {
		if (*c < 0x20 || *c == 0x7f)
			abort();
	}
	check_decodes_to(text, name);
	check_decodes_to(folded, name);
	if (strchr(folded, ';') || strpbrk(xml, "<>\"'") || strpbrk(label, "<>\"'"))
		abort();
	if (untrusted_text__shown_length(name) != characters(text))
		abort();
	free(text);
	free(folded);
	free(xml);
	free(label);
	free(name);
	return 0;
}
