/*
 * The client of tests/bench/sse-subscribers: opens N Server-Sent-Event
 * streams of one meeting over TLS (verifying the server's certificate, as
 * a real client does), waits until every stream has its first bytes, then
 * sends the secretary's close of the round and times, from sending the
 * close (its connection's handshake done), its answer and the arrival of
 * round_closed on every stream.  It reads the server's resident memory
 * before the streams open and once they all are.  Prints one line of
 * key=value figures; exits 1 on any failure or after a time limit.
 *
 *   sse_subscribers PORT CA MEETING ROUND N TOKENS SECRETARY PID
 *
 * TOKENS is a file of bearer tokens, one a line, used in turn by the
 * streams; SECRETARY is the token that closes; PID is pingshend's.
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

/* TLS handshakes in flight at once: below evhttp's listen backlog (128),
 * so no connection waits on a dropped SYN. */
#define SSE_CONNECTING_MAX 64
/* The whole run's limit, setup included. */
#define SSE_TIME_LIMIT_S 600
#define SSE_TOKENS_MAX	 4096
#define SSE_TOKEN_LEN	 128

enum sub_state { SUB_CONNECTING, SUB_SUBSCRIBED, SUB_DELIVERED };

struct sub {
	struct sse *s;
	struct bufferevent *bev;
	enum sub_state state;
	bool status_ok;	     /* the answer's status line said 200 */
	double delivered_ms; /* after the close was sent */
};

struct sse {
	struct event_base *base;
	SSL_CTX *ctx;
	struct sockaddr_in addr;
	const char *meeting, *round, *secretary;
	int pid;
	char (*tokens)[SSE_TOKEN_LEN + 1];
	size_t n_tokens;

	struct sub *subs;
	size_t n, started, subscribed, delivered;
	struct timespec t_start, t_subscribed, t_close;
	long rss_before_kb, rss_with_kb;

	struct bufferevent *ctl; /* the secretary's connection */
	bool close_sent;
	int close_status;
	double close_ms; /* -1 until the whole answer is in */
};

static void
sse_die(const char *fmt, ...)
{
	va_list ap;

	fputs("sse_subscribers: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double
sse_ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

/* VmRSS of the server, in KiB. */
static long
sse_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		sse_die("cannot read %s", path);
	while (fgets(line, sizeof line, f) != NULL) {
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	if (kb < 0)
		sse_die("no VmRSS in %s", path);
	return kb;
}

static void
sse_read_tokens(struct sse *s, const char *file)
{
	char line[SSE_TOKEN_LEN + 8];
	FILE *f = fopen(file, "r");

	if (f == NULL)
		sse_die("cannot open %s", file);
	if ((s->tokens = calloc(SSE_TOKENS_MAX, sizeof *s->tokens)) == NULL)
		sse_die("out of memory");
	while (s->n_tokens < SSE_TOKENS_MAX &&
	       fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		if (strlen(line) > SSE_TOKEN_LEN)
			sse_die("a token of %s is too long", file);
		if (line[0] != '\0')
			memcpy(s->tokens[s->n_tokens++], line,
			       strlen(line) + 1);
	}
	fclose(f);
	if (s->n_tokens == 0)
		sse_die("no tokens in %s", file);
}

/* A TLS connection to the server that checks its certificate names
 * 127.0.0.1. */
static struct bufferevent *
sse_connect(struct sse *s, bufferevent_data_cb readcb,
	    bufferevent_event_cb eventcb, void *arg)
{
	SSL *ssl = SSL_new(s->ctx);
	struct bufferevent *bev;
	int one = 1;

	if (ssl == NULL ||
	    !X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), "127.0.0.1"))
		sse_die("SSL_new failed");
	bev = bufferevent_openssl_socket_new(s->base, -1, ssl,
					     BUFFEREVENT_SSL_CONNECTING,
					     BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL)
		sse_die("bufferevent_openssl_socket_new failed");
	bufferevent_setcb(bev, readcb, NULL, eventcb, arg);
	bufferevent_enable(bev, EV_READ);
	if (bufferevent_socket_connect(bev, (struct sockaddr *)&s->addr,
				       sizeof s->addr) != 0)
		sse_die("connect failed (file descriptors? ulimit -n)");
	/* As curl and browsers do: a request written right after the
	 * handshake must not wait for the ACK of the last handshake record
	 * (Nagle against a delayed ACK costs 40 ms). */
	if (setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one,
		       sizeof one) != 0)
		sse_die("setsockopt TCP_NODELAY failed");
	return bev;
}

