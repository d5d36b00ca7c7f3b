/* What scenarios share: reasons, params, starting programs, readiness. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "scenario.h"
#include "stuck.h"

static const struct scenario *const scenarios[] = {
	&scenario_unix_server, &scenario_unix_send, &scenario_tcp_server,
	&scenario_tcp_client,  &scenario_bad_args,
};

const struct scenario *scenario_find(const char *name)
{
	for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++)
		if (strcmp(scenarios[i]->name, name) == 0)
			return scenarios[i];
	return NULL;
}

static void vreason(struct probe_ctx *ctx, const char *fmt, va_list ap)
{
	if (ctx->reason[0])
		return;
	vsnprintf(ctx->reason, sizeof ctx->reason, fmt, ap);
	transcript_note(ctx->tr, "probe", "note", "%s", ctx->reason);
}

void ctx_fail(struct probe_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreason(ctx, fmt, ap);
	va_end(ap);
}

static int strikes; /* deadlines the program ran out in this probe run */

int program_budget(struct probe_ctx *ctx, const char *key, int dflt)
{
	int ms = param_int(ctx, key, dflt);
	if (strikes) {
		int fast = ms / 8 > FAST_FAIL_MS ? ms / 8 : FAST_FAIL_MS;
		if (fast < ms)
			ms = fast;
	}
	return ms;
}

/* Readiness budget: a reference peer always gets the full one (its delay is
   never the program's fault). */
static int ready_budget(struct probe_ctx *ctx, const struct child *c)
{
	return strcmp(c->who, "peer") ? program_budget(ctx, "ready_ms", READY_MS) : READY_MS;
}

void ctx_timeout(struct probe_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	strikes++;
	if (!ctx->reason[0])
		ctx->timed_out = 1;
	va_start(ap, fmt);
	vreason(ctx, fmt, ap);
	va_end(ap);
}

int ctx_error(struct probe_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	ctx->internal = 1;
	ctx->reason[0] = '\0'; /* the grader's fault outranks the program's */
	va_start(ap, fmt);
	vreason(ctx, fmt, ap);
	va_end(ap);
	return -1;
}

static int exited(void *arg)
{
	return !((struct child *)arg)->running;
}

int wait_exit_or_stuck(struct child *c, struct deadline dl, char *what, size_t len)
{
	return wait_until_or_stuck(exited, c, -1, 1, dl, c, what, len);
}

int expect_exit(struct probe_ctx *ctx, struct child *prog, struct deadline dl, const char *lead)
{
	char what[96];
	int ended = wait_exit_or_stuck(prog, dl, what, sizeof what);
	if (ended < 0)
		ctx_timeout(ctx, "%s: it waits in %s, for input that never comes (it had %d ms)", lead, what,
			    dl.budget_ms);
	else if (!ended)
		ctx_timeout(ctx, "%s: still running after %d ms", lead, dl.budget_ms);
	return ended > 0;
}

int param_int(struct probe_ctx *ctx, const char *key, int dflt)
{
	json_t *v = json_object_get(ctx->params, key);
	return json_is_integer(v) ? (int)json_integer_value(v) : dflt;
}

const char *param_str(struct probe_ctx *ctx, const char *key, const char *dflt)
{
	json_t *v = json_object_get(ctx->params, key);
	return json_is_string(v) ? json_string_value(v) : dflt;
}

int param_bool(struct probe_ctx *ctx, const char *key, int dflt)
{
	json_t *v = json_object_get(ctx->params, key);
	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static struct child *start(struct probe_ctx *ctx, const char *who, const char *path,
			   const char *const args[], int stdin_pipe)
{
	if (ctx->nkids >= MAX_CHILDREN) {
		ctx_error(ctx, "too many programs in one case");
		return NULL;
	}
	struct child *c = &ctx->kids[ctx->nkids++];
	char *argv[16];
	int n = 0;
	argv[n++] = (char *)path;
	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	char err[256];
	if (child_start(c, who, argv, stdin_pipe, ctx->dir, err, sizeof err) < 0) {
		ctx_error(ctx, "%s", err);
		return NULL;
	}
	return c;
}

struct child *start_program(struct probe_ctx *ctx, const char *const args[], int stdin_pipe)
{
	return start(ctx, "program", ctx->bin, args, stdin_pipe);
}

struct child *start_peer(struct probe_ctx *ctx, const char *name, const char *const args[],
			 int stdin_pipe)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/%s", ctx->peers, name);
	return start(ctx, "peer", path, args, stdin_pipe);
}

struct listening {
	struct child *c;
	struct tcp_entry e;
	int found;
};

static int listening_or_gone(void *arg)
{
	struct listening *l = arg;
	l->found = find_listener(l->c->pid, &l->e);
	return l->found || !l->c->running;
}

/* The program under test, whose readiness waits may end when it is stuck (it
   has been sent nothing yet: asleep for ever, it will not get ready later);
   NULL for a reference peer, whose readiness is never in doubt. */
static struct child *judged(struct child *c)
{
	return strcmp(c->who, "program") == 0 ? c : NULL;
}

/* Readiness costs no connection: a test connection would eat "Connection 1!".
   *ok is 1 when the program can be talked to at addr:port (as asked, or on a
   wildcard address), even when the fact shows it listens too widely. */
