#include "base/errors.h"

#include <stdarg.h>
#include <stdio.h>

const char *program_name = "memstacks";

static void print_prefixed(const char *prefix, const char *format, va_list args)
{
	fprintf(stderr, "%s: %s", program_name, prefix);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

void print_error(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	print_prefixed("", format, args);
	va_end(args);
}

void print_warning(const char *format, ...)
{
	va_list args;

	va_start(args, format);
	print_prefixed("warning: ", format, args);
	va_end(args);
}
