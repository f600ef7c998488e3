/* The floor: a uprobe whose program does nothing. */
#include <uapi/linux/ptrace.h>

int empty_probe(struct pt_regs *ctx)
{
	return 0;
}