const char *wait_tcp_listening(struct probe_ctx *ctx, struct child *c, const char *addr, int port,
			       int *ok)
{
	static char fact[192];
	struct listening l = { c, { .lport = 0 }, 0 };
	char what[96];
	int budget = ready_budget(ctx, c);
	*ok = 0;
	int r = wait_until_or_stuck(listening_or_gone, &l, -1, 1, deadline_in(budget), judged(c), what,
				    sizeof what);
	if (r == 0) {
		snprintf(fact, sizeof fact, "never (still running after %d ms)", budget);
		ctx_timeout(ctx, "it did not listen on %s:%d within %d ms", addr, port, budget);
	} else if (r < 0) {
		snprintf(fact, sizeof fact, "never (still running, waiting in %s)", what);
		ctx_timeout(ctx, "it did not listen on %s:%d: it waits in %s, for input that never comes "
			    "(it had %d ms)", addr, port, what, budget);
	} else if (!l.found) {
		snprintf(fact, sizeof fact, "never (%s)", child_exit_class(c));
		ctx_fail(ctx, "it ended (%s) without listening on %s:%d", child_exit_class(c), addr, port);
	} else if (l.e.lport != port) {
		snprintf(fact, sizeof fact, "on another port");
		ctx_fail(ctx, "it listens on %s:%d, not on the port it was given (%d)", l.e.laddr,
			 l.e.lport, port);
	} else if (strcmp(l.e.laddr, addr) != 0) {
		snprintf(fact, sizeof fact, "on address %s", l.e.laddr);
		/* A wildcard listener still answers on addr: the cases about other
		   rules go on, and only those comparing "listen" lose points. */
		*ok = strcmp(l.e.laddr, "0.0.0.0") == 0 || strcmp(l.e.laddr, "::") == 0;
		if (*ok)
			transcript_note(ctx->tr, "probe", "note", "listening on %s:%d, not only on %s", l.e.laddr,
					port, addr);
		else
			ctx_fail(ctx, "it listens on %s:%d, not on the address it was given (%s)", l.e.laddr,
				 port, addr);
	} else {
		*ok = 1;
		transcript_note(ctx->tr, "probe", "note", "listening on %s:%d", addr, port);
		return "as asked";
	}
	return fact;
}

struct bound {
	struct child *c;
	const char *path;
	int fd, inotify;
};

/* Connects to the socket at b->path, which a program controls: the final
   name is opened without following a link and must be a socket owned by the
   box's uids; the connect goes to that very file (/proc/self/fd/N), with the
   programs' file-system uid. -1 when there is no such socket yet. */
static int connect_program_socket(void *arg)
{
	struct bound *b = arg;
	const struct isolation *iso = proc_isolation();
	int at = open(b->path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (at < 0)
		return -1;
	struct stat st;
	int fd = -1;
	if (fstat(at, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (!iso || !iso->drop_uid || st.st_uid == iso->uid || st.st_uid == iso->peer_uid)) {
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", at);
		fd = unix_dgram_connect(self);
	}
	close(at);
	return fd;
}

static int bound_or_gone(void *arg)
{
	struct bound *b = arg;
	char evbuf[4096];
	while (read(b->inotify, evbuf, sizeof evbuf) > 0)
		; /* the events only woke us */
	b->fd = isolation_as_program(proc_isolation(), connect_program_socket, b);
	return b->fd >= 0 || !b->c->running;
}

int wait_unix_bound(struct probe_ctx *ctx, struct child *c, const char *path, const char **fact)
{
	static char buf[192];
	int budget = ready_budget(ctx, c);
	struct deadline dl = deadline_in(budget);
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	if (in < 0 || inotify_add_watch(in, dir, IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_ATTRIB) < 0) {
		if (in >= 0)
			close(in);
		ctx_error(ctx, "inotify on %s: %s", dir, strerror(errno));
		return -1;
	}
	/* Woken by the file's creation; the short tick covers the moment between
	   the file appearing and the socket accepting (bind is not atomic). */
	struct bound b = { c, path, -1, in };
	char what[96];
	int r = wait_until_or_stuck(bound_or_gone, &b, in, 5, dl, judged(c), what, sizeof what);
	close(in);
	if (b.fd >= 0) {
		*fact = "bound";
		transcript_note(ctx->tr, "probe", "note", "socket bound at %s", path);
	} else if (r < 0) {
		snprintf(buf, sizeof buf, "never (still running, waiting in %s)", what);
		*fact = buf;
		ctx_timeout(ctx, "no socket was bound at %s: it waits in %s, for input that never comes "
			    "(it had %d ms)", path, what, budget);
	} else if (!c->running) {
		snprintf(buf, sizeof buf, "never (%s)", child_exit_class(c));
		*fact = buf;
		ctx_fail(ctx, "it ended (%s) without binding %s", child_exit_class(c), path);
	} else {
		snprintf(buf, sizeof buf, "never (still running after %d ms)", budget);
		*fact = buf;
		ctx_timeout(ctx, "no socket was bound at %s within %d ms", path, budget);
	}
	return b.fd;
}

const char *stderr_fact(const struct bytes *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (!isspace(b->data[i]))
			return "message";
	return "empty";
}

void case_socket_path(struct probe_ctx *ctx, char *buf, size_t len)
{
	snprintf(buf, len, "%s/u.sock", ctx->dir);
}
