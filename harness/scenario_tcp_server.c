/* tcp_server: the probe plays the clients of tcp_qq_srver or tcp_echo_serverSR.

   params:
     addr          where the server is told to listen (default 127.0.0.1)
     connections   [{send: payload, abandon: "fin"|"rst"|"fin_rst", repeat: N,
                   hold: true}] one after another; fin_rst: the client sends
                   payload, closes its sending side, and once the server has
                   seen that, resets: the server's next send fails with EPIPE
                   (and raises SIGPIPE). send may be a list of payloads, sent
                   in turn: the next once the server has received the last and
                   gone back to waiting (a server that reads once gets only
                   the first). hold: the client connects, and once the server
                   has accepted it sends nothing until every later connection
                   of the list has been served; then it sends and reads its
                   reply (its reply keeps its place in replies): a server that
                   serves one client at a time is stuck in recv() on it
     half_close    every client shuts down its sending side after its payload
                   (a server that reads the whole message answers only then)
     count_children  the server's own processes: while the first held
                   connection waits (children_while_held), and zombies among
                   them once every connection has ended (zombies; vacuous
                   when it had no process of its own while a connection was held)
     burst         K connections open at once (each sends burst_send), then read
     freeze        each abandoned connection is opened and closed while the server is stopped
     other_addr    an address the server must not answer on
     count_fds     count /proc/PID/fd before and after the connections
     logs          match a log line on stdout to every connection (by its port)
     restart       then restart it on the same port while its old connections sit in TIME_WAIT
     restart_send  what the connection after the restart sends
     backlog       read the listening socket's backlog (sock_diag / tcp_info)
     stop          "SIGTERM" or "SIGINT": sent at the end, while the server waits
                   in accept() (with stop_in_recv, in recv() on a connection the
                   probe holds open and sends nothing on); it must exit
   observes: listen, other_addr, replies, replies_sorted, logs (per connection,
             abandoned ones too), abandoned_logs (only theirs; vacuous when
             nothing at all was logged), stdout_other (lines on stdout that
             are no connection's log line; vacuous likewise), alive, stderr
             (once served), fd_growth, restart, restart_reply, backlog, stop,
             children_while_held, zombies */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "logmatch.h"
#include "net.h"
#include "scenario.h"
#include "stuck.h"

struct server_run {
	struct probe_ctx *ctx;
	struct child *prog;
	const char *addr;
	int port;
	json_t *replies; /* one per connection that was not abandoned */
	json_t *ports;   /* the client port of each connection, for log lines */
	json_t *abandoned; /* per connection: true when it was abandoned */
	int children_held; /* the server's processes while the first held connection waited; -1 none held */
};

struct reading {
	int fd, end;
	struct bytes *got;
};

static int reply_ended(void *arg)
{
	struct reading *rd = arg;
	rd->end = read_available(rd->fd, rd->got);
	return rd->end != 0;
}

/* Reads fd into got until the server closes it (1) or resets it (-1), the
   deadline passes (0), or the server is stuck (-2, what filled): then it
   will neither write nor close before the deadline, and the probe, waiting,
   will not write to it either. */
static int read_reply(struct server_run *r, int fd, struct bytes *got, struct deadline dl, char *what, size_t len)
{
	struct reading rd = { fd, 0, got };
	int w = wait_until_or_stuck(reply_ended, &rd, fd, 1, dl, r->prog, what, len);
	return w == 1 ? rd.end : w == 0 ? 0 : -2;
}

/* The reason for a connection that got no end: its deadline ran out, or the
   server is stuck (end -2, waiting in what). */
static void no_end(struct probe_ctx *ctx, int end, const char *which, int budget, const char *what)
{
	if (end == -2)
		ctx_timeout(ctx, "the server neither closed nor reset %s: it waits in %s, for input that never comes "
			    "(it had %d ms)", which, what, budget);
	else
		ctx_timeout(ctx, "the server neither closed nor reset %s within %d ms", which, budget);
}

