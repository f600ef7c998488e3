#include "unwind/byte_reader.h"

#include <errno.h>
#include <string.h>

struct byte_reader byte_reader__make(const unsigned char *data, size_t position, size_t end)
{
	struct byte_reader reader = {.data = data, .position = position, .end = end};

	if (reader.position > reader.end)
		reader.position = reader.end;
	return reader;
}

int byte_reader__sub(struct byte_reader *reader, uint64_t size, struct byte_reader *sub)
{
	if (size > byte_reader__left(reader))
		return -EINVAL;
	*sub = byte_reader__make(reader->data, reader->position, reader->position + size);
	reader->position += size;
	return 0;
}

int byte_reader__skip(struct byte_reader *reader, uint64_t size)
{
	if (size > byte_reader__left(reader))
		return -EINVAL;
	reader->position += size;
	return 0;
}

int byte_reader__unsigned(struct byte_reader *reader, unsigned size, uint64_t *value)
{
	uint64_t result = 0;
	unsigned i;

	if ((size != 1 && size != 2 && size != 4 && size != 8) || size > byte_reader__left(reader))
		return -EINVAL;
	for (i = 0; i < size; i++)
		result |= (uint64_t)reader->data[reader->position + i] << (8 * i);
	reader->position += size;
	*value = result;
	return 0;
}

int byte_reader__u8(struct byte_reader *reader, uint8_t *value)
{
	uint64_t wide = 0;
	int err = byte_reader__unsigned(reader, 1, &wide);

	*value = (uint8_t)wide;
	return err;
}

int byte_reader__u32(struct byte_reader *reader, uint32_t *value)
{
	uint64_t wide = 0;
	int err = byte_reader__unsigned(reader, 4, &wide);

	*value = (uint32_t)wide;
	return err;
}

int byte_reader__u64(struct byte_reader *reader, uint64_t *value)
{
	return byte_reader__unsigned(reader, 8, value);
}

/* Reads one LEB128 number: its bits (past the 64th dropped), and how many bits it had. */
static int read_leb128(struct byte_reader *reader, uint64_t *value, unsigned *bits)
{
	uint64_t result = 0;
	unsigned shift = 0;
	uint8_t byte;

	do {
		if (byte_reader__u8(reader, &byte))
			return -EINVAL;
		if (shift < 64)
			result |= (uint64_t)(byte & 0x7f) << shift;
		shift += shift < 64 ? 7 : 0;
	} while (byte & 0x80);
	*value = result;
	*bits = shift;
	return 0;
}

int byte_reader__uleb128(struct byte_reader *reader, uint64_t *value)
{
	unsigned bits;

	return read_leb128(reader, value, &bits);
}

int byte_reader__sleb128(struct byte_reader *reader, int64_t *value)
{
	uint64_t result;
	unsigned bits;
	uint8_t last;

	if (read_leb128(reader, &result, &bits))
		return -EINVAL;
	last = reader->data[reader->position - 1];
	if (bits < 64 && (last & 0x40))
		result |= ~(uint64_t)0 << bits;
	*value = (int64_t)result;
	return 0;
}

int byte_reader__string(struct byte_reader *reader, const char **string)
{
	const unsigned char *start = reader->data + reader->position;
	const unsigned char *nul = memchr(start, 0, byte_reader__left(reader));

	if (!nul)
		return -EINVAL;
	*string = (const char *)start;
	reader->position += (size_t)(nul - start) + 1;
	return 0;
}
