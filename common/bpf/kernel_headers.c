#include "bpf/kernel_headers.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "base/errors.h"

#define KHEADERS_ARCHIVE "/sys/kernel/kheaders.tar.xz"

/* Where distributions install kernel headers, and the prefix before each tree's version. */
static const struct {
	const char *directory;
	const char *prefix;
} installed_places[] = {
	{"/usr/src/kernels", ""},		/* kernel-devel on RPM distributions */
	{"/usr/src", "linux-headers-"},		/* Debian and Ubuntu */
};

static bool has_kconfig(const char *tree)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/include/linux/kconfig.h", tree);
	return !access(path, R_OK);
}

/* A tree configured for a kernel: its generated headers are there. */
static bool is_configured(const char *tree)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/include/generated/autoconf.h", tree);
	return !access(path, R_OK);
}

/*
 * The source tree a Debian arch tree's Makefile includes ("include
 * /usr/src/linux-headers-V-common/Makefile"), into `tree`.
 */
static bool included_source_tree(const char *arch_tree, char *tree, size_t size)
{
	char path[PATH_MAX + 16], line[PATH_MAX + 16];
	char *slash;
	bool found = false;
	FILE *makefile;

	snprintf(path, sizeof(path), "%s/Makefile", arch_tree);
	makefile = fopen(path, "re");
	if (!makefile)
		return false;
	while (!found && fgets(line, sizeof(line), makefile)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "include /", strlen("include /")))
			continue;
		slash = strrchr(line, '/');
		*slash = '\0';
		if (strlen(line + strlen("include ")) >= size)
			continue;
		memcpy(tree, line + strlen("include "), strlen(line + strlen("include ")) + 1);
		found = has_kconfig(tree);
	}
	fclose(makefile);
	return found;
}

/* `directory` as headers to compile with: whole, or an arch tree beside its source tree. */
static bool take_tree(const char *directory, struct kernel_headers *headers)
{
	if (!is_configured(directory))
		return false;
	if (has_kconfig(directory)) {
		snprintf(headers->tree, sizeof(headers->tree), "%s", directory);
		headers->generated[0] = '\0';
		return true;
	}
	if (!included_source_tree(directory, headers->tree, sizeof(headers->tree)))
		return false;
	snprintf(headers->generated, sizeof(headers->generated), "%s", directory);
	return true;
}

/* The newest installed kernel's headers, by the version in their directory's name. */
static bool find_newest_installed(struct kernel_headers *headers)
{
	char newest[NAME_MAX + 1] = "", directory[PATH_MAX];
	struct kernel_headers candidate;
	bool found = false;
	size_t place;

	for (place = 0; place < sizeof(installed_places) / sizeof(installed_places[0]); place++) {
		const char *prefix = installed_places[place].prefix;
		DIR *listing = opendir(installed_places[place].directory);
		struct dirent *entry;

		while (listing && (entry = readdir(listing))) {
			const char *version = entry->d_name + strlen(prefix);

			if (entry->d_name[0] == '.' || strncmp(entry->d_name, prefix, strlen(prefix)) ||
			    (found && strverscmp(version, newest) <= 0))
				continue;
			snprintf(directory, sizeof(directory), "%s/%s",
				 installed_places[place].directory, entry->d_name);
			if (!take_tree(directory, &candidate))
				continue;
			*headers = candidate;
			snprintf(newest, sizeof(newest), "%s", version);
			found = true;
		}
		if (listing)
			closedir(listing);
	}
	headers->kind = HEADERS_OTHER_KERNEL;
	return found;
}

/* The running kernel's, where libbcc looks first: build/, or build/ and source/. */
static bool find_running_kernels(const char *release, struct kernel_headers *headers)
{
	char build[PATH_MAX], source[PATH_MAX];

	snprintf(build, sizeof(build), "/lib/modules/%s/build", release);
	snprintf(source, sizeof(source), "/lib/modules/%s/source", release);
	if (!has_kconfig(build) && !has_kconfig(source))
		return false;
	headers->kind = HEADERS_RUNNING_KERNEL;
	if (!realpath(build, headers->tree))
		snprintf(headers->tree, sizeof(headers->tree), "%s", build);
	return true;
}

