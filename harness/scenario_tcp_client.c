/* tcp_client: the probe plays the server (a script of steps), or the client
   talks to a reference server, or to nothing.

   params:
     server  "probe" (default), "tcp_qq_srver" or "tcp_echo_serverSR" (a
             reference server), or "none" (a port that refuses)
     steps   with server "probe": [{"stdin": text} | {"reply": payload} |
             {"eof": true} | {"close": true} | {"reset": true}]; after every
             step but close and reset the probe waits until the client has
             settled and records what it sent; close ends the connection with
             a FIN, reset with a reset, and the client must then exit
     stdin   otherwise: what the client reads on stdin before end of file, which
             comes once the server's close has reached the client
     stdin_after_close  write stdin only after that, too (a server that never
             reads, like tcp_qq_srver, must not race the client's input)
   observes: connected, sent (one entry per step but close and reset),
             client_eof (the step after which the probe saw the client's end
             of file: "after step N", or "not before the end"), stdout, exit,
             status, stderr, stderr_line, stderr_form (stderr_wording). With
             the probe as server, all but connected are vacuous when the
             client never connected; with server none, the case first makes
             a control run (control_run), without which the exit and stderr
             facts are vacuous. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "scenario.h"
#include "stuck.h"

#define LOOPBACK "127.0.0.1"

struct delivery {
	int client_port, server_port;
	long long sent;
};

static int delivered(void *arg)
{
	struct delivery *d = arg;
	long long got = tcp_bytes_received(LOOPBACK, d->client_port, LOOPBACK, d->server_port);
	return got < 0 || got >= d->sent; /* gone counts as delivered */
}

struct client_input {
	int conn, eof;
	struct bytes *b;
};

static int client_eof_read(void *arg)
{
	struct client_input *in = arg;
	in->eof = read_available(in->conn, in->b) != 0;
	return in->eof;
}

/* After a step: wait until the client settles, then take what it sent. A
   client whose socket has left ESTABLISHED has shut down its sending side
   or closed: its end of file is on the way, and is waited for. */
static json_t *collect(struct probe_ctx *ctx, struct child *prog, int conn, const struct delivery *d,
		       int *closed)
{
	int budget = program_budget(ctx, "settle_ms", SETTLE_MS);
	if (!wait_settled(prog, deadline_in(budget)))
		ctx_timeout(ctx, "the client kept running for %d ms instead of waiting for input", budget);
	struct bytes b;
	bytes_init(&b, OUTPUT_CAP);
	struct client_input in = { conn, 0, &b };
	if (!*closed && tcp_state(LOOPBACK, d->client_port, LOOPBACK, d->server_port) != TCP_STATE_ESTABLISHED)
		wait_until(client_eof_read, &in, deadline_in(IO_MS), 1);
	else
		client_eof_read(&in);
	if (b.len)
		transcript_bytes(ctx->tr, "program", "send", b.data, b.len);
	if (in.eof && !*closed) {
		*closed = 1;
		transcript_note(ctx->tr, "program", "eof", "the client closed its side");
	}
	json_t *j = bytes_json(b.data, b.len, b.dropped);
	bytes_free(&b);
	return j;
}

