#include "json_writer.h"

/* The length of the well-formed UTF-8 sequence (RFC 3629) that starts at `c`, or 0. */
static size_t utf8_sequence_length(const unsigned char *c)
{
	static const uint32_t smallest[] = {0, 0, 0x80, 0x800, 0x10000};
	size_t length, i;
	uint32_t code;

	if (*c < 0x80)
		return 1;
	if ((*c & 0xe0) == 0xc0)
		length = 2, code = *c & 0x1f;
	else if ((*c & 0xf0) == 0xe0)
		length = 3, code = *c & 0x0f;
	else if ((*c & 0xf8) == 0xf0)
		length = 4, code = *c & 0x07;
	else
		return 0;
	for (i = 1; i < length; i++) {
		if ((c[i] & 0xc0) != 0x80)	/* the terminating NUL stops here too */
			return 0;
		code = code << 6 | (c[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past Unicode are not UTF-8. */
	if (code < smallest[length] || (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
		return 0;
	return length;
}

/*
 * Frame names come from the target's symbol tables, where any byte but NUL
 * may stand: a byte that is not UTF-8 becomes U+FFFD, as JSON requires UTF-8.
 */
static void write_escaped(FILE *out, const char *text)
{
	const unsigned char *c = (const unsigned char *)text;
	size_t length;

	fputc('"', out);
	while (*c) {
		length = utf8_sequence_length(c);
		if (*c == '"' || *c == '\\')
			fprintf(out, "\\%c", *c);
		else if (*c < 0x20 || *c == 0x7f)
			fprintf(out, "\\u%04x", *c);
		else if (length)
			fwrite(c, 1, length, out);
		else
			fputs("\\ufffd", out);
		c += length ? length : 1;
	}
	fputc('"', out);
}

/* Comma and key before a value, at the current nesting level. */
static void begin_value(struct json_writer *writer, const char *key)
{
	if (writer->has_items[writer->depth])
		fputc(',', writer->out);
	writer->has_items[writer->depth] = 1;
	if (key) {
		write_escaped(writer->out, key);
		fputc(':', writer->out);
	}
}

static void open_level(struct json_writer *writer, const char *key, char bracket)
{
	begin_value(writer, key);
	fputc(bracket, writer->out);
	if (writer->depth + 1 < JSON_MAX_DEPTH)
		writer->depth++;
	writer->has_items[writer->depth] = 0;
}

static void close_level(struct json_writer *writer, char bracket)
{
	if (writer->depth > 0)
		writer->depth--;
	fputc(bracket, writer->out);
	if (writer->depth == 0)
		fputc('\n', writer->out);
}

void json_writer__init(struct json_writer *writer, FILE *out)
{
	writer->out = out;
	writer->depth = 0;
	writer->has_items[0] = 0;
}

void json_writer__begin_object(struct json_writer *writer, const char *key)
{
	open_level(writer, key, '{');
}

void json_writer__end_object(struct json_writer *writer)
{
	close_level(writer, '}');
}

void json_writer__begin_array(struct json_writer *writer, const char *key)
{
	open_level(writer, key, '[');
}

void json_writer__end_array(struct json_writer *writer)
{
	close_level(writer, ']');
}

void json_writer__string(struct json_writer *writer, const char *key, const char *value)
{
	begin_value(writer, key);
	write_escaped(writer->out, value);
}

void json_writer__u64(struct json_writer *writer, const char *key, uint64_t value)
{
	begin_value(writer, key);
	fprintf(writer->out, "%llu", (unsigned long long)value);
}

void json_writer__double(struct json_writer *writer, const char *key, double value)
{
	begin_value(writer, key);
	fprintf(writer->out, "%.3f", value);
}

void json_writer__bool(struct json_writer *writer, const char *key, bool value)
{
	begin_value(writer, key);
	fputs(value ? "true" : "false", writer->out);
}
