#include "bpf/probe_placement.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Instructions looked at before giving up on finding an emulated one. */
#define MAX_SKIPPED 16

/* Functions longer than this are probed at their entry: their code is not read whole. */
#define MAX_FUNCTION_CODE (256 * 1024)

/* The kind, as the kernel's uprobe code tells them apart by their bytes. */
static enum instruction_kind kind_of(const cs_insn *insn)
{
	const uint8_t *bytes = insn->bytes;

	switch (insn->size) {
	case 1:
		if (bytes[0] >= 0x50 && bytes[0] <= 0x57)
			return KIND_PUSH;
		if (bytes[0] == 0x90)
			return KIND_NOP;
		break;
	case 2:
		if (bytes[0] == 0x41 && bytes[1] >= 0x50 && bytes[1] <= 0x57)
			return KIND_PUSH_REX;
		if (bytes[0] >= 0x70 && bytes[0] <= 0x7f)
			return KIND_JCC_SHORT;
		if (bytes[0] == 0xeb)
			return KIND_JMP_SHORT;
		break;
	case 4:
		if (!memcmp(bytes, "\xf3\x0f\x1e\xfa", 4))
			return KIND_ENDBR64;
		break;
	case 5:
		if (bytes[0] == 0xe9)
			return KIND_JMP_NEAR;
		if (bytes[0] == 0xe8)
			return KIND_CALL;
		if (!memcmp(bytes, "\x0f\x1f\x44\x00\x00", 5))
			return KIND_NOP5;
		break;
	case 6:
		if (bytes[0] == 0x0f && bytes[1] >= 0x80 && bytes[1] <= 0x8f)
			return KIND_JCC_NEAR;
		break;
	}
	if (insn->id == X86_INS_NOP && insn->size > 1)
		return KIND_NOP_MULTI;
	return KIND_OTHER;
}

static bool changes_control_flow(const cs_insn *insn)
{
	const cs_detail *detail = insn->detail;
	uint8_t i;

	for (i = 0; i < detail->groups_count; i++) {
		switch (detail->groups[i]) {
		case X86_GRP_JUMP:
		case X86_GRP_CALL:
		case X86_GRP_RET:
		case X86_GRP_INT:
		case X86_GRP_IRET:
		case X86_GRP_BRANCH_RELATIVE:
			return true;
		}
	}
	return false;
}

/* The register families an instruction may not write before the probe. */
static unsigned family_of(x86_reg reg)
{
	switch (reg) {
	case X86_REG_RDI: case X86_REG_EDI: case X86_REG_DI: case X86_REG_DIL:
		return PRESERVE_RDI;
	case X86_REG_RSI: case X86_REG_ESI: case X86_REG_SI: case X86_REG_SIL:
		return PRESERVE_RSI;
	case X86_REG_RDX: case X86_REG_EDX: case X86_REG_DX: case X86_REG_DL: case X86_REG_DH:
		return PRESERVE_RDX;
	case X86_REG_RCX: case X86_REG_ECX: case X86_REG_CX: case X86_REG_CL: case X86_REG_CH:
		return PRESERVE_RCX;
	case X86_REG_RSP: case X86_REG_ESP: case X86_REG_SP: case X86_REG_SPL:
	case X86_REG_RBP: case X86_REG_EBP: case X86_REG_BP: case X86_REG_BPL:
		return ~0u;	/* the stack pointer and the frame chain: always kept */
	default:
		return 0;
	}
}

/* Whether `insn` can run before the probe without changing what it sees. */
static bool leaves_alone(csh handle, const cs_insn *insn, unsigned preserved)
{
	const cs_x86 *x86 = &insn->detail->x86;
	cs_regs read, written;
	uint8_t read_count, written_count, i;

	if (cs_regs_access(handle, insn, read, &read_count, written, &written_count) != CS_ERR_OK)
		return false;
	for (i = 0; i < written_count; i++) {
		if (family_of(written[i]) & (preserved | ~0u << 4))
			return false;
	}
	/* A store through %rsp could overwrite the return address. */
	for (i = 0; i < x86->op_count; i++) {
		if (x86->operands[i].type == X86_OP_MEM && (x86->operands[i].access & CS_AC_WRITE) &&
		    family_of(x86->operands[i].mem.base) == ~0u)
			return false;
	}
	return true;
}

/*
 * Whether a direct branch anywhere in the function lands in (entry, entry +
 * offset]: the probe there would fire again without a new call. Code that
 * does not decode (data in the text) makes the answer unknown: yes.
 */
