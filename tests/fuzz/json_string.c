/*
 * A frame name written into --json output. Names come from the target's
 * symbol tables, where any byte but NUL may stand: the output must stay valid
 * JSON (RFC 8259: escaped controls and quotes, well-formed UTF-8) whatever
 * the name.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_writer.h"

/* The length of the well-formed UTF-8 sequence at `c`, or 0: an independent reading of RFC 3629. */
static size_t valid_utf8(const unsigned char *c)
{
	if (c[0] < 0x80)
		return 1;
	if (c[0] >= 0xc2 && c[0] <= 0xdf)
		return (c[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c[0] >= 0xe0 && c[0] <= 0xef) {
		bool second_ok = c[0] == 0xe0 ? c[1] >= 0xa0 && c[1] <= 0xbf :
				 c[0] == 0xed ? c[1] >= 0x80 && c[1] <= 0x9f :
						(c[1] & 0xc0) == 0x80;
		return second_ok && (c[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c[0] >= 0xf0 && c[0] <= 0xf4) {
		bool second_ok = c[0] == 0xf0 ? c[1] >= 0x90 && c[1] <= 0xbf :
				 c[0] == 0xf4 ? c[1] >= 0x80 && c[1] <= 0x8f :
						(c[1] & 0xc0) == 0x80;
		return second_ok && (c[2] & 0xc0) == 0x80 && (c[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

/* The end of the JSON string starting at the quote `c`, or NULL if it is not one. */
static const unsigned char *json_string_end(const unsigned char *c)
{
	size_t length;

	if (*c++ != '"')
		return NULL;
	while (*c != '"') {
		if (*c == '\\') {
			if (c[1] == 'u') {
				if (strspn((const char *)c + 2, "0123456789abcdefABCDEF") < 4)
					return NULL;
				c += 6;
			} else if (c[1] && strchr("\"\\/bfnrt", c[1])) {
				c += 2;
			} else {
				return NULL;
			}
			continue;
		}
		if (*c < 0x20 || !(length = valid_utf8(c)))
			return NULL;
		c += length;
	}
	return c + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *name = malloc(size + 1), *output = NULL;
	const unsigned char *end;
	struct json_writer writer;
	size_t output_size;
	FILE *out;

	memcpy(name, data, size);
	name[size] = '\0';
	out = open_memstream(&output, &output_size);
	if (!out)
		abort();
	json_writer__init(&writer, out);
	json_writer__begin_array(&writer, NULL);
	json_writer__string(&writer, NULL, name);
	json_writer__end_array(&writer);
	fclose(out);
	end = output[0] == '[' ? json_string_end((const unsigned char *)output + 1) : NULL;
	if (!end || strcmp((const char *)end, "]\n"))
		abort();
	free(output);
	free(name);
	return 0;
}
