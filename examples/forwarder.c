/*
 * The bundled demo: a tiny request forwarder on loopback.
 *
 *   forwarder PORT
 *
 * Each connection sends lines "GET /path[?trace]". The forwarder parses the
 * request, looks the route up in a cache (which grows to CACHE_SLOTS entries
 * and then holds steady), "forwards" it to a backend that builds the reply,
 * and answers one line. Requests marked ?trace keep a copy of their trace
 * context that nothing ever frees: the real leak memstacks should point at.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CACHE_SLOTS 512
#define ROUTE_BYTES 256

struct request {
	char *path;
	int traced;
};

struct route {
	char *path;
	char *upstream;		/* ROUTE_BYTES of resolved upstream address */
};

static struct route cache[CACHE_SLOTS];
static unsigned long requests_served;

static unsigned long hash_path(const char *path)
{
	unsigned long hash = 5381;

	while (*path)
		hash = hash * 33 + (unsigned char)*path++;
	return hash;
}

static struct request *parse_request(const char *line)
{
	struct request *request = calloc(1, sizeof(*request));
	const char *path = strchr(line, '/');
	size_t length = path ? strcspn(path, "?\r\n") : 0;

	request->path = strndup(path ? path : "/", length ? length : 1);
	request->traced = strstr(line, "?trace") != NULL;
	return request;
}

static void free_request(struct request *request)
{
	free(request->path);
	free(request);
}

/* A direct-mapped cache: fills up, then replaces entries without growing. */
static struct route *lookup_route(const char *path)
{
	struct route *slot = &cache[hash_path(path) % CACHE_SLOTS];

	if (slot->path && !strcmp(slot->path, path))
		return slot;
	if (!slot->path) {
		slot->upstream = malloc(ROUTE_BYTES);
	} else {
		free(slot->path);
	}
	slot->path = strdup(path);
	snprintf(slot->upstream, ROUTE_BYTES, "backend-%lu:8080", hash_path(path) % 16);
	return slot;
}

/* The leak: the copy is meant for a trace exporter that was never written. */
static void record_trace_context(const struct request *request)
{
	char *context = malloc(1024);

	snprintf(context, 1024, "trace path=%s request=%lu", request->path, requests_served);
}

static char *forward_to_backend(const struct request *request, const struct route *route)
{
	char *reply = malloc(4096);

	snprintf(reply, 4096, "200 %s via %s\n", request->path, route->upstream);
	return reply;
}

static void handle_line(int connection, const char *line)
{
	struct request *request = parse_request(line);
	struct route *route = lookup_route(request->path);
	char *reply;

	if (request->traced)
		record_trace_context(request);
	reply = forward_to_backend(request, route);
	if (write(connection, reply, strlen(reply)) < 0)
		perror("write");
	free(reply);
	free_request(request);
	requests_served++;
}

static void serve_connection(int connection)
{
	FILE *input = fdopen(connection, "r");
	char line[512];

	while (input && fgets(line, sizeof(line), input))
		handle_line(connection, line);
	if (input)
		fclose(input);
	else
		close(connection);
}

int main(int argc, char **argv)
{
	struct sockaddr_in address = {.sin_family = AF_INET};
	int listener, one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: forwarder PORT\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	address.sin_port = htons(atoi(argv[1]));
	address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	listener = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(listener, (struct sockaddr *)&address, sizeof(address)) || listen(listener, 16)) {
		perror("forwarder: bind");
		return 1;
	}
	printf("forwarder %d listening on 127.0.0.1:%s\n", (int)getpid(), argv[1]);
	fflush(stdout);
	for (;;) {
		int connection = accept(listener, NULL, NULL);

		if (connection >= 0)
			serve_connection(connection);
	}
}