static int payload_param(struct probe_ctx *ctx, json_t *spec, struct bytes *b)
{
	char err[128];
	if (!spec) {
		bytes_init(b, 0);
		return 0;
	}
	if (bytes_from_spec(spec, b, err, sizeof err) < 0)
		return ctx_error(ctx, "payload: %s", err);
	return 0;
}

struct delivery {
	const char *addr;
	int port, client_port;
	char client_addr[64];
	long long sent;
};

/* The server's side of the connection has received every byte sent (or is gone). */
static int delivered(void *arg)
{
	struct delivery *d = arg;
	long long got = tcp_bytes_received(d->addr, d->port, d->client_addr, d->client_port);
	return got < 0 || got >= d->sent;
}

/* Sends a connection's payload, one payload or a list of parts: after each
   part but the last, waits until the server has received it and gone back
   to waiting. With half_close, then shuts down the sending side. */
static int send_payload(struct server_run *r, int fd, json_t *spec, struct deadline dl)
{
	struct probe_ctx *ctx = r->ctx;
	struct delivery d = { r->addr, r->port, local_port(fd), "", 0 };
	local_addr(fd, d.client_addr, sizeof d.client_addr);
	size_t n = json_is_array(spec) ? json_array_size(spec) : spec ? 1 : 0;
	for (size_t i = 0; i < n; i++) {
		struct bytes part;
		if (payload_param(ctx, json_is_array(spec) ? json_array_get(spec, i) : spec, &part) < 0)
			return -1;
		if (i > 0) {
			wait_until(delivered, &d, deadline_in(IO_MS), 1);
			wait_settled(r->prog, deadline_in(program_budget(ctx, "settle_ms", SETTLE_MS)));
		}
		if (part.len) {
			send_all(fd, part.data, part.len, dl);
			transcript_bytes(ctx->tr, "probe", "send", part.data, part.len);
		}
		d.sent += (long long)part.len;
		bytes_free(&part);
	}
	if (param_bool(ctx, "half_close", 0)) {
		shutdown(fd, SHUT_WR);
		transcript_note(ctx->tr, "probe", "eof", "the client shuts down its sending side");
	}
	return 0;
}

/* A client connects; the fd, or -1 after ctx_fail. */
static int connect_client(struct server_run *r, struct deadline dl, int *client_port)
{
	struct probe_ctx *ctx = r->ctx;
	int fd = tcp_connect(r->addr, r->port, dl);
	*client_port = -1;
	if (fd < 0) {
		const char *why = errno == ETIMEDOUT ? "connect timed out" : strerror(errno);
		transcript_note(ctx->tr, "probe", "connect", "%s:%d failed: %s", r->addr, r->port, why);
		ctx_fail(ctx, "connecting to %s:%d failed: %s", r->addr, r->port, why);
		return -1;
	}
	*client_port = local_port(fd);
	transcript_note(ctx->tr, "probe", "connect", "%s:%d from port %d", r->addr, r->port, *client_port);
	return fd;
}

/* A connected client (connection number nth): send the payload, read until the server closes. */
static json_t *finish_exchange(struct server_run *r, int fd, json_t *spec, int nth, struct deadline dl, int budget)
{
	struct probe_ctx *ctx = r->ctx;
	if (send_payload(r, fd, spec, dl) < 0) {
		close(fd);
		return json_pack("{s:s}", "end", "no payload");
	}
	struct bytes got;
	char what[96], which[32];
	bytes_init(&got, OUTPUT_CAP);
	int end = read_reply(r, fd, &got, dl, what, sizeof what);
	transcript_bytes(ctx->tr, "program", "recv", got.data, got.len);
	/* Stuck, the server would have given the same bytes and no end by the deadline. */
	const char *how = end == 1 ? "eof" : end == 0 || end == -2 ? "no end within the deadline" : "reset";
	transcript_note(ctx->tr, "program", "eof", "%s", how);
	/* A server that closes with unread input sends a reset instead of a FIN:
	   either way it closed, which is what is compared. */
	if (end == -1 || end == 1)
		how = "closed";
	snprintf(which, sizeof which, "connection %d", nth);
	if (end == 0 || end == -2)
		no_end(ctx, end, which, budget, what);
	json_t *j = bytes_json(got.data, got.len, got.dropped);
	json_object_set_new(j, "end", json_string(how));
	bytes_free(&got);
	close(fd);
	return j;
}

