/* Finding named functions in an ELF object's symbol tables. */
#ifndef ELF_FUNCTIONS_H
#define ELF_FUNCTIONS_H

#include <stddef.h>
#include <stdint.h>

#include <libelf.h>

struct elf_function {
	uint64_t address;	/* st_value: the link-time virtual address */
	uint64_t size;
	uint64_t file_offset;	/* where a uprobe on its first byte goes */
	int found;
};

/*
 * Looks up each of `names` among the defined functions of `path`, in .symtab
 * and .dynsym, and fills `found[i]` for `names[i]` (found[i].found == 0 when
 * absent). Returns how many were found, or -errno when `path` is not a
 * readable ELF object.
 */
int elf_find_functions(const char *path, const char *const names[], size_t count,
		       struct elf_function found[]);

/*
 * Copies the program interpreter (PT_INTERP, e.g. the dynamic loader) of
 * `path` into `interpreter`. Returns 0, -ENOENT for a static executable, or
 * -errno when `path` cannot be read as ELF.
 */
int elf_interpreter(const char *path, char *interpreter, size_t size);

/*
 * Opens `path` as ELF, read into memory rather than mapped. NULL with errno
 * set (ENOEXEC: not ELF); on success *fd must be closed after elf_end().
 */
Elf *elf_open(const char *path, int *fd);

/*
 * The link-time virtual address that the byte at `file_offset` of `path` is
 * loaded at (through PT_LOAD). Returns 0, -ENOENT when no segment loads that
 * byte, or -errno when `path` cannot be read as ELF.
 */
int elf_address_of_offset(const char *path, uint64_t file_offset, uint64_t *address);

#endif
