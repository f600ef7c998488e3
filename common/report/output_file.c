#include "report/output_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/errors.h"

struct output_file {
	char *path;
	char *temporary;	/* NULL once renamed over `path` */
	FILE *stream;
};

/* "dir/.name.XXXXXX" for "dir/name": hidden, and in the same file system, as rename needs. */
static char *temporary_template(const char *path)
{
	const char *slash = strrchr(path, '/');
	int directory_length = slash ? (int)(slash - path + 1) : 0;
	char *name;

	if (asprintf(&name, "%.*s.%s.XXXXXX", directory_length, path, path + directory_length) < 0)
		return NULL;
	return name;
}

/* A directory cannot be replaced by a file: say so now rather than after tracing. */
static int check_not_directory(const char *path)
{
	const char *slash = strrchr(path, '/');
	struct stat status;

	if (!*path || (slash && !slash[1]) || (!lstat(path, &status) && S_ISDIR(status.st_mode)))
		return -EISDIR;
	return 0;
}

/* mkostemp makes the file 0600; a report is made as fopen would make it. */
static int set_usual_mode(int fd)
{
	mode_t mask = umask(0);

	umask(mask);
	return fchmod(fd, 0666 & ~mask) ? -errno : 0;
}

struct output_file *output_file__create(const char *path, const char *option)
{
	struct output_file *file = calloc(1, sizeof(*file));
	char *template = temporary_template(path);
	int fd = -1, err = -ENOMEM;

	if (!file || !template)
		goto fail;
	file->path = strdup(path);
	if (!file->path)
		goto fail;
	err = check_not_directory(path);
	if (err)
		goto fail;
	fd = mkostemp(template, O_CLOEXEC);	/* a -c command must not inherit it */
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	file->temporary = template;	/* ours from here on: output_file__free removes it */
	template = NULL;
	err = set_usual_mode(fd);
	if (err)
		goto fail;
	file->stream = fdopen(fd, "w");
	if (!file->stream) {
		err = -errno;
		goto fail;
	}
	return file;
fail:
	print_error("cannot write %s: %s (choose a writable path for %s)", path, strerror(-err),
		    option);
	if (fd >= 0)
		close(fd);
	free(template);
	output_file__free(file);
	return NULL;
}

FILE *output_file__stream(struct output_file *file)
{
	return file->stream;
}

int output_file__commit(struct output_file *file)
{
	int err = ferror(file->stream) ? -EIO : 0;

	if (fclose(file->stream) && !err)
		err = -errno;
	file->stream = NULL;
	if (!err && rename(file->temporary, file->path))
		err = -errno;
	if (err) {
		print_error("cannot write %s: %s", file->path, strerror(-err));
		return err;
	}
	free(file->temporary);
	file->temporary = NULL;
	return 0;
}

void output_file__free(struct output_file *file)
{
	if (!file)
		return;
	if (file->stream)
		fclose(file->stream);
	if (file->temporary)
		unlink(file->temporary);
	free(file->temporary);
	free(file->path);
	free(file);
}
