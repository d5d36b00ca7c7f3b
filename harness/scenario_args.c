/* bad_args: the program is started with wrong arguments (or with a user's
   file in its way) and must say so on stderr and exit, promptly, without
   crashing.

   params:
     argvs         [[arg, ...], ...] with placeholders {path} (the case's socket
                   path), {path:N} (a path in the case's folder N bytes long),
                   {dir} (the case's folder), {addr} (param addr, default
                   127.0.0.1), {port} (a free port)
     hold_port     the probe listens on {addr}:{port} first (the port is taken)
     regular_file  the probe writes a regular file at {path} first (a user's)
     within_ms     how long "promptly" is (default PROMPT_MS)
   Every case of this scenario first makes a control run (control_run): with
   valid arguments the program must do its job's first step, else every fact
   below is vacuous (a program that refuses everything shows nothing).
   observes: runs, one {"args", "exit", "stderr"} per argv; statuses, the
             exact exit status per argv ("exit 2"); stderr_forms, the form of
             each first stderr line (stderr_wording); user_file, what became
             of the regular file ("intact", "removed", "changed") */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net.h"
#include "scenario.h"

#define USER_FILE_TEXT "a user's file, not a socket\n"

struct values {
	const char *path, *dir, *addr, *port;
};

/* template with the placeholders replaced, into out. */
static void substitute(const char *template, const struct values *v, char *out, size_t len)
{
	const char *keys[4] = { "{path}", "{dir}", "{addr}", "{port}" };
	const char *vals[4] = { v->path, v->dir, v->addr, v->port };
	size_t o = 0;
	while (*template && o + 1 < len) {
		int hit = 0, n, used;
		for (int k = 0; k < 4 && !hit; k++)
			if (strncmp(template, keys[k], strlen(keys[k])) == 0) {
				o += (size_t)snprintf(out + o, len - o, "%s", vals[k]);
				template += strlen(keys[k]);
				hit = 1;
			}
		if (!hit && sscanf(template, "{path:%d}%n", &n, &used) == 1 && used > 0) {
			/* DIR/ppp...p, n bytes in all */
			int head = snprintf(out + o, len - o, "%s/", v->dir);
			for (int i = head; i < n && o + (size_t)i + 1 < len; i++)
				out[o + (size_t)i] = 'p';
			o += (size_t)(n > head ? n : head);
			template += used;
			hit = 1;
		}
		if (!hit)
			out[o++] = *template++;
		if (o >= len)
			o = len - 1;
	}
	out[o] = '\0';
}

/* Writes the user's regular file at path. 0, or -1 after ctx_error. */
static int write_user_file(struct probe_ctx *ctx, const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, USER_FILE_TEXT, strlen(USER_FILE_TEXT)) < 0) {
		if (fd >= 0)
			close(fd);
		return ctx_error(ctx, "cannot write a regular file at %s: %s", path, strerror(errno));
	}
	close(fd);
	return 0;
}

/* What became of it: never following a link the program may have put there. */
static const char *user_file_fact(const char *path)
{
	char buf[128];
	struct stat st;
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? "removed" : "changed";
	ssize_t n = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? read(fd, buf, sizeof buf) : -1;
	close(fd);
	return n == (ssize_t)strlen(USER_FILE_TEXT) && memcmp(buf, USER_FILE_TEXT, (size_t)n) == 0 ? "intact"
												   : "changed";
}

static int bad_args(struct probe_ctx *ctx, json_t *obs)
{
	const char *addr = param_str(ctx, "addr", "127.0.0.1");
	int within = program_budget(ctx, "within_ms", PROMPT_MS);
	char path[128], portstr[MAX_CHILDREN][16], shown[MAX_CHILDREN][512], why[512];
	struct child *progs[MAX_CHILDREN];
	int holds[MAX_CHILDREN], nruns = 0, rc = 0;
	json_t *argvs = json_object_get(ctx->params, "argvs"), *argv;
	size_t i;
	/* one child is the control run's */
	if (json_array_size(argvs) > MAX_CHILDREN - 1)
		return ctx_error(ctx, "at most %d argvs in one case", MAX_CHILDREN - 1);
	case_socket_path(ctx, path, sizeof path);
	int works = control_run(ctx, why, sizeof why);
	if (works < 0)
		return -1;
	int user_file = param_bool(ctx, "regular_file", 0);
	if (user_file && write_user_file(ctx, path) < 0)
		return -1;
	/* All runs start at once and share one deadline: a program that never
	   exits costs the case one wait, not one per argv. */
	json_array_foreach(argvs, i, argv) {
		int port;
		holds[nruns] = -1;
		if (param_bool(ctx, "hold_port", 0)) {
			if ((holds[nruns] = tcp_listen(addr, 0, &port)) < 0) {
				rc = ctx_error(ctx, "cannot listen on %s", addr);
				break;
			}
		} else if ((port = pick_port(addr)) < 0) {
			rc = ctx_error(ctx, "no free port on %s", addr);
			break;
		}
		snprintf(portstr[nruns], sizeof portstr[nruns], "%d", port);
		struct values v = { path, ctx->dir, addr, portstr[nruns] };
		char buf[8][256];
		const char *args[9];
		size_t n = 0, k;
		json_t *t;
		shown[nruns][0] = '\0';
		json_array_foreach(argv, k, t) {
			if (n == 8)
				break;
			substitute(json_string_value(t), &v, buf[n], sizeof buf[n]);
			args[n] = buf[n];
			n++;
			snprintf(shown[nruns] + strlen(shown[nruns]), sizeof shown[nruns] - strlen(shown[nruns]),
				 "%s%s", k ? " " : "", json_string_value(t));
		}
		args[n] = NULL;
		if (!(progs[nruns++] = start_program(ctx, args, 0))) {
			rc = -1;
			break;
		}
	}
	json_t *runs = json_array(), *statuses = json_array(), *forms = json_array();
	json_object_set_new(obs, "runs", runs);
	json_object_set_new(obs, "statuses", statuses);
	json_object_set_new(obs, "stderr_forms", forms);
	struct deadline dl = deadline_in(within);
	for (int r = 0; r < nruns; r++) {
		if (!progs[r])
			continue;
		/* The probe sends the programs nothing: one that waits for input has
		   nothing coming, and would run out the deadline for nothing. */
		char lead[600];
		snprintf(lead, sizeof lead, "with arguments \"%.511s\" it did not exit", shown[r]);
		expect_exit(ctx, progs[r], dl, lead);
		child_drain(progs[r]);
		struct wording w;
		stderr_wording(ctx, &progs[r]->err, path, portstr[r], &w);
		json_array_append_new(runs, json_pack("{s:s, s:s, s:s}", "args", shown[r], "exit",
						      child_exit_class(progs[r]), "stderr",
						      stderr_fact(&progs[r]->err)));
		json_array_append_new(statuses, json_string(exit_status(progs[r])));
		json_array_append_new(forms, json_string(w.form));
	}
	if (user_file)
		json_object_set_new(obs, "user_file", json_string(user_file_fact(path)));
	if (!works) {
		const char *fields[] = { "runs", "statuses", "stderr_forms", "user_file" };
		for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++)
			mark_vacuous(obs, fields[f], why);
	}
	for (int r = 0; r < nruns; r++)
		if (holds[r] >= 0)
			close(holds[r]);
	return rc;
}

const struct scenario scenario_bad_args = { "bad_args", bad_args };