/* One client: connect, send payload, read until the server closes. */
static json_t *exchange(struct server_run *r, json_t *spec, int *client_port)
{
	int budget = program_budget(r->ctx, "io_ms", IO_MS);
	struct deadline dl = deadline_in(budget);
	int fd = connect_client(r, dl, client_port);
	if (fd < 0)
		return json_pack("{s:s}", "end", "could not connect");
	return finish_exchange(r, fd, spec, (int)json_array_size(r->replies) + 1, dl, budget);
}

struct seen_close {
	const char *addr;
	int port, client_port, reset;
	char client_addr[64];
};

static int server_saw_close(void *arg)
{
	struct seen_close *s = arg;
	int st = tcp_state(s->addr, s->port, s->client_addr, s->client_port);
	return s->reset ? st == 0 : st == TCP_STATE_CLOSE_WAIT || st == 0;
}

/* The kernel's doing, not the program's: the full budget. */
static int wait_seen(struct seen_close *s)
{
	return wait_until(server_saw_close, s, deadline_in(IO_MS), 1);
}

/* A client that connects and leaves without reading: FIN, reset, or FIN
   then reset (fin_rst, after sending payload). With freeze, the server is
   stopped from before the connection until its side has seen the FIN or
   reset, so it always meets a connection already left, never one still
   open; then it runs and must go back to accept() before the next, so its
   accept queue never holds more than one (a backlog of 3 is enough). */
static void abandon(struct server_run *r, const char *how, const struct bytes *payload)
{
	struct probe_ctx *ctx = r->ctx;
	int freeze = param_bool(ctx, "freeze", 0);
	if (freeze && !child_freeze(r->prog, 1, deadline_in(IO_MS))) {
		ctx_error(ctx, "the server could not be stopped");
		return;
	}
	int fd = tcp_connect(r->addr, r->port, deadline_in(IO_MS));
	if (fd < 0) {
		ctx_fail(ctx, "connecting to %s:%d failed: %s", r->addr, r->port, strerror(errno));
		json_array_append_new(r->ports, json_integer(-1));
	} else {
		struct seen_close s = { r->addr, r->port, local_port(fd), strcmp(how, "rst") == 0, "" };
		local_addr(fd, s.client_addr, sizeof s.client_addr);
		json_array_append_new(r->ports, json_integer(s.client_port));
		if (strcmp(how, "fin_rst") == 0) {
			if (payload->len) {
				send_all(fd, payload->data, payload->len, deadline_in(IO_MS));
				transcript_bytes(ctx->tr, "probe", "send", payload->data, payload->len);
			}
			/* FIN first: the server's side is in CLOSE_WAIT when the reset
			   comes, and a reset there makes its next send fail with EPIPE. */
			transcript_note(ctx->tr, "probe", "connect", "from port %d, then close and reset without reading",
					s.client_port);
			shutdown(fd, SHUT_WR);
			wait_seen(&s);
			s.reset = 1;
			close_with_reset(fd);
		} else {
			transcript_note(ctx->tr, "probe", "connect", "from port %d, then %s without reading",
					s.client_port, s.reset ? "reset" : "close");
			if (s.reset)
				close_with_reset(fd);
			else
				close(fd);
		}
		wait_seen(&s);
	}
	json_array_append_new(r->abandoned, json_true());
	if (freeze)
		child_freeze(r->prog, 0, deadline_in(IO_MS));
	wait_settled(r->prog, deadline_in(program_budget(ctx, "settle_ms", SETTLE_MS)));
}