/* Why a connection failed, from OpenSSL or the socket. */
static void
sse_conn_failed(struct bufferevent *bev, short what, const char *who)
{
	unsigned long e = bufferevent_get_openssl_error(bev);
	char buf[256] = "";

	if (e != 0)
		ERR_error_string_n(e, buf, sizeof buf);
	sse_die("%s: %s%s%s", who,
		(what & BEV_EVENT_EOF) ? "the server closed the connection"
				       : "connection error",
		buf[0] ? ": " : "", buf);
}

/* Finds text in in; on a miss, keeps only what could start a match. */
static bool
sse_find(struct evbuffer *in, const char *text)
{
	size_t len = strlen(text), have = evbuffer_get_length(in);
	struct evbuffer_ptr p = evbuffer_search(in, text, len, NULL);

	if (p.pos >= 0) {
		evbuffer_drain(in, (size_t)p.pos + len);
		return true;
	}
	if (have >= len)
		evbuffer_drain(in, have - len + 1);
	return false;
}

static void sse_start_more(struct sse *s);
static void sse_all_subscribed(struct sse *s);

static void
sse_finish(struct sse *s)
{
	if (s->delivered == s->n && s->close_ms >= 0)
		event_base_loopexit(s->base, NULL);
}

static void
sub_read(struct bufferevent *bev, void *arg)
{
	struct sub *u = arg;
	struct sse *s = u->s;
	struct evbuffer *in = bufferevent_get_input(bev);

	if (u->state == SUB_CONNECTING) {
		/* The status line comes first: anything but 200 is fatal. */
		if (!u->status_ok) {
			char status[13] = "";

			if (evbuffer_get_length(in) < 12)
				return;
			evbuffer_copyout(in, status, 12);
			if (strncmp(status, "HTTP/1.1 200", 12) != 0) {
				char body[512] = "";

				evbuffer_copyout(in, body, sizeof body - 1);
				sse_die("a subscription was refused: %s", body);
			}
			u->status_ok = true;
		}
		if (!sse_find(in, ": subscribed"))
			return;
		u->state = SUB_SUBSCRIBED;
		if (++s->subscribed == s->n)
			sse_all_subscribed(s);
		else
			sse_start_more(s);
	}
	if (u->state == SUB_SUBSCRIBED && s->close_sent &&
	    sse_find(in, "event: round_closed")) {
		u->state = SUB_DELIVERED;
		u->delivered_ms = sse_ms_since(&s->t_close);
		s->delivered++;
		sse_finish(s);
	}
	if (u->state == SUB_DELIVERED)
		evbuffer_drain(in, evbuffer_get_length(in));
}

static void
sub_event(struct bufferevent *bev, short what, void *arg)
{
	struct sub *u = arg;
	char req[1024];

	if (!(what & BEV_EVENT_CONNECTED))
		sse_conn_failed(bev, what, "a subscriber");
	snprintf(req, sizeof req,
		 "GET /api/v1/meetings/%s/events HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\n"
		 "Accept: text/event-stream\r\n"
		 "Authorization: Bearer %s\r\n\r\n",
		 u->s->meeting,
		 u->s->tokens[(size_t)(u - u->s->subs) % u->s->n_tokens]);
	bufferevent_write(bev, req, strlen(req));
}

/* Opens streams until SSE_CONNECTING_MAX are on their way. */
static void
sse_start_more(struct sse *s)
{
	while (s->started < s->n &&
	       s->started - s->subscribed < SSE_CONNECTING_MAX) {
		struct sub *u = &s->subs[s->started++];

		u->s = s;
		u->bev = sse_connect(s, sub_read, sub_event, u);
	}
}

static void
sse_send_close(struct sse *s)
{
	char req[1024];

	snprintf(req, sizeof req,
		 "POST /api/v1/meetings/%s/rounds/%s/close HTTP/1.1\r\n"
		 "Host: 127.0.0.1\r\n"
		 "Authorization: Bearer %s\r\n"
		 "Content-Type: application/json\r\n"
		 "Content-Length: 2\r\n\r\n{}",
		 s->meeting, s->round, s->secretary);
	s->close_sent = true;
	clock_gettime(CLOCK_MONOTONIC, &s->t_close);
	bufferevent_write(s->ctl, req, strlen(req));
}

/* The Content-Length of a response head (0 when absent). */
static size_t
sse_content_length(const char *head)
{
	static const char name[] = "\r\nContent-Length:";

	for (const char *p = head; *p != '\0'; p++) {
		if (strncasecmp(p, name, sizeof name - 1) == 0)
			return strtoul(p + sizeof name - 1, NULL, 10);
	}
	return 0;
}

