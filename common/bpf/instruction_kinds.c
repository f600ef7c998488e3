#include "bpf/instruction_kinds.h"

const char *instruction_kind_name(enum instruction_kind kind)
{
	static const char *const names[INSTRUCTION_KINDS] = {
		[KIND_PUSH] = "push",
		[KIND_PUSH_REX] = "push (REX)",
		[KIND_JCC_SHORT] = "jcc",
		[KIND_JCC_NEAR] = "jcc (near)",
		[KIND_JMP_SHORT] = "jmp",
		[KIND_JMP_NEAR] = "jmp (near)",
		[KIND_CALL] = "call",
		[KIND_NOP] = "nop",
		[KIND_NOP5] = "nop (5 bytes)",
		[KIND_NOP_MULTI] = "nop (multi-byte)",
		[KIND_ENDBR64] = "endbr64",
		[KIND_OTHER] = "other",
	};

	return kind < INSTRUCTION_KINDS ? names[kind] : "?";
}
