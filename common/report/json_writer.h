/* A small streaming JSON writer: commas, nesting and string escaping. */
#ifndef JSON_WRITER_H
#define JSON_WRITER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
	FILE *out;
	int depth;
	int has_items[JSON_MAX_DEPTH];
};

void json_writer__init(struct json_writer *writer, FILE *out);

/* `key` is NULL inside arrays and for the outermost value. */
void json_writer__begin_object(struct json_writer *writer, const char *key);
void json_writer__end_object(struct json_writer *writer);
void json_writer__begin_array(struct json_writer *writer, const char *key);
void json_writer__end_array(struct json_writer *writer);
void json_writer__string(struct json_writer *writer, const char *key, const char *value);
void json_writer__u64(struct json_writer *writer, const char *key, uint64_t value);
void json_writer__i64(struct json_writer *writer, const char *key, int64_t value);
/* A figure that is not known. */
void json_writer__null(struct json_writer *writer, const char *key);
void json_writer__bool(struct json_writer *writer, const char *key, bool value);
void json_writer__double(struct json_writer *writer, const char *key, double value);

#endif