static int run_steps(struct probe_ctx *ctx, struct child *prog, int *connp, int port, json_t *obs)
{
	int conn = *connp;
	struct delivery d = { remote_port(conn), port, 0 };
	int closed = 0;
	size_t i;
	json_t *step, *sent = json_array();
	json_object_set_new(obs, "sent", sent);
	json_object_set_new(obs, "client_eof", json_string("not before the end"));
	json_array_foreach(json_object_get(ctx->params, "steps"), i, step) {
		json_t *v;
		if (conn < 0)
			return ctx_error(ctx, "step %zu comes after a reset", i + 1);
		if ((v = json_object_get(step, "stdin"))) {
			child_write_stdin(prog, json_string_value(v), json_string_length(v));
		} else if ((v = json_object_get(step, "reply"))) {
			struct bytes b;
			char err[128];
			if (bytes_from_spec(v, &b, err, sizeof err) < 0)
				return ctx_error(ctx, "reply: %s", err);
			send_all(conn, b.data, b.len, deadline_in(IO_MS));
			transcript_bytes(ctx->tr, "probe", "send", b.data, b.len);
			d.sent += (long long)b.len;
			bytes_free(&b);
			/* A reply must have reached the client before "settled" means anything. */
			wait_until(delivered, &d, deadline_in(IO_MS), 1);
		} else if (json_is_true(json_object_get(step, "eof"))) {
			child_close_stdin(prog);
		} else if (json_is_true(json_object_get(step, "close")) ||
			   json_is_true(json_object_get(step, "reset"))) {
			int reset = json_is_true(json_object_get(step, "reset"));
			if (reset) {
				close_with_reset(conn);
				*connp = conn = -1;
			} else {
				shutdown(conn, SHUT_RDWR);
			}
			transcript_note(ctx->tr, "probe", "eof", "the server %s the connection",
					reset ? "resets" : "closes");
			expect_exit(ctx, prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)),
				    reset ? "the client did not exit when the server reset the connection"
					  : "the client did not exit when the server closed");
			continue;
		} else {
			return ctx_error(ctx, "step %zu is none of stdin, reply, eof, close, reset", i + 1);
		}
		int was_closed = closed;
		json_array_append_new(sent, collect(ctx, prog, conn, &d, &closed));
		if (closed && !was_closed) {
			char at[32];
			snprintf(at, sizeof at, "after step %zu", i + 1);
			json_object_set_new(obs, "client_eof", json_string(at));
		}
	}
	return 0;
}

/* stdout, exit and stderr facts of the client. */
static void client_facts(struct probe_ctx *ctx, struct child *prog, int port, json_t *obs)
{
	char portstr[16];
	struct wording w;
	snprintf(portstr, sizeof portstr, "%d", port);
	child_drain(prog);
	stderr_wording(ctx, &prog->err, NULL, portstr, &w);
	json_object_set_new(obs, "stdout", bytes_json(prog->out.data, prog->out.len, prog->out.dropped));
	json_object_set_new(obs, "exit", json_string(child_exit_class(prog)));
	json_object_set_new(obs, "status", json_string(exit_status(prog)));
	json_object_set_new(obs, "stderr", json_string(stderr_fact(&prog->err)));
	json_object_set_new(obs, "stderr_line", json_string(w.line));
	json_object_set_new(obs, "stderr_form", json_string(w.form));
}

static void all_vacuous(json_t *obs, const char *why)
{
	const char *fields[] = { "stdout", "exit", "status", "stderr", "stderr_line", "stderr_form" };
	for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
		mark_vacuous(obs, fields[f], why);
}

struct connecting {
	struct child *prog;
	int lfd, pending;
};

static int connected_or_gone(void *arg)
{
	struct connecting *w = arg;
	struct pollfd p = { w->lfd, POLLIN, 0 };
	w->pending = poll(&p, 1, 0) == 1;
	return w->pending || !w->prog->running;
}

static int scripted(struct probe_ctx *ctx, json_t *obs)
{
	int port, conn = -1, rc = -1;
	int lfd = tcp_listen(LOOPBACK, 0, &port);
	if (lfd < 0)
		return ctx_error(ctx, "cannot listen on %s: %s", LOOPBACK, strerror(errno));
	char portstr[16];
	snprintf(portstr, sizeof portstr, "%d", port);
	const char *args[] = { LOOPBACK, portstr, NULL };
	struct child *prog = start_program(ctx, args, 1);
	if (!prog)
		goto out;
	int budget = program_budget(ctx, "ready_ms", READY_MS);
	/* The probe has sent the client nothing yet: stuck, it will not connect later. */
	char what[96];
	struct connecting w = { prog, lfd, 0 };
	int r = wait_until_or_stuck(connected_or_gone, &w, lfd, 1, deadline_in(budget), prog, what, sizeof what);
	if (w.pending)
		conn = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (conn < 0) {
		if (r < 0)
			ctx_timeout(ctx, "the client did not connect: it waits in %s, for input that never comes "
				    "(it had %d ms)", what, budget);
		else if (prog->running)
			ctx_timeout(ctx, "the client did not connect within %d ms", budget);
		else
			ctx_fail(ctx, "the client ended (%s) without connecting", child_exit_class(prog));
		json_object_set_new(obs, "connected", json_string("no"));
		all_vacuous(obs, "the client never connected to the probe");
	} else {
		transcript_note(ctx->tr, "program", "connect", "from port %d", remote_port(conn));
		json_object_set_new(obs, "connected", json_string("yes"));
		if (run_steps(ctx, prog, &conn, port, obs) < 0)
			goto out;
	}
	client_facts(ctx, prog, port, obs);
	rc = 0;
out:
	if (conn >= 0)
		close(conn);
	close(lfd);
	return rc;
}

