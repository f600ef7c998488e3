/*
 * A process that names itself and its code to attack whoever reads a report:
 * its allocating functions' symbols hold terminal escapes, markup, the folded
 * format's separators and bytes that are not UTF-8, and it sets its comm
 * (prctl) to more of the same. What each leaks is known to the byte; the
 * names and figures live in tests/hostile_names.py.
 *
 * GNU as takes any byte in a quoted symbol name except a newline, a double
 * quote and a backslash: those are written here as \x01, \x02 and \x03, and
 * tests/hostile_names.py puts them in the linked binary.
 *
 *   hostile_names         leak at once and exit (for -c)
 *   hostile_names --wait  print "ready", wait for SIGUSR1, leak, print "done",
 *                         wait for SIGUSR1 again, exit (for -p)
 */
#include <stdlib.h>
#include <sys/prctl.h>

#include "signal_gate.h"

/* 14 bytes: a comm holds 15. */
#define HOSTILE_COMM "c\x1b[2J<b>;&\n\x7f\xc2\x9b"

/* String literals are split where a hex escape would swallow the next character. */
void leak_screen(void) __asm__("\"screen\x1b[2J\x1b]0;owned\x07<svg onload=alert(1)>&amp; 'q' "
			       "\x03 \x7f\xc2\x9b" "6n \xe2\x80\xae" "evil \xc3\xa9t\xc3\xa9\"");
void leak_forged(void) __asm__("\"forged\x01" "comm;main;fake 999999\x01\x02quoted\x02\"");
void leak_not_utf8(void) __asm__("\"bytes\xff\xfe\xc0\x80 not utf-8\"");

/* Keeps every leaked block reachable. */
static void *kept[8];
static int kept_count;

void leak_screen(void)
{
	for (int i = 0; i < 3; i++)
		kept[kept_count++] = malloc(1111);
}

void leak_forged(void)
{
	for (int i = 0; i < 2; i++)
		kept[kept_count++] = malloc(2222);
}

void leak_not_utf8(void)
{
	kept[kept_count++] = malloc(5555);
}

static void leak_all(void)
{
	leak_screen();
	leak_forged();
	leak_not_utf8();
}

int main(int argc, char **argv)
{
	prctl(PR_SET_NAME, HOSTILE_COMM);
	return gate_run(argc, argv, leak_all);
}
