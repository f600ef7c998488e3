/*
 * Load for the demo forwarder: REQUESTS requests over one loopback connection,
 * across PATHS distinct paths (more than the forwarder's cache holds), one in
 * TRACE_EVERY marked ?trace; at most RATE requests a second when given (a
 * steady load for memstacks -i), else as fast as the forwarder answers.
 *
 *   load_driver PORT [REQUESTS [RATE]]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PATHS 2000
#define TRACE_EVERY 10

int main(int argc, char **argv)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	long requests = argc > 2 ? atol(argv[2]) : 20000;
	long rate = argc > 3 ? atol(argv[3]) : 0;
	struct timespec start, due;
	char line[128], reply[4096];
	FILE *replies;
	int connection;

	if (argc < 2) {
		fprintf(stderr, "usage: load_driver PORT [REQUESTS [RATE]]\n");
		return 2;
	}
	address.sin_port = htons(atoi(argv[1]));
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	connection = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(connection, (struct sockaddr *)&address, sizeof(address))) {
		perror("load_driver: connect");
		return 1;
	}
	replies = fdopen(dup(connection), "r");
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < requests; i++) {
		int length = snprintf(line, sizeof(line), "GET /api/item/%ld%s\n", (i * 7919) % PATHS,
				      i % TRACE_EVERY == 0 ? "?trace" : "");

		/* One request at a time: the reply proves the forwarder handled it. */
		if (write(connection, line, length) != length || !fgets(reply, sizeof(reply), replies)) {
			fprintf(stderr, "load_driver: connection lost after %ld requests\n", i);
			return 1;
		}
		if (rate > 0) {
			/* Request i+1 is due (i+1)/rate seconds after the start. */
			long long due_ns = start.tv_nsec + (i + 1) * 1000000000LL / rate;

			due.tv_sec = start.tv_sec + due_ns / 1000000000LL;
			due.tv_nsec = due_ns % 1000000000LL;
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL);
		}
	}
	printf("load_driver: %ld requests answered\n", requests);
	return 0;
}