struct closed_by_server {
	struct child *prog;
	int port;
};

/* The client connected and the server's close has reached it (its socket is in
   CLOSE_WAIT), or the client is gone. */
static int server_close_seen(void *arg)
{
	struct closed_by_server *c = arg;
	return !c->prog->running || count_state_to(c->port, TCP_STATE_CLOSE_WAIT) > 0;
}

static int against(struct probe_ctx *ctx, json_t *obs, const char *server)
{
	int port, hold = -1, ok, works = 1;
	char portstr[16], why[512];
	struct child *peer = NULL;
	if (strcmp(server, "none") == 0 && (works = control_run(ctx, why, sizeof why)) < 0)
		return -1;
	if (strcmp(server, "none") == 0) {
		if ((hold = reserve_refusing_port(LOOPBACK, &port)) < 0)
			return ctx_error(ctx, "cannot reserve a port: %s", strerror(errno));
	} else {
		if ((port = pick_port(LOOPBACK)) < 0)
			return ctx_error(ctx, "no free port");
		snprintf(portstr, sizeof portstr, "%d", port);
		const char *pargs[] = { LOOPBACK, portstr, NULL };
		peer = start_peer(ctx, server, pargs, 0);
		if (!peer)
			return -1;
		const char *fact = wait_tcp_listening(ctx, peer, LOOPBACK, port, &ok);
		if (!ok)
			return ctx_error(ctx, "the reference %s did not listen: %s", server, fact);
	}
	snprintf(portstr, sizeof portstr, "%d", port);
	const char *args[] = { LOOPBACK, portstr, NULL };
	struct child *prog = start_program(ctx, args, 1);
	if (!prog) {
		if (hold >= 0)
			close(hold);
		return -1;
	}
	/* End of stdin (and, with stdin_after_close, stdin itself) only once the
	   server's close has reached the client: the same order of events every
	   run, whatever the client does with its input. */
	const char *in = param_str(ctx, "stdin", "");
	struct closed_by_server c = { prog, port };
	int after_close = param_bool(ctx, "stdin_after_close", 0);
	if (hold < 0 && after_close)
		wait_until(server_close_seen, &c, deadline_in(program_budget(ctx, "io_ms", IO_MS)), 1);
	child_write_stdin(prog, in, strlen(in));
	if (hold < 0) {
		if (!after_close)
			wait_until(server_close_seen, &c, deadline_in(program_budget(ctx, "io_ms", IO_MS)), 1);
		wait_settled(prog, deadline_in(program_budget(ctx, "settle_ms", SETTLE_MS)));
	}
	child_close_stdin(prog);
	expect_exit(ctx, prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)),
		    "the client did not exit at the end of its input");
	client_facts(ctx, prog, port, obs);
	if (!works)
		all_vacuous(obs, why);
	if (hold >= 0)
		close(hold);
	return 0;
}

static int tcp_client(struct probe_ctx *ctx, json_t *obs)
{
	const char *server = param_str(ctx, "server", "probe");
	return strcmp(server, "probe") == 0 ? scripted(ctx, obs) : against(ctx, obs, server);
}

const struct scenario scenario_tcp_client = { "tcp_client", tcp_client };
