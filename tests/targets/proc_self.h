/*
 * A file of /proc/self read whole, for the figures the kernel gives nowhere
 * else. Into the caller's buffer, with open and read alone: reading it
 * allocates nothing, so it moves none of the memory figures it reads.
 */
#ifndef PROC_SELF_H
#define PROC_SELF_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* /proc/self/<name> into `text`, NUL-terminated; aborts if it cannot be read. */
static inline void proc_self_read(const char *name, char *text, size_t size)
{
	char path[64];
	int fd;
	ssize_t got;

	snprintf(path, sizeof(path), "/proc/self/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	got = fd < 0 ? -1 : read(fd, text, size - 1);
	if (got <= 0)
		abort();
	close(fd);
	text[got] = '\0';
}

#endif