struct accepted {
	struct child *c;
};

/* The server has taken every connection out of its accept queue (or is gone). */
static int queue_empty(void *arg)
{
	struct accepted *a = arg;
	struct tcp_entry e;
	return !a->c->running || (find_listener(a->c->pid, &e) && e.queued == 0);
}

struct census {
	int live, zombies;
};

static void count_process(pid_t pid, struct pstat *st, void *arg)
{
	struct census *c = arg;
	(void)pid;
	if (st->state == 'Z')
		c->zombies++;
	else
		c->live++;
}

/* The processes the server started (its descendants), live and zombies. */
static struct census server_processes(struct child *prog)
{
	struct census c = { 0, 0 };
	if (prog->running)
		for_each_descendant(prog->pid, count_process, &c);
	return c;
}

struct held {
	int fd, slot;
	json_t *send;
};

/* A client that connects and waits, sending nothing, until the server has
   accepted it and gone back to waiting. The fd, or -1. */
static int hold_connection(struct server_run *r, int *client_port)
{
	struct probe_ctx *ctx = r->ctx;
	int settle = program_budget(ctx, "settle_ms", SETTLE_MS);
	int fd = connect_client(r, deadline_in(IO_MS), client_port);
	if (fd < 0)
		return -1;
	transcript_note(ctx->tr, "probe", "note", "connection %d sends nothing until the later ones are served",
			(int)json_array_size(r->replies) + 1);
	struct accepted a = { r->prog };
	if (!wait_until(queue_empty, &a, deadline_in(settle), 1))
		ctx_timeout(ctx, "the server did not accept connection %d within %d ms",
			    (int)json_array_size(r->replies) + 1, settle);
	wait_settled(r->prog, deadline_in(settle));
	if (r->children_held < 0)
		r->children_held = server_processes(r->prog).live;
	return fd;
}

static int run_connections(struct server_run *r)
{
	size_t i;
	json_t *spec;
	struct held held[16];
	int nheld = 0;
	json_array_foreach(json_object_get(r->ctx->params, "connections"), i, spec) {
		json_t *send = json_object_get(spec, "send");
		json_t *rep = json_object_get(spec, "repeat");
		int times = json_is_integer(rep) ? (int)json_integer_value(rep) : 1;
		const char *how = json_string_value(json_object_get(spec, "abandon"));
		int hold = json_is_true(json_object_get(spec, "hold"));
		for (int k = 0; k < times && !r->ctx->internal; k++) {
			int cport;
			if (how) {
				struct bytes payload;
				if (payload_param(r->ctx, send, &payload) < 0)
					return -1;
				abandon(r, how, &payload);
				bytes_free(&payload);
				continue;
			}
			if (hold && nheld < (int)(sizeof held / sizeof held[0])) {
				int fd = hold_connection(r, &cport);
				json_array_append_new(r->ports, json_integer(cport));
				json_array_append_new(r->abandoned, json_false());
				if (fd < 0) {
					json_array_append_new(r->replies, json_pack("{s:s}", "end", "could not connect"));
					continue;
				}
				held[nheld++] = (struct held){ fd, (int)json_array_size(r->replies), send };
				json_array_append_new(r->replies, json_null());
				continue;
			}
			json_array_append_new(r->replies, exchange(r, send, &cport));
			json_array_append_new(r->ports, json_integer(cport));
			json_array_append_new(r->abandoned, json_false());
		}
	}
	for (int h = 0; h < nheld; h++) {
		int budget = program_budget(r->ctx, "io_ms", IO_MS);
		json_array_set_new(r->replies, (size_t)held[h].slot,
				   finish_exchange(r, held[h].fd, held[h].send, held[h].slot + 1, deadline_in(budget),
						   budget));
	}
	return r->ctx->internal ? -1 : 0;
}

