/* One-line diagnostics on stderr, prefixed with the tool's name. */
#ifndef ERRORS_H
#define ERRORS_H

/* Set once by main: "memstacks" or "pgfaultstacks". */
extern const char *program_name;

/* "<tool>: <message>\n" on stderr. Say what failed and how to fix it. */
void print_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* "<tool>: warning: <message>\n" on stderr. */
void print_warning(const char *format, ...) __attribute__((format(printf, 1, 2)));

#endif
