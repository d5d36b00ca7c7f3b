/* Unix-domain datagram scenarios: unix_server (the probe or the reference
   sender sends one datagram) and unix_send (the probe or the reference server
   receives it). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "scenario.h"

static const char *path_fact(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0 ? "left behind" : "removed";
}

/* The case's socket path, or with param path_len one of exactly that many
   bytes (DIR/ppp...p.sock): the longest a program must accept is 107. */
static void server_path(struct probe_ctx *ctx, char *path, size_t len)
{
	int want = param_int(ctx, "path_len", 0);
	case_socket_path(ctx, path, len);
	if (want > 0 && (size_t)want < len) {
		int head = snprintf(path, len, "%s/", ctx->dir);
		for (int i = head; i < want - 5; i++)
			path[i] = 'p';
		snprintf(path + (want - 5 > head ? want - 5 : head), len - (size_t)(want - 5 > head ? want - 5 : head),
			 ".sock");
	}
}

/* params: payload (string or {"hex"}), stale ("socket" leaves one at PATH
   first), sender ("probe" or "reference": the reference unix_d_send),
   signal ("SIGTERM" or "SIGINT": sent once it waits, instead of a payload),
   path_len (PATH this many bytes long).
   Observes: ready, stdout, exit, status, socket_file; all but ready are
   vacuous when it never bound PATH. */
static int unix_server(struct probe_ctx *ctx, json_t *obs)
{
	char path[128], err[128];
	struct bytes payload;
	struct child *prog, *peer;
	const char *sig = param_str(ctx, "signal", NULL);
	server_path(ctx, path, sizeof path);
	json_t *spec = json_object_get(ctx->params, "payload");
	if (!spec)
		bytes_init(&payload, 0);
	else if (bytes_from_spec(spec, &payload, err, sizeof err) < 0)
		return ctx_error(ctx, "payload: %s", err);
	if (strcmp(param_str(ctx, "stale", "none"), "socket") == 0 && make_stale_socket(path) < 0) {
		bytes_free(&payload);
		return ctx_error(ctx, "cannot leave a stale socket at %s: %s", path, strerror(errno));
	}
	const char *args[] = { path, NULL };
	if (!(prog = start_program(ctx, args, 0))) {
		bytes_free(&payload);
		return -1;
	}
	const char *ready;
	int fd = wait_unix_bound(ctx, prog, path, &ready);
	json_object_set_new(obs, "ready", json_string(ready));
	if (fd >= 0 && sig) {
		/* Waiting in recv(): the signal must end that wait. */
		int settle = program_budget(ctx, "settle_ms", SETTLE_MS);
		if (!wait_settled(prog, deadline_in(settle)))
			ctx_timeout(ctx, "it did not wait for a datagram within %d ms", settle);
		child_signal(prog, strcmp(sig, "SIGINT") == 0 ? SIGINT : SIGTERM);
		transcript_note(ctx->tr, "probe", "signal", "%s to the program", sig);
		close(fd);
		expect_exit(ctx, prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)),
			    "it did not exit after the signal");
	} else if (fd >= 0) {
		if (strcmp(param_str(ctx, "sender", "probe"), "reference") == 0) {
			char msg[1024];
			snprintf(msg, sizeof msg, "%.*s", (int)payload.len, (const char *)payload.data);
			const char *pargs[] = { path, msg, NULL };
			if (!(peer = start_peer(ctx, "unix_d_send", pargs, 0))) {
				close(fd);
				bytes_free(&payload);
				return -1;
			}
			if (!wait_exit(peer, deadline_in(EXIT_MS)) || strcmp(child_exit_class(peer), "exit 0")) {
				close(fd);
				bytes_free(&payload);
				return ctx_error(ctx, "the reference unix_d_send failed: %s", child_exit_class(peer));
			}
		} else {
			send(fd, payload.data, payload.len, 0);
			transcript_bytes(ctx->tr, "probe", "send", payload.data, payload.len);
		}
		close(fd);
		expect_exit(ctx, prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)),
			    "it did not exit after receiving the datagram");
	}
	bytes_free(&payload);
	child_drain(prog);
	json_object_set_new(obs, "stdout", bytes_json(prog->out.data, prog->out.len, prog->out.dropped));
	json_object_set_new(obs, "exit", json_string(child_exit_class(prog)));
	json_object_set_new(obs, "status", json_string(exit_status(prog)));
	json_object_set_new(obs, "socket_file",
			    json_string(prog->running ? "still running" : path_fact(path)));
	if (fd < 0) {
		const char *fields[] = { "stdout", "exit", "status", "socket_file" };
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			mark_vacuous(obs, fields[f], "no socket was ever bound at PATH");
	}
	return 0;
}