static int by_hex(const void *a, const void *b)
{
	json_t *const *x = a, *const *y = b;
	return strcmp(json_string_value(json_object_get(*x, "hex")),
		      json_string_value(json_object_get(*y, "hex")));
}

/* K clients connected at once; the replies sorted, since their order is the server's. */
static json_t *burst(struct server_run *r, int k)
{
	struct probe_ctx *ctx = r->ctx;
	struct bytes payload;
	int fds[64];
	json_t *items[64];
	if (k > 64)
		k = 64;
	if (payload_param(ctx, json_object_get(ctx->params, "burst_send"), &payload) < 0)
		return NULL;
	struct deadline dl = deadline_in(IO_MS);
	for (int i = 0; i < k; i++) {
		fds[i] = tcp_connect(r->addr, r->port, dl);
		if (fds[i] >= 0 && payload.len)
			send_all(fds[i], payload.data, payload.len, dl);
	}
	transcript_note(ctx->tr, "probe", "connect", "%d connections at once", k);
	for (int i = 0; i < k; i++) {
		struct bytes got;
		char what[96], which[48];
		bytes_init(&got, OUTPUT_CAP);
		int end = fds[i] < 0 ? -1 : read_reply(r, fds[i], &got, dl, what, sizeof what);
		snprintf(which, sizeof which, "connection %d of the burst", i + 1);
		if (end == 0 || end == -2)
			no_end(ctx, end, which, IO_MS, what);
		transcript_bytes(ctx->tr, "program", "recv", got.data, got.len);
		items[i] = bytes_json(got.data, got.len, got.dropped);
		bytes_free(&got);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	bytes_free(&payload);
	qsort(items, (size_t)k, sizeof items[0], by_hex);
	json_t *sorted = json_array();
	for (int i = 0; i < k; i++)
		json_array_append_new(sorted, items[i]);
	return sorted;
}

/* The lines of the server's stdout that name no connection's port: not a
   log line (at most 8 kept, in order). */
static json_t *other_lines(struct server_run *r)
{
	const char *out = (const char *)r->prog->out.data;
	size_t len = r->prog->out.len;
	json_t *other = json_array();
	for (size_t start = 0; start < len && json_array_size(other) < 8;) {
		const char *nl = memchr(out + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - out) + 1 : len;
		int named = 0;
		size_t i;
		json_t *port;
		json_array_foreach(r->ports, i, port) {
			char *line = match_log_line(out + start, end - start, (int)json_integer_value(port), r->addr);
			named |= line != NULL;
			free(line);
			if (named)
				break;
		}
		if (!named)
			json_array_append_new(other, bytes_json((const unsigned char *)out + start, end - start, 0));
		start = end;
	}
	return other;
}

/* The log line naming each connection's port, in the order of the
   connections; into obs as logs, and those of abandoned connections as
   abandoned_logs. */
static void log_lines(struct server_run *r, json_t *obs)
{
	json_t *lines = json_array(), *left = json_array();
	size_t i;
	json_t *port;
	json_array_foreach(r->ports, i, port) {
		int abandoned = json_is_true(json_array_get(r->abandoned, i));
		char *line = match_log_line((const char *)r->prog->out.data, r->prog->out.len,
					    (int)json_integer_value(port), r->addr);
		json_t *fact = json_string(line ? line : "(no line mentions its port)");
		json_array_append(lines, fact);
		if (abandoned)
			json_array_append(left, fact);
		json_decref(fact);
		if (!line && !abandoned)
			ctx_fail(r->ctx, "no log line on stdout names connection %d's port %d while the server runs",
				 (int)i + 1, (int)json_integer_value(port));
		free(line);
	}
	json_object_set_new(obs, "logs", lines);
	json_object_set_new(obs, "abandoned_logs", left);
	json_object_set_new(obs, "stdout_other", other_lines(r));
	if (!memchr(r->prog->out.data, '\n', r->prog->out.len)) {
		mark_vacuous(obs, "abandoned_logs", "nothing at all was logged on stdout while the server ran, "
			     "so the absence of a line for a client that left shows nothing");
		mark_vacuous(obs, "stdout_other", "nothing at all was logged on stdout while the server ran, "
			     "so a stdout free of other lines shows nothing");
	}
}

/* Ends the server with a signal while it waits in accept(), or in recv() on
   a connection the probe holds open: the wait must end and the server exit. */
static void stop(struct server_run *r, const char *name, json_t *obs)
{
	struct probe_ctx *ctx = r->ctx;
	int held = -1, settle = program_budget(ctx, "settle_ms", SETTLE_MS);
	if (param_bool(ctx, "stop_in_recv", 0)) {
		held = tcp_connect(r->addr, r->port, deadline_in(IO_MS));
		if (held < 0) {
			ctx_fail(ctx, "connecting to %s:%d failed: %s", r->addr, r->port, strerror(errno));
			return;
		}
		transcript_note(ctx->tr, "probe", "connect", "from port %d, and sends nothing", local_port(held));
		struct accepted a = { r->prog };
		if (!wait_until(queue_empty, &a, deadline_in(settle), 1))
			ctx_timeout(ctx, "the server did not accept the connection within %d ms", settle);
	}
	if (!wait_settled(r->prog, deadline_in(settle)))
		ctx_timeout(ctx, "the server did not wait for input within %d ms", settle);
	child_signal(r->prog, strcmp(name, "SIGINT") == 0 ? SIGINT : SIGTERM);
	transcript_note(ctx->tr, "probe", "signal", "%s to the program", name);
	char lead[64];
	snprintf(lead, sizeof lead, "it did not exit after %s", name);
	expect_exit(ctx, r->prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)), lead);
	json_object_set_new(obs, "stop", json_string(exit_status(r->prog)));
	if (held >= 0)
		close(held);
}

