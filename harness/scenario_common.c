/* What scenarios share: reasons, params, starting programs, readiness. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

const char *exit_status(const struct child *c)
{
	static char buf[64];
	if (c->running)
		return "still running";
	if (WIFEXITED(c->status))
		snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(c->status));
	else
		snprintf(buf, sizeof buf, "killed by %s", signal_name(WTERMSIG(c->status)));
	return buf;
}

/* Length of "PROG" or "any/path/PROG" at the start of s, when followed by
   a space, a colon or the end; else 0. */
static size_t program_token(const char *s, const char *prog)
{
	size_t n = strlen(prog), tok = strcspn(s, " :");
	if (tok < n || memcmp(s + tok - n, prog, n) != 0 || (tok > n && s[tok - n - 1] != '/'))
		return 0;
	return tok;
}

/* Replaces every whole occurrence of val in s (at most len bytes with its
   NUL) by key; digits around a number make it part of another one. */
static void put_back(char *s, size_t len, const char *val, const char *key)
{
	size_t vl = strlen(val), kl = strlen(key);
	if (!vl)
		return;
	for (char *p = strstr(s, val); p; p = strstr(p, val)) {
		int number = isdigit((unsigned char)val[0]);
		if (number && ((p > s && isdigit((unsigned char)p[-1])) || isdigit((unsigned char)p[vl]))) {
			p += vl;
			continue;
		}
		size_t rest = strlen(p + vl);
		if ((size_t)(p - s) + kl + rest + 1 > len)
			return;
		memmove(p + kl, p + vl, rest + 1);
		memcpy(p, key, kl);
		p += kl;
	}
}

void stderr_wording(const struct probe_ctx *ctx, const struct bytes *err, const char *path, const char *port,
		    struct wording *w)
{
	const char *prog = ctx->program;
	char raw[sizeof w->line];
	size_t n = 0;
	while (n < err->len && n + 1 < sizeof raw && err->data[n] != '\n' && err->data[n] != '\0')
		n++;
	memcpy(raw, err->data, n);
	raw[n] = '\0';
	/* A program path at the start ("/box/tcp_client: ...") is its name. */
	size_t tok = program_token(raw, prog);
	if (tok)
		snprintf(w->line, sizeof w->line, "%s%s", prog, raw + tok);
	else
		snprintf(w->line, sizeof w->line, "%s", raw);
	if (path)
		put_back(w->line, sizeof w->line, path, "{path}");
	if (port)
		put_back(w->line, sizeof w->line, port, "{port}");
	size_t pl = strlen(prog), ll = strlen(w->line);
	if (!ll) {
		snprintf(w->form, sizeof w->form, "(nothing)");
		return;
	}
	if (strncmp(raw, "usage: ", 7) == 0 && program_token(raw + 7, prog) &&
	    raw[7 + program_token(raw + 7, prog)] != ':') {
		snprintf(w->form, sizeof w->form, "usage: PROG ...");
		return;
	}
	if (strncmp(w->line, prog, pl) == 0 && strncmp(w->line + pl, ": ", 2) == 0)
		for (int e = 1; e < 134; e++) {
			const char *text = strerror(e);
			size_t tl = strlen(text);
			/* "PROG: " what ": " text, what not empty */
			if (ll > pl + 2 + 2 + tl && strcmp(w->line + ll - tl, text) == 0 &&
			    strncmp(w->line + ll - tl - 2, ": ", 2) == 0 && w->line[pl + 2] != ':') {
				snprintf(w->form, sizeof w->form, "PROG: ...: %s", text);
				return;
			}
		}
	snprintf(w->form, sizeof w->form, "other");
}

void mark_vacuous(json_t *obs, const char *field, const char *why)
{
	json_t *v = json_object_get(obs, "vacuous");
	if (!v) {
		v = json_object();
		json_object_set_new(obs, "vacuous", v);
	}
	if (!json_object_get(v, field))
		json_object_set_new(v, field, json_string(why));
}

struct ready_fd {
	struct child *c;
	int fd, ready;
};

