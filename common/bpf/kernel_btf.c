#include "bpf/kernel_btf.h"

#include <errno.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

/* The bytes that follow a type's header, by its kind (include/uapi/linux/btf.h). */
static size_t trailing_bytes(const struct btf_type *type)
{
	uint32_t members = BTF_INFO_VLEN(type->info);

	switch (BTF_INFO_KIND(type->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return sizeof(uint32_t);
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return members * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return members * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return members * sizeof(struct btf_param);
	case BTF_KIND_DATASEC:
		return members * sizeof(struct btf_var_secinfo);
	case BTF_KIND_ENUM64:
		return members * sizeof(struct btf_enum64);
	default:
		return 0;
	}
}

static char *read_file(const char *path, size_t *size)
{
	FILE *file = fopen(path, "re");
	size_t capacity = 1 << 20, length = 0, got;
	char *data = NULL, *grown;

	if (!file)
		return NULL;
	do {
		capacity *= 2;
		grown = realloc(data, capacity);
		if (!grown) {
			free(data);
			fclose(file);
			errno = ENOMEM;
			return NULL;
		}
		data = grown;
		got = fread(data + length, 1, capacity - length, file);
		length += got;
	} while (length == capacity);
	fclose(file);
	*size = length;
	return data;
}

/* Looks through the types for the member; the section bounds are checked as it goes. */
static int find_member(const char *data, size_t size, const char *struct_name,
		       const char *member, uint32_t *offset)
{
	const struct btf_header *header = (const void *)data;
	const char *types, *strings, *end;

	if (size < sizeof(*header) || header->magic != BTF_MAGIC ||
	    (size_t)header->hdr_len + header->str_off + header->str_len > size ||
	    (size_t)header->hdr_len + header->type_off + header->type_len > size)
		return -EINVAL;
	types = data + header->hdr_len + header->type_off;
	end = types + header->type_len;
	strings = data + header->hdr_len + header->str_off;
	while (types + sizeof(struct btf_type) <= end) {
		const struct btf_type *type = (const void *)types;
		const struct btf_member *members = (const void *)(type + 1);
		uint32_t i, count = BTF_INFO_VLEN(type->info);

		types += sizeof(*type) + trailing_bytes(type);
		if (types > end)
			return -EINVAL;
		if (BTF_INFO_KIND(type->info) != BTF_KIND_STRUCT || type->name_off >= header->str_len ||
		    strcmp(strings + type->name_off, struct_name))
			continue;
		for (i = 0; i < count; i++) {
			if (members[i].name_off < header->str_len &&
			    !strcmp(strings + members[i].name_off, member)) {
				uint32_t bits = members[i].offset;

				/* With kind_flag set, the top 8 bits are a bitfield's size. */
				if (BTF_INFO_KFLAG(type->info))
					bits = BTF_MEMBER_BIT_OFFSET(bits);
				*offset = bits / 8;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int kernel_btf__member_offset(const char *struct_name, const char *member, uint32_t *offset)
{
	size_t size = 0;
	char *data = read_file(VMLINUX_BTF, &size);
	int err;

	if (!data)
		return errno == ENOENT ? -ENOENT : -errno;
	err = find_member(data, size, struct_name, member, offset);
	free(data);
	return err;
}
