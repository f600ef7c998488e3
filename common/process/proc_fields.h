/*
 * Fields of the text files under /proc/PID. The command name in them is the
 * target's to choose (prctl(PR_SET_NAME)), so they are parsed as untrusted.
 */
#ifndef PROC_FIELDS_H
#define PROC_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * The state letter and the flags of a /proc/PID/stat line. The command name
 * before them is in parentheses and may itself hold ')' and spaces. Returns
 * false for a malformed line.
 */
bool proc_stat__parse(const char *line, char *state, unsigned long *flags);

/*
 * /proc/PID/stat read whole into `line` (`size` bytes, NUL-terminated): the
 * command name may hold spaces, ')' and newlines. Its length, or -errno.
 */
int proc_stat__read(pid_t pid, char *line, size_t size);

/*
 * Numeric field `number` of a /proc/PID/stat line, counted from 1 as proc(5)
 * does (3 onward; PROC_STAT_* name those read here). False if there is none.
 */
bool proc_stat__field(const char *line, int number, unsigned long long *value);
#define PROC_STAT_UTIME 14
#define PROC_STAT_STIME 15
#define PROC_STAT_STARTTIME 22

/*
 * The number after "`field`:" when `line` of /proc/PID/status is that field
 * ("Tgid", "VmRSS"). Returns false for another field or no number.
 */
bool proc_status__field(const char *line, const char *field, long *value);

/* A numeric field ("Tgid", "VmRSS") of /proc/PID/status, or -1. */
long proc_status__read(pid_t pid, const char *field);

/*
 * The command name of `pid`, raw: the process sets it (prctl PR_SET_NAME) to
 * any bytes, a newline among them. False once the process is gone.
 */
bool proc_comm__read(pid_t pid, char *comm, size_t size);

#endif
