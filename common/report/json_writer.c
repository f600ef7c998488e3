#include "report/json_writer.h"

#include "report/untrusted_text.h"

/* Comma and key before a value, at the current nesting level. */
static void begin_value(struct json_writer *writer, const char *key)
{
	if (writer->has_items[writer->depth])
		fputc(',', writer->out);
	writer->has_items[writer->depth] = 1;
	if (key) {
		untrusted_text__write_json(writer->out, key);
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
	untrusted_text__write_json(writer->out, value);
}

void json_writer__u64(struct json_writer *writer, const char *key, uint64_t value)
{
	begin_value(writer, key);
	fprintf(writer->out, "%llu", (unsigned long long)value);
}

void json_writer__i64(struct json_writer *writer, const char *key, int64_t value)
{
	begin_value(writer, key);
	fprintf(writer->out, "%lld", (long long)value);
}

void json_writer__null(struct json_writer *writer, const char *key)
{
	begin_value(writer, key);
	fputs("null", writer->out);
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