/* The close's answer: the status line, then Content-Length bytes. */
static void
ctl_read(struct bufferevent *bev, void *arg)
{
	struct sse *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	char head[4096] = "";
	size_t body;

	if (end.pos < 0 || s->close_ms >= 0)
		return;
	evbuffer_copyout(in, head,
			 (size_t)end.pos < sizeof head - 1 ? (size_t)end.pos
							   : sizeof head - 1);
	body = sse_content_length(head);
	if (evbuffer_get_length(in) < (size_t)end.pos + 4 + body)
		return;
	s->close_ms = sse_ms_since(&s->t_close);
	if (sscanf(head, "HTTP/1.1 %d", &s->close_status) != 1 ||
	    s->close_status != 200) {
		char text[1024] = "";

		evbuffer_copyout(in, text, sizeof text - 1);
		sse_die("the close was refused: %s", text);
	}
	sse_finish(s);
}

/* Connected: the close goes out at once, so its time includes no
 * handshake. */
static void
ctl_event(struct bufferevent *bev, short what, void *arg)
{
	if (!(what & BEV_EVENT_CONNECTED))
		sse_conn_failed(bev, what, "the secretary's connection");
	sse_send_close(arg);
}

/* The secretary connects only now: the server cuts a connection that
 * sends no request within its request timeout, and opening N streams can
 * take longer. */
static void
sse_all_subscribed(struct sse *s)
{
	s->rss_with_kb = sse_rss_kb(s->pid);
	clock_gettime(CLOCK_MONOTONIC, &s->t_subscribed);
	s->ctl = sse_connect(s, ctl_read, ctl_event, s);
}

static void
sse_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct sse *s = arg;

	(void)fd;
	(void)what;
	sse_die("time limit: %zu of %zu subscribed, %zu delivered",
		s->subscribed, s->n, s->delivered);
}

static int
sse_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
sse_report(struct sse *s)
{
	double *ms = calloc(s->n, sizeof *ms);

	if (ms == NULL)
		sse_die("out of memory");
	for (size_t i = 0; i < s->n; i++)
		ms[i] = s->subs[i].delivered_ms;
	qsort(ms, s->n, sizeof *ms, sse_cmp_double);
	printf("subscribers=%zu subscribe_s=%.2f rss_before_kb=%ld "
	       "rss_with_kb=%ld close_answer_ms=%.2f delivered_first_ms=%.2f "
	       "delivered_p50_ms=%.2f delivered_last_ms=%.2f\n",
	       s->n,
	       (double)(s->t_subscribed.tv_sec - s->t_start.tv_sec) +
		   (double)(s->t_subscribed.tv_nsec - s->t_start.tv_nsec) / 1e9,
	       s->rss_before_kb, s->rss_with_kb, s->close_ms, ms[0],
	       ms[s->n / 2], ms[s->n - 1]);
	free(ms);
}

int
main(int argc, char **argv)
{
	struct sse s = {.close_ms = -1};
	struct timeval limit = {SSE_TIME_LIMIT_S, 0};
	struct event *timer;
	long n;

	if (argc != 9)
		sse_die("usage: sse_subscribers PORT CA MEETING ROUND N "
			"TOKENS SECRETARY PID");
	n = strtol(argv[5], NULL, 10);
	if (n < 1 || n > 100000)
		sse_die("N is 1 to 100000");
	s.n = (size_t)n;
	s.meeting = argv[3];
	s.round = argv[4];
	s.secretary = argv[7];
	s.pid = (int)strtol(argv[8], NULL, 10);
	sse_read_tokens(&s, argv[6]);
	if ((s.subs = calloc(s.n, sizeof *s.subs)) == NULL)
		sse_die("out of memory");
	s.addr.sin_family = AF_INET;
	s.addr.sin_port = htons((unsigned short)strtol(argv[1], NULL, 10));
	s.addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	s.ctx = SSL_CTX_new(TLS_client_method());
	if (s.ctx == NULL ||
	    SSL_CTX_load_verify_locations(s.ctx, argv[2], NULL) != 1)
		sse_die("cannot load the CA %s", argv[2]);
	SSL_CTX_set_verify(s.ctx, SSL_VERIFY_PEER, NULL);
	s.base = event_base_new();
	timer = evtimer_new(s.base, sse_timeout, &s);
	evtimer_add(timer, &limit);
	/* The baseline: the server with no stream of ours. */
	s.rss_before_kb = sse_rss_kb(s.pid);
	clock_gettime(CLOCK_MONOTONIC, &s.t_start);
	sse_start_more(&s);
	event_base_dispatch(s.base);
	sse_report(&s);

	for (size_t i = 0; i < s.n; i++)
		bufferevent_free(s.subs[i].bev);
	bufferevent_free(s.ctl);
	event_free(timer);
	event_base_free(s.base);
	SSL_CTX_free(s.ctx);
	free(s.subs);
	free(s.tokens);
	return 0;
}
