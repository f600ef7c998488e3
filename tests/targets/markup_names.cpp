// A target whose function names, demangled, are full of markup characters:
// templates give <, > and &, an operator gives more. Its allocations must
// reach every report as text, never as markup or script.
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

extern "C" {
#include "signal_gate.h"
}

static std::vector<void *> kept;

template <typename Payload>
__attribute__((noinline)) void leak_into(Payload &&)
{
	kept.push_back(std::malloc(1000));
}

struct Tag {
	__attribute__((noinline)) bool operator<(const Tag &) const
	{
		kept.push_back(std::malloc(500));
		return false;
	}
};

int main()
{
	std::vector<std::pair<int, char>> pairs;

	kept.reserve(16);
	gate_announce_ready();
	for (int i = 0; i < 3; i++)
		leak_into(pairs);
	(void)(Tag() < Tag());
	gate_announce_done();
	return 0;
}
