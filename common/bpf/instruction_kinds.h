/*
 * The kinds of x86-64 instruction a uprobe may sit on, as the kernel tells them
 * apart: some it emulates (cheap), the rest it single-steps out of line (about
 * twenty times dearer). Which ones it emulates depends on the kernel, so it is
 * measured (uprobe_calibration.h), not assumed.
 */
#ifndef INSTRUCTION_KINDS_H
#define INSTRUCTION_KINDS_H

#include <stdbool.h>

enum instruction_kind {
	KIND_PUSH,		/* push %reg */
	KIND_PUSH_REX,		/* push %r8..%r15 (REX.B prefix) */
	KIND_JCC_SHORT,		/* jcc rel8 */
	KIND_JCC_NEAR,		/* jcc rel32 */
	KIND_JMP_SHORT,		/* jmp rel8 */
	KIND_JMP_NEAR,		/* jmp rel32 */
	KIND_CALL,		/* call rel32 */
	KIND_NOP,		/* nop (0x90) */
	KIND_NOP5,		/* nopl 0x0(%rax,%rax,1): the 5-byte nop */
	KIND_NOP_MULTI,		/* other multi-byte nops (0f 1f) */
	KIND_ENDBR64,
	KIND_OTHER,		/* everything else: single-stepped */
	INSTRUCTION_KINDS,
};

/* Which kinds the running kernel emulates, with what a hit of each cost. */
struct emulation {
	bool emulated[INSTRUCTION_KINDS];
	double ns_per_hit[INSTRUCTION_KINDS];
	double ns_per_return;	/* what a return probe adds to its function's entry hit */
};

const char *instruction_kind_name(enum instruction_kind kind);

#endif
