/*
 * Included first (-include) to build a target against a jemalloc whose public
 * names carry the je_ prefix, as one built with --with-jemalloc-prefix=je_
 * (redis's bundled jemalloc): the target's calls become je_malloc,
 * je_mallocx, ... and glibc's malloc stays the process's malloc.
 */
#define JEMALLOC_NO_RENAME
#include <jemalloc/jemalloc.h>

#define malloc je_malloc
#define mallocx je_mallocx
#define rallocx je_rallocx
#define xallocx je_xallocx
#define sdallocx je_sdallocx
#define dallocx je_dallocx
#define sallocx je_sallocx
#define nallocx je_nallocx
#define malloc_usable_size je_malloc_usable_size
