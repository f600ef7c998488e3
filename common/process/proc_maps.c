#include "process/proc_maps.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool map_entry__parse(char *line, struct map_entry *entry)
{
	char perms[5];
	int path_start = 0;
	size_t length;

	/* start-end perms offset dev inode path; the path may hold spaces. */
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %" SCNu64 " %n", &entry->start,
		   &entry->end, perms, &entry->file_offset, &entry->inode, &path_start) != 5 ||
	    !path_start)
		return false;
	/* Callers subtract start from end; the flags below read all four letters. */
	if (entry->end < entry->start || strlen(perms) != 4)
		return false;
	length = strlen(line);
	if (length && line[length - 1] == '\n')
		line[length - 1] = '\0';
	entry->executable = perms[2] == 'x';
	entry->shared = perms[3] == 's';
	entry->path = line + path_start;
	return true;
}

bool map_entry__file_path(pid_t pid, const struct map_entry *entry, char *file, size_t size)
{
	struct stat status;

	snprintf(file, size, "/proc/%d/root%s", (int)pid, entry->path);
	/*
	 * The inode alone: on overlayfs maps gives the lower file's device, and
	 * a mapped inode cannot have been freed and reused.
	 */
	if (!stat(file, &status) && status.st_ino == entry->inode)
		return true;
	snprintf(file, size, "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, (int)pid, entry->start,
		 entry->end);
	return false;
}

int proc_maps__foreach(pid_t pid, map_entry_fn fn, void *context)
{
	char maps_path[64];
	struct map_entry entry;
	char *line = NULL;
	size_t capacity = 0;
	int result = 0;
	FILE *maps;

	snprintf(maps_path, sizeof(maps_path), "/proc/%d/maps", (int)pid);
	maps = fopen(maps_path, "re");
	if (!maps)
		return -errno;
	while (!result && getline(&line, &capacity, maps) > 0) {
		if (map_entry__parse(line, &entry))
			result = fn(&entry, context);
	}
	free(line);
	fclose(maps);
	return result;
}
