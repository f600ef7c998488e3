/*
 * Bounds-checked reads of little-endian integers and LEB128 numbers from a
 * byte range that the object's builder (or an attacker) wrote: every read
 * fails with -EINVAL rather than pass the end of its range.
 */
#ifndef BYTE_READER_H
#define BYTE_READER_H

#include <stddef.h>
#include <stdint.h>

struct byte_reader {
	const unsigned char *data;	/* the whole buffer: positions are offsets into it */
	size_t position;
	size_t end;			/* reads stop here */
};

/* A reader of data[position, end); end must not pass the buffer. */
struct byte_reader byte_reader__make(const unsigned char *data, size_t position, size_t end);

/* The next `size` bytes as a reader of their own; the parent moves past them. */
int byte_reader__sub(struct byte_reader *reader, uint64_t size, struct byte_reader *sub);

int byte_reader__skip(struct byte_reader *reader, uint64_t size);
int byte_reader__u8(struct byte_reader *reader, uint8_t *value);
int byte_reader__u32(struct byte_reader *reader, uint32_t *value);
int byte_reader__u64(struct byte_reader *reader, uint64_t *value);
/* An unsigned integer of `size` bytes: 1, 2, 4 or 8. */
int byte_reader__unsigned(struct byte_reader *reader, unsigned size, uint64_t *value);
/* Bits past the 64th are dropped: a padded LEB128 is still read to its end. */
int byte_reader__uleb128(struct byte_reader *reader, uint64_t *value);
int byte_reader__sleb128(struct byte_reader *reader, int64_t *value);
/* A NUL-terminated string inside the range. */
int byte_reader__string(struct byte_reader *reader, const char **string);

static inline size_t byte_reader__left(const struct byte_reader *reader)
{
	return reader->end - reader->position;
}

#endif