/* fd is readable (a pending connection, a datagram), or the program is gone:
   what it did before it ended is queued by then. */
static int readable_or_gone(void *arg)
{
	struct ready_fd *r = arg;
	struct pollfd p = { r->fd, POLLIN, 0 };
	r->ready = poll(&p, 1, 0) == 1;
	return r->ready || !r->c->running;
}

/* Waits until fd is readable because of c; 1 it is, 0 not (why filled). */
static int wait_readable(struct probe_ctx *ctx, struct child *c, int fd, const char *doing, char *why, size_t len)
{
	char what[96];
	int budget = program_budget(ctx, "ready_ms", READY_MS);
	struct ready_fd r = { c, fd, 0 };
	int w = wait_until_or_stuck(readable_or_gone, &r, fd, 1, deadline_in(budget), c, what, sizeof what);
	if (r.ready)
		return 1;
	if (w < 0)
		snprintf(why, len, "with valid arguments it never %s: it waits in %s", doing, what);
	else if (c->running)
		snprintf(why, len, "with valid arguments it never %s (it had %d ms)", doing, budget);
	else
		snprintf(why, len, "with valid arguments it never %s (%s)", doing, exit_status(c));
	return 0;
}

int control_run(struct probe_ctx *ctx, char *why, size_t len)
{
	const char *prog = ctx->program, *addr = param_str(ctx, "addr", "127.0.0.1");
	char path[PATH_MAX], portstr[16];
	int port, fd = -1, works = 0;
	struct child *c = NULL;
	snprintf(path, sizeof path, "%s/control.sock", ctx->dir);
	transcript_note(ctx->tr, "probe", "note", "control run: the program with valid arguments");
	if (strcmp(prog, "tcp_qq_srver") == 0 || strcmp(prog, "tcp_echo_serverSR") == 0) {
		if ((port = pick_port(addr)) < 0)
			return ctx_error(ctx, "no free port on %s", addr);
		snprintf(portstr, sizeof portstr, "%d", port);
		const char *args[] = { addr, portstr, NULL };
		if (!(c = start_program(ctx, args, 0)))
			return -1;
		int ok;
		wait_tcp_listening(ctx, c, addr, port, &ok); /* says why not, as the case's reason */
		if (!(works = ok))
			snprintf(why, len, "with valid arguments it does not listen");
	} else if (strcmp(prog, "unix_d_server") == 0) {
		const char *args[] = { path, NULL }, *fact;
		if (!(c = start_program(ctx, args, 0)))
			return -1;
		if ((fd = wait_unix_bound(ctx, c, path, &fact)) >= 0) /* says why not, as the case's reason */
			works = 1;
		else
			snprintf(why, len, "with valid arguments it binds no socket");
	} else if (strcmp(prog, "unix_d_send") == 0) {
		if ((fd = unix_dgram_bind(path)) < 0)
			return ctx_error(ctx, "cannot bind %s: %s", path, strerror(errno));
		const char *args[] = { path, "x", NULL };
		if (!(c = start_program(ctx, args, 0))) {
			close(fd);
			return -1;
		}
		works = wait_readable(ctx, c, fd, "sent a datagram", why, len);
	} else if (strcmp(prog, "tcp_client") == 0) {
		if ((fd = tcp_listen("127.0.0.1", 0, &port)) < 0)
			return ctx_error(ctx, "cannot listen on 127.0.0.1: %s", strerror(errno));
		snprintf(portstr, sizeof portstr, "%d", port);
		const char *args[] = { "127.0.0.1", portstr, NULL };
		if (!(c = start_program(ctx, args, 1))) {
			close(fd);
			return -1;
		}
		works = wait_readable(ctx, c, fd, "connected", why, len);
	} else {
		return ctx_error(ctx, "no control run is known for %s", prog);
	}
	if (fd >= 0)
		close(fd);
	child_signal(c, SIGKILL);
	wait_exit(c, deadline_in(EXIT_MS));
	transcript_note(ctx->tr, "probe", "note", "control run %s", works ? "done: it works" : why);
	return works;
}