/* Every datagram queued on fd, as a JSON list of bytes. */
static json_t *drain_datagrams(struct probe_ctx *ctx, int fd)
{
	json_t *list = json_array();
	static unsigned char buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			break;
		size_t kept = (size_t)n < sizeof buf ? (size_t)n : sizeof buf;
		transcript_bytes(ctx->tr, "program", "send", buf, kept);
		json_array_append_new(list, bytes_json(buf, kept, (size_t)n - kept));
	}
	return list;
}

/* params: message (argv), server ("probe": the probe binds PATH; "reference":
   the reference unix_d_server does; "none": nothing is there; "stale": a
   socket file nobody is bound to is there).
   Observes: datagrams, server_stdout, exit, status, stderr, stderr_line,
   stderr_form, path. With server none or stale the case first makes a
   control run (control_run): without one that works, exit, status and the
   stderr and path facts are vacuous. */
static int unix_send(struct probe_ctx *ctx, json_t *obs)
{
	char path[128], why[512];
	struct child *prog, *peer = NULL;
	const char *server = param_str(ctx, "server", "probe");
	const char *message = param_str(ctx, "message", "");
	int srv = -1, works = 1;
	case_socket_path(ctx, path, sizeof path);
	if (strcmp(server, "none") == 0 || strcmp(server, "stale") == 0) {
		if ((works = control_run(ctx, why, sizeof why)) < 0)
			return -1;
	}
	if (strcmp(server, "probe") == 0) {
		if ((srv = unix_dgram_bind(path)) < 0)
			return ctx_error(ctx, "cannot bind %s: %s", path, strerror(errno));
	} else if (strcmp(server, "stale") == 0) {
		if (make_stale_socket(path) < 0)
			return ctx_error(ctx, "cannot leave a stale socket at %s: %s", path, strerror(errno));
	} else if (strcmp(server, "reference") == 0) {
		const char *pargs[] = { path, NULL };
		const char *ready;
		if (!(peer = start_peer(ctx, "unix_d_server", pargs, 0)))
			return -1;
		int fd = wait_unix_bound(ctx, peer, path, &ready);
		if (fd < 0)
			return ctx_error(ctx, "the reference unix_d_server did not start: %s", ready);
		close(fd);
	}
	const char *args[] = { path, message, NULL };
	if (!(prog = start_program(ctx, args, 0))) {
		if (srv >= 0)
			close(srv);
		return -1;
	}
	/* Nothing is sent to the sender: asleep for ever, it has its answer. */
	expect_exit(ctx, prog, deadline_in(program_budget(ctx, "exit_ms", EXIT_MS)), "it did not exit");
	if (srv >= 0) {
		json_object_set_new(obs, "datagrams", drain_datagrams(ctx, srv));
		close(srv);
	} else if (strcmp(server, "reference") == 0) {
		/* The program has ended: a server still waiting gets nothing more. */
		char what[96];
		int budget = program_budget(ctx, "io_ms", IO_MS);
		int r = wait_exit_or_stuck(peer, deadline_in(budget), what, sizeof what);
		if (r < 0)
			ctx_timeout(ctx, "the reference unix_d_server received nothing: it waits in %s (it had %d ms)",
				    what, budget);
		else if (!r)
			ctx_timeout(ctx, "the reference unix_d_server received nothing within %d ms", budget);
		child_drain(peer);
		json_object_set_new(obs, "server_stdout",
				    bytes_json(peer->out.data, peer->out.len, peer->out.dropped));
	}
	child_drain(prog);
	struct wording w;
	stderr_wording(ctx, &prog->err, path, NULL, &w);
	json_object_set_new(obs, "exit", json_string(child_exit_class(prog)));
	json_object_set_new(obs, "status", json_string(exit_status(prog)));
	json_object_set_new(obs, "stderr", json_string(stderr_fact(&prog->err)));
	json_object_set_new(obs, "stderr_line", json_string(w.line));
	json_object_set_new(obs, "stderr_form", json_string(w.form));
	if (strcmp(server, "none") == 0)
		json_object_set_new(obs, "path", json_string(strcmp(path_fact(path), "removed")
							     ? "created" : "not created"));
	if (!works) {
		const char *fields[] = { "exit", "status", "stderr", "stderr_line", "stderr_form", "path" };
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			mark_vacuous(obs, fields[f], why);
	}
	return 0;
}

const struct scenario scenario_unix_server = { "unix_server", unix_server };
const struct scenario scenario_unix_send = { "unix_send", unix_send };
