/* Lines of /proc/PID/stat and /proc/PID/status, whose command name the target sets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "process/proc_fields.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* As fgets() leaves them: NUL-terminated. */
	char *line = malloc(size + 1);
	unsigned long long number;
	unsigned long flags;
	long value;
	char state;

	memcpy(line, data, size);
	line[size] = '\0';
	proc_stat__parse(line, &state, &flags);
	proc_stat__field(line, PROC_STAT_STARTTIME, &number);
	proc_status__field(line, "Tgid", &value);
	proc_status__field(line, "VmRSS", &value);
	free(line);
	return 0;
}
