#include "process/proc_fields.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool proc_stat__parse(const char *line, char *state, unsigned long *flags)
{
	/* The last ')' ends the command name: the name cannot fake the fields after it. */
	const char *after_comm = strrchr(line, ')');

	return after_comm &&
	       sscanf(after_comm + 1, " %c %*d %*d %*d %*d %*d %lu", state, flags) == 2;
}

bool proc_status__field(const char *line, const char *field, long *value)
{
	size_t length = strlen(field);
	const char *number = line + length + 1;
	char *end;
	long parsed;

	if (strncmp(line, field, length) || line[length] != ':')
		return false;
	errno = 0;
	parsed = strtol(number, &end, 10);
	if (errno || end == number)
		return false;
	*value = parsed;
	return true;
}
