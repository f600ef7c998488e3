// A C++ process whose operator new and delete calls are known to the byte,
// for memstacks' tests; the expected figures live in tests/cpp_truth.py.
//
//   cpp_truth         run every site at once and exit (for -c)
//   cpp_truth --wait  print "ready", wait for SIGUSR1, run every site,
//                     print "done", wait for SIGUSR1 again, exit (for -p)
//
// Sites are extern "C" so that their frames carry plain names. Compiled -O0:
// the compiler may otherwise drop a new/delete pair it can see through.
#include <new>

extern "C" {
#include "signal_gate.h"
}

struct Block {
	char bytes[100];
};

struct alignas(64) AlignedBlock {
	char bytes[256];
};

// Keeps every leaked block reachable.
static void *kept[64];
static int kept_count;

static void keep(void *block)
{
	kept[kept_count++] = block;
}

extern "C" {

__attribute__((noinline)) void leak_new(void)
{
	for (int i = 0; i < 3; i++)
		keep(new Block);
}

__attribute__((noinline)) void leak_new_array(void)
{
	for (int i = 0; i < 2; i++)
		keep(new char[1000]);
}

__attribute__((noinline)) void leak_new_nothrow(void)
{
	keep(new (std::nothrow) char[500]);
}

__attribute__((noinline)) void leak_new_aligned(void)
{
	keep(new AlignedBlock);
}

__attribute__((noinline)) void leak_new_aligned_array(void)
{
	keep(new AlignedBlock[2]);
}

// Sized delete (operator delete(void*, unsigned long)) for a complete type.
__attribute__((noinline)) void churn_new(void)
{
	for (int i = 0; i < 50; i++)
		delete new Block;
}

__attribute__((noinline)) void churn_new_array(void)
{
	for (int i = 0; i < 20; i++)
		delete[] new char[300];
}

// Aligned, sized delete.
__attribute__((noinline)) void churn_new_aligned(void)
{
	for (int i = 0; i < 10; i++)
		delete new AlignedBlock;
}

__attribute__((noinline)) void churn_new_nothrow(void)
{
	for (int i = 0; i < 5; i++)
		operator delete(operator new(40, std::nothrow), std::nothrow);
}

__attribute__((noinline)) void run_sites(void)
{
	leak_new();
	leak_new_array();
	leak_new_nothrow();
	leak_new_aligned();
	leak_new_aligned_array();
	churn_new();
	churn_new_array();
	churn_new_aligned();
	churn_new_nothrow();
}

}

int main(int argc, char **argv)
{
	return gate_run(argc, argv, run_sites);
}