static const char *debian_package_arch(const char *machine)
{
	if (!strcmp(machine, "x86_64"))
		return "amd64";
	if (!strcmp(machine, "aarch64"))
		return "arm64";
	return machine;
}

int kernel_headers__find(struct kernel_headers *headers)
{
	const char *from_environment = getenv("BCC_KERNEL_SOURCE");
	struct utsname kernel;

	*headers = (struct kernel_headers){0};
	uname(&kernel);
	if (from_environment) {
		headers->kind = HEADERS_FROM_ENVIRONMENT;
		snprintf(headers->tree, sizeof(headers->tree), "%s", from_environment);
		return 0;
	}
	if (find_running_kernels(kernel.release, headers) || find_newest_installed(headers))
		return 0;
	if (!access(KHEADERS_ARCHIVE, R_OK)) {
		headers->kind = HEADERS_IN_KERNEL;
		snprintf(headers->tree, sizeof(headers->tree), "%s", KHEADERS_ARCHIVE);
		return 0;
	}
	print_error("cannot compile the BPF program: no kernel headers are installed, for kernel %s or any other (install kernel-devel on RPM distributions, linux-headers-%s on Debian; any version will do)",
		    kernel.release, debian_package_arch(kernel.machine));
	return -ENOENT;
}

void kernel_headers__describe(const struct kernel_headers *headers, FILE *out)
{
	struct utsname kernel;

	uname(&kernel);
	fprintf(out, "%s: kernel headers: ", program_name);
	switch (headers->kind) {
	case HEADERS_RUNNING_KERNEL:
		fprintf(out, "%s, the running kernel's\n", headers->tree);
		break;
	case HEADERS_FROM_ENVIRONMENT:
		fprintf(out, "%s, as BCC_KERNEL_SOURCE says\n", headers->tree);
		break;
	case HEADERS_OTHER_KERNEL:
		fprintf(out, "%s%s%s, the newest installed: none are installed for the running kernel %s, and the programs use only the user-space ABI, the same in every kernel\n",
			headers->tree, headers->generated[0] ? " with " : "", headers->generated,
			kernel.release);
		break;
	case HEADERS_IN_KERNEL:
		fprintf(out, "%s, the kernel's own (none are installed), unpacked by libbcc\n",
			headers->tree);
		break;
	}
}

/* The kernel's name for the machine's architecture, as its arch/ directory has it. */
static const char *kernel_arch(const char *machine)
{
	if (!strcmp(machine, "x86_64") || (machine[0] == 'i' && !strcmp(machine + 2, "86")))
		return "x86";
	if (!strcmp(machine, "aarch64"))
		return "arm64";
	if (!strncmp(machine, "ppc", 3))
		return "powerpc";
	if (!strcmp(machine, "s390x"))
		return "s390";
	if (!strncmp(machine, "riscv", 5))
		return "riscv";
	return machine;
}

size_t kernel_headers__use(const struct kernel_headers *headers, char flags[][KERNEL_HEADERS_FLAG_SIZE])
{
	const char *generated = headers->generated;
	struct utsname kernel;
	const char *arch;

	if (headers->kind != HEADERS_OTHER_KERNEL)
		return 0;
	setenv("BCC_KERNEL_SOURCE", headers->tree, 1);
	if (!generated[0])
		return 0;
	/*
	 * libbcc adds the source tree's include directories; the generated
	 * headers (autoconf.h, version.h, the syscall numbers) are in the arch
	 * tree, searched after them.
	 */
	uname(&kernel);
	arch = kernel_arch(kernel.machine);
	snprintf(flags[0], KERNEL_HEADERS_FLAG_SIZE, "-I%s/arch/%s/include/generated/uapi", generated, arch);
	snprintf(flags[1], KERNEL_HEADERS_FLAG_SIZE, "-I%s/arch/%s/include/generated", generated, arch);
	snprintf(flags[2], KERNEL_HEADERS_FLAG_SIZE, "-I%s/include", generated);
	snprintf(flags[3], KERNEL_HEADERS_FLAG_SIZE, "-I%s/include/generated/uapi", generated);
	return KERNEL_HEADERS_MAX_FLAGS;
}

void kernel_headers__done(const struct kernel_headers *headers)
{
	if (headers->kind == HEADERS_OTHER_KERNEL)
		unsetenv("BCC_KERNEL_SOURCE");
}
