/* Strict parsing of numbers given on the command line. */
#ifndef PARSE_H
#define PARSE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The whole of `text` as a decimal integer in [min, max]. Returns false for
 * anything else: empty, signs, trailing characters, out of range.
 */
bool parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *value);

#endif
