#include "process/elf_functions.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

Elf *elf_open(const char *path, int *fd)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return NULL;
	/*
	 * Read, not mapped: the target may truncate its own file while we scan
	 * it, and a mapping would then kill the tool with SIGBUS.
	 */
	elf = elf_begin(*fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		close(*fd);
		errno = ENOEXEC;
		return NULL;
	}
	return elf;
}

/* Maps a link-time address to its offset in the file through PT_LOAD. */
static int address_to_file_offset(Elf *elf, uint64_t address, uint64_t *offset)
{
	size_t count, i;
	GElf_Phdr header;

	if (elf_getphdrnum(elf, &count))
		return -ENOEXEC;
	for (i = 0; i < count; i++) {
		if (!gelf_getphdr(elf, i, &header) || header.p_type != PT_LOAD)
			continue;
		if (address >= header.p_vaddr && address - header.p_vaddr < header.p_filesz) {
			*offset = address - header.p_vaddr + header.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

static int find_in_table(Elf *elf, Elf_Scn *section, const GElf_Shdr *header,
			 const char *const names[], size_t count, struct elf_function found[])
{
	Elf_Data *data = elf_getdata(section, NULL);
	size_t symbols, i, n;
	int newly_found = 0;
	GElf_Sym symbol;
	const char *name;

	if (!data || !header->sh_entsize)
		return 0;
	symbols = header->sh_size / header->sh_entsize;
	for (i = 0; i < symbols; i++) {
		if (!gelf_getsym(data, i, &symbol) || symbol.st_shndx == SHN_UNDEF ||
		    GELF_ST_TYPE(symbol.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(elf, header->sh_link, symbol.st_name);
		if (!name)
			continue;
		for (n = 0; n < count; n++) {
			if (found[n].found || strcmp(name, names[n]))
				continue;
			if (address_to_file_offset(elf, symbol.st_value, &found[n].file_offset))
				continue;
			found[n].address = symbol.st_value;
			found[n].size = symbol.st_size;
			found[n].found = 1;
			newly_found++;
		}
	}
	return newly_found;
}

int elf_find_functions(const char *path, const char *const names[], size_t count,
		       struct elf_function found[])
{
	Elf_Scn *section = NULL;
	GElf_Shdr header;
	int total = 0, fd;
	Elf *elf;

	memset(found, 0, count * sizeof(*found));
	elf = elf_open(path, &fd);
	if (!elf)
		return -errno;
	while ((section = elf_nextscn(elf, section))) {
		if (!gelf_getshdr(section, &header))
			continue;
		if (header.sh_type == SHT_SYMTAB || header.sh_type == SHT_DYNSYM)
			total += find_in_table(elf, section, &header, names, count, found);
	}
	elf_end(elf);
	close(fd);
	return total;
}

int elf_interpreter(const char *path, char *interpreter, size_t size)
{
	size_t count, i, length;
	int result = -ENOENT, fd;
	const char *file;
	GElf_Phdr header;
	size_t file_size;
	Elf *elf;

	elf = elf_open(path, &fd);
	if (!elf)
		return -errno;
	file = elf_rawfile(elf, &file_size);
	if (!file || elf_getphdrnum(elf, &count))
		count = 0;
	for (i = 0; i < count; i++) {
		if (!gelf_getphdr(elf, i, &header) || header.p_type != PT_INTERP)
			continue;
		if (header.p_offset >= file_size || header.p_filesz > file_size - header.p_offset) {
			result = -ENOEXEC;
			break;
		}
		length = strnlen(file + header.p_offset, header.p_filesz);
		if (length == 0 || length >= size) {
			result = -ENAMETOOLONG;
			break;
		}
		memcpy(interpreter, file + header.p_offset, length);
		interpreter[length] = '\0';
		result = 0;
		break;
	}
	elf_end(elf);
	close(fd);
	return result;
}

int elf_address_of_offset(const char *path, uint64_t file_offset, uint64_t *address)
{
	GElf_Phdr header;
	size_t count, i;
	int fd, err = -ENOENT;
	Elf *elf;

	elf = elf_open(path, &fd);
	if (!elf)
		return -errno;
	if (elf_getphdrnum(elf, &count))
		err = -ENOEXEC;
	for (i = 0; err == -ENOENT && i < count; i++) {
		if (!gelf_getphdr(elf, i, &header) || header.p_type != PT_LOAD)
			continue;
		/* The kernel maps whole pages: the mapping may start before the segment. */
		if (file_offset >= (header.p_offset & ~0xfffULL) &&
		    file_offset < header.p_offset + header.p_filesz) {
			*address = file_offset - header.p_offset + header.p_vaddr;
			err = 0;
		}
	}
	elf_end(elf);
	close(fd);
	return err;
}
