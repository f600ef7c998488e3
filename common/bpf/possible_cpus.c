#include "bpf/possible_cpus.h"

#include <errno.h>
#include <stdio.h>

int possible_cpus(void)
{
	FILE *file = fopen("/sys/devices/system/cpu/possible", "re");
	int first, last, highest = -1;
	char separator;

	if (!file)
		return -errno;
	while (fscanf(file, "%d", &first) == 1) {
		last = first;
		if (fscanf(file, "%c", &separator) == 1 && separator == '-' &&
		    fscanf(file, "%d%c", &last, &separator) < 1)
			break;
		if (last > highest)
			highest = last;
		if (separator != ',')
			break;
	}
	fclose(file);
	return highest >= 0 ? highest + 1 : -EINVAL;
}
