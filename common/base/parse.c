#include "base/parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>

bool parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *value)
{
	unsigned long long parsed;
	char *end;

	/* strtoull accepts leading blanks and a minus sign; we do not. */
	if (!text || !isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	parsed = strtoull(text, &end, 10);
	if (errno || *end || parsed < min || parsed > max)
		return false;
	*value = parsed;
	return true;
}
