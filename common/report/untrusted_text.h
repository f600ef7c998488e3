/*
 * Text the traced process controls (symbol names, its comm, paths it maps),
 * written as data: it can never drive a terminal, forge a line or a field of
 * our output, or become markup. Every writer of every format goes through here.
 *
 * The escape, wherever one is needed outside JSON, is \xNN for each byte of a
 * character that is unsafe: a C0 or C1 control, DEL, a character that
 * reorders or breaks lines (bidirectional overrides and isolates, U+2028,
 * U+2029), a byte that is not part of valid UTF-8, and the backslash itself.
 * Since a backslash is always escaped, replacing every \xNN by its byte gives
 * back the original bytes exactly.
 */
#ifndef UNTRUSTED_TEXT_H
#define UNTRUSTED_TEXT_H

#include <stddef.h>
#include <stdio.h>

/*
 * `text` with its unsafe characters escaped, and also any ASCII character in
 * `also` (NULL for none): folded stacks pass ";", their frame separator.
 */
void untrusted_text__write(FILE *out, const char *text, const char *also);

/* The same into `buffer`, for messages; cut at a character if it does not fit. Returns `buffer`. */
const char *untrusted_text__escape(const char *text, char *buffer, size_t size);

/*
 * XML character data or attribute value: escaped as above, then & < > " '
 * as references. Stops before the character that would make the shown text
 * longer than `max_shown` characters (SIZE_MAX: all of it).
 */
void untrusted_text__write_xml(FILE *out, const char *text, size_t max_shown);

/* How many characters untrusted_text__write shows for `text`. */
size_t untrusted_text__shown_length(const char *text);

/*
 * A JSON string, quotes included (RFC 8259), that holds `text` itself: unsafe
 * characters as \uXXXX escapes, which decode to the same character; a byte
 * that is not part of valid UTF-8 as U+FFFD, since JSON text is Unicode.
 */
void untrusted_text__write_json(FILE *out, const char *text);

#endif
