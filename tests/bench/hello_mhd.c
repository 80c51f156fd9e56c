/* make bench: the baseline for tesserad's GET /signin. A bare libmicrohttpd
 * hello-world started the way broker/http.c starts tesserad's listener (an
 * epoll thread pool, the same connection options, the answer queued on the
 * handler's second call), so what /signin costs beyond it is the broker's
 * own work. Listens on 127.0.0.1, port chosen by the kernel; prints
 * "hello_mhd listening port=N" and serves until SIGTERM or SIGINT.
 *
 * usage: hello_mhd [THREADS]   (2, like the benchmark's tesserad) */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tesserad's defaults (conf/tessera.conf): max_connections,
 * connection_timeout, and max_header_bytes * 2 for the memory pool. */
#define CONNECTION_LIMIT 1024u
#define CONNECTION_TIMEOUT 30u
#define MEMORY_LIMIT ((size_t)16384 * 2)

static const char hello[] = "Hello, world!\n";
static int first_call_seen; /* its address marks a request past its first call */

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (*req_cls == NULL) {
		*req_cls = &first_call_seen; /* headers only: answer on the next call */
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0; /* a body is read and dropped */
		return MHD_YES;
	}
	r = MHD_create_response_from_buffer(sizeof hello - 1, (void *)hello,
					    MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	*req_cls = NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = 0};
	unsigned int threads = 2;
	const union MHD_DaemonInfo *info;
	struct MHD_Daemon *d;
	sigset_t set;
	int sig = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: hello_mhd [THREADS]\n");
		return 2;
	}
	if (argc == 2) {
		char *end = NULL;
		long n;

		errno = 0;
		n = strtol(argv[1], &end, 10);
		if (errno != 0 || end == argv[1] || *end != '\0' || n < 1 || n > 64) {
			fprintf(stderr, "hello_mhd: THREADS must be 1..64, not %s\n", argv[1]);
			return 2;
		}
		threads = (unsigned int)n;
	}
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Block before the pool's threads start so they inherit the mask. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* tesserad's flags (broker/http.c), suspend and resume included. */
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
				     MHD_ALLOW_SUSPEND_RESUME,
			     0, NULL, NULL,
			     on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_THREAD_POOL_SIZE, threads,
			     MHD_OPTION_CONNECTION_LIMIT, CONNECTION_LIMIT,
			     MHD_OPTION_CONNECTION_TIMEOUT, CONNECTION_TIMEOUT,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT,
			     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hello_mhd: libmicrohttpd did not start on 127.0.0.1\n");
		return 1;
	}
	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "hello_mhd: no bound port\n");
		MHD_stop_daemon(d);
		return 1;
	}
	printf("hello_mhd listening port=%u threads=%u\n", (unsigned)info->port, threads);
	fflush(stdout);
	while (sigwait(&set, &sig) != 0)
		continue;
	MHD_stop_daemon(d);
	return 0;
}