static int time_wait_seen(void *arg)
{
	return count_time_wait(*(int *)arg) > 0;
}

/* Stops the server after its connections sit in TIME_WAIT, starts it again on
   the same port, and talks to it once. */
static void restart(struct server_run *r, json_t *obs)
{
	struct probe_ctx *ctx = r->ctx;
	struct deadline dl = deadline_in(IO_MS);
	char what[96];
	int seen = wait_until_or_stuck(time_wait_seen, &r->port, -1, 1, dl, r->prog, what, sizeof what);
	/* Stuck, the server closes nothing more; a connection it has closed
	   already reaches TIME_WAIT without it. */
	if (seen < 0 && count_on_local_port(r->port, 1u << TCP_STATE_FIN_WAIT1 | 1u << TCP_STATE_FIN_WAIT2 |
								1u << TCP_STATE_CLOSING))
		seen = wait_until(time_wait_seen, &r->port, dl, 1);
	if (seen != 1)
		transcript_note(ctx->tr, "probe", "note", "no TIME_WAIT socket on port %d", r->port);
	child_signal(r->prog, SIGTERM);
	if (wait_exit_or_stuck(r->prog, deadline_in(EXIT_MS), what, sizeof what) != 1) {
		child_signal(r->prog, SIGKILL);
		wait_exit(r->prog, deadline_in(EXIT_MS));
	}
	char port[16];
	snprintf(port, sizeof port, "%d", r->port);
	const char *args[] = { r->addr, port, NULL };
	struct child *again = start_program(ctx, args, 0);
	if (!again)
		return;
	int ok;
	const char *fact = wait_tcp_listening(ctx, again, r->addr, r->port, &ok);
	/* Only the port is this rule's business; the address has a case of its own. */
	json_object_set_new(obs, "restart", json_string(ok ? "listening on its port again" : fact));
	if (ok) {
		int cport;
		json_object_set_new(obs, "restart_reply", exchange(r, json_object_get(ctx->params, "restart_send"), &cport));
	}
}