static bool branch_lands_before(csh handle, cs_insn *insn, const uint8_t *code, size_t size,
				uint64_t address, uint64_t offset)
{
	const uint8_t *cursor = code;
	uint64_t at = address;
	size_t left = size;
	uint8_t i;

	while (left) {
		if (!cs_disasm_iter(handle, &cursor, &left, &at, insn))
			return true;
		if (!changes_control_flow(insn))
			continue;
		for (i = 0; i < insn->detail->x86.op_count; i++) {
			const cs_x86_op *operand = &insn->detail->x86.operands[i];

			if (operand->type == X86_OP_IMM && (uint64_t)operand->imm > address &&
			    (uint64_t)operand->imm <= address + offset)
				return true;
		}
	}
	return false;
}

int probe_placement__choose(const struct emulation *emulation, const uint8_t *code, size_t size,
			    uint64_t address, unsigned preserved, struct probe_placement *placement)
{
	const uint8_t *cursor = code;
	char skipped[64] = "", text[200];
	uint64_t at = address;
	size_t left = size, used = 0;
	enum instruction_kind kind;
	cs_insn *insn;
	int steps;
	csh handle;

	placement->offset = 0;
	placement->kind = KIND_OTHER;
	snprintf(placement->reason, sizeof(placement->reason), "at entry");
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &handle) != CS_ERR_OK)
		return -ENOSYS;
	cs_option(handle, CS_OPT_DETAIL, CS_OPT_ON);
	insn = cs_malloc(handle);
	for (steps = 0; insn && steps < MAX_SKIPPED; steps++) {
		uint64_t offset = at - address;

		if (!cs_disasm_iter(handle, &cursor, &left, &at, insn)) {
			snprintf(placement->reason, sizeof(placement->reason),
				 "at entry: the code does not decode at +%llu", (unsigned long long)offset);
			break;
		}
		snprintf(text, sizeof(text), "%s%s%s", insn->mnemonic, insn->op_str[0] ? " " : "",
			 insn->op_str);
		kind = kind_of(insn);
		if (offset == 0)
			placement->kind = kind;
		if (!emulation) {
			snprintf(placement->reason, sizeof(placement->reason),
				 "at entry (--probe-at-entry): %.80s", text);
			break;
		}
		if (emulation->emulated[kind]) {
			if (offset == 0) {
				snprintf(placement->reason, sizeof(placement->reason),
					 "at entry: %.80s is emulated", text);
			} else if (branch_lands_before(handle, insn, code, size, address, offset)) {
				snprintf(placement->reason, sizeof(placement->reason),
					 "at entry: a branch of the function lands before %.80s at +%llu", text,
					 (unsigned long long)offset);
			} else {
				placement->offset = offset;
				placement->kind = kind;
				snprintf(placement->reason, sizeof(placement->reason),
					 "at +%llu: %.80s is emulated; before it %s", (unsigned long long)offset,
					 text, skipped);
			}
			break;
		}
		if (changes_control_flow(insn) || !leaves_alone(handle, insn, preserved)) {
			snprintf(placement->reason, sizeof(placement->reason),
				 "at entry: %.80s at +%llu comes before any emulated instruction", text,
				 (unsigned long long)offset);
			break;
		}
		if (used < sizeof(skipped))
			used += snprintf(skipped + used, sizeof(skipped) - used, "%s%s",
					 used ? ", " : "", insn->mnemonic);
	}
	if (insn)
		cs_free(insn, 1);
	cs_close(&handle);
	return 0;
}

void probe_placement__choose_in_file(const struct emulation *emulation, const char *path,
				     uint64_t file_offset, size_t size, uint64_t address,
				     unsigned preserved, struct probe_placement *placement)
{
	const char *failure = NULL;
	uint8_t *code = NULL;
	int fd = -1;

	placement->offset = 0;
	if (size == 0)
		failure = "its size is unknown";
	else if (size > MAX_FUNCTION_CODE)
		failure = "too long to read";
	else if (!(code = malloc(size)) || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 ||
		 pread(fd, code, size, file_offset) != (ssize_t)size)
		failure = "its code cannot be read";
	else if (probe_placement__choose(emulation, code, size, address, preserved, placement))
		failure = "the disassembler cannot start";
	if (failure) {
		placement->offset = 0;
		placement->kind = KIND_OTHER;
		snprintf(placement->reason, sizeof(placement->reason), "at entry: %s", failure);
	}
	if (fd >= 0)
		close(fd);
	free(code);
}
