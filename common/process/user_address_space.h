/* The size of a process's user address space: no allocation can be larger. */
#ifndef USER_ADDRESS_SPACE_H
#define USER_ADDRESS_SPACE_H

#include <stdint.h>

/* In bytes, for x86-64 processes on this machine. */
uint64_t user_address_space_bytes(void);

#endif
