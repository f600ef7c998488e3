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

int proc_stat__read(pid_t pid, char *line, size_t size)
{
	char path[64];
	size_t length;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return -errno;
	length = fread(line, 1, size - 1, file);
	fclose(file);
	line[length] = '\0';
	return length ? (int)length : -EIO;
}

bool proc_stat__field(const char *line, int number, unsigned long long *value)
{
	/* Field 3 starts after the last ')', whatever the command name holds. */
	const char *field = strrchr(line, ')');

	for (int at = 2; field && at < number; at++)
		field = strchr(field + 1, ' ');
	return field && number >= 3 && sscanf(field, " %llu", value) == 1;
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

long proc_status__read(pid_t pid, const char *field)
{
	char path[64], line[256];
	long value = -1;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return -1;
	while (fgets(line, sizeof(line), file)) {
		if (proc_status__field(line, field, &value))
			break;
	}
	fclose(file);
	return value;
}

bool proc_comm__read(pid_t pid, char *comm, size_t size)
{
	char path[64];
	size_t length;
	FILE *file;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	file = fopen(path, "re");
	if (!file)
		return false;
	/* The whole file is the name, less the newline the kernel ends it with. */
	length = fread(comm, 1, size - 1, file);
	fclose(file);
	if (length && comm[length - 1] == '\n')
		length--;
	comm[length] = '\0';
	return true;
}
