/*
 * Keeps more small blocks live than a test lets memstacks track, so that the
 * live-block map fills and the loss is known exactly: BLOCKS blocks of
 * BLOCK_SIZE bytes, from one stack, none freed.
 */
#include <stdlib.h>

#include "signal_gate.h"

#define BLOCKS 100
#define BLOCK_SIZE 16

static void *blocks[BLOCKS];

static void keep_blocks(void)
{
	for (int i = 0; i < BLOCKS; i++)
		blocks[i] = malloc(BLOCK_SIZE);
}

int main(int argc, char **argv)
{
	return gate_run(argc, argv, keep_blocks);
}