static int tcp_server(struct probe_ctx *ctx, json_t *obs)
{
	struct child *prog = NULL;
	struct server_run r = { ctx, NULL, param_str(ctx, "addr", "127.0.0.1"), 0, json_array(),
				json_array(), json_array(), -1 };
	int rc = -1, ok;
	char port[16];
	if ((r.port = pick_port(r.addr)) < 0) {
		ctx_error(ctx, "no free port on %s", r.addr);
		goto out;
	}
	snprintf(port, sizeof port, "%d", r.port);
	const char *args[] = { r.addr, port, NULL };
	if (!(prog = r.prog = start_program(ctx, args, 0)))
		goto out;
	json_object_set_new(obs, "listen", json_string(wait_tcp_listening(ctx, prog, r.addr, r.port, &ok)));
	if (!ok) {
		rc = 0;
		goto out;
	}
	if (param_bool(ctx, "backlog", 0)) {
		struct tcp_entry e;
		json_object_set_new(obs, "backlog", find_listener(prog->pid, &e) ? json_integer(e.backlog)
										  : json_string("no listener"));
	}
	int fds_before = count_fds(prog->pid);
	const char *other = param_str(ctx, "other_addr", NULL);
	if (other) {
		int fd = tcp_connect(other, r.port, deadline_in(IO_MS));
		const char *fact = fd >= 0 ? "accepted" : errno == ECONNREFUSED ? "refused" : strerror(errno);
		transcript_note(ctx->tr, "probe", "connect", "%s:%d: %s", other, r.port, fact);
		if (fd >= 0)
			close(fd);
		json_object_set_new(obs, "other_addr", json_string(fact));
	}
	if (run_connections(&r) < 0)
		goto out;
	json_object_set(obs, "replies", r.replies);
	int k = param_int(ctx, "burst", 0);
	if (k > 0) {
		json_t *sorted = burst(&r, k);
		if (!sorted)
			goto out;
		json_object_set_new(obs, "replies_sorted", sorted);
	}
	/* Back in accept(): whatever it logs for these connections is out by now. */
	int settle = program_budget(ctx, "settle_ms", SETTLE_MS);
	if (!wait_settled(prog, deadline_in(settle)))
		ctx_timeout(ctx, "the server did not go back to waiting for connections within %d ms", settle);
	json_object_set_new(obs, "alive", json_string(child_exit_class(prog)));
	json_object_set_new(obs, "stderr", json_string(stderr_fact(&prog->err)));
	if (!prog->running)
		ctx_fail(ctx, "the server ended (%s) while serving", child_exit_class(prog));
	if (param_bool(ctx, "logs", 0))
		log_lines(&r, obs);
	if (param_bool(ctx, "count_children", 0)) {
		json_object_set_new(obs, "children_while_held", json_integer(r.children_held));
		json_object_set_new(obs, "zombies", json_integer(server_processes(prog).zombies));
		if (r.children_held <= 0)
			mark_vacuous(obs, "zombies", "the server had no process of its own while a connection "
				     "waited, so the absence of zombies shows nothing");
	}
	if (param_bool(ctx, "count_fds", 0) && prog->running) {
		int growth = count_fds(prog->pid) - fds_before;
		json_object_set_new(obs, "fd_growth", json_integer(growth));
		if (growth > 0)
			ctx_fail(ctx, "the server holds %d more descriptors after the connections than before", growth);
	}
	if (param_bool(ctx, "restart", 0))
		restart(&r, obs);
	const char *sig = param_str(ctx, "stop", NULL);
	if (sig && prog->running)
		stop(&r, sig, obs);
	rc = ctx->internal ? -1 : 0;
out:
	json_decref(r.replies);
	json_decref(r.ports);
	json_decref(r.abandoned);
	return rc;
}

const struct scenario scenario_tcp_server = { "tcp_server", tcp_server };
