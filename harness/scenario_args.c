/* bad_args: the program is started with wrong arguments and must say so on
   stderr and exit non-zero, promptly, without crashing.

   params:
     argvs      [[arg, ...], ...] with placeholders {path} (the case's socket
                path), {addr} (param addr, default 127.0.0.1), {port} (a free port)
     hold_port  the probe listens on {addr}:{port} first (the port is taken)
     within_ms  how long "promptly" is (default PROMPT_MS)
   observes: runs, one {"args", "exit", "stderr"} per argv */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "scenario.h"

/* template with {path}, {addr}, {port} replaced, into out. */
static void substitute(const char *template, const char *path, const char *addr, const char *port,
		       char *out, size_t len)
{
	const char *keys[3] = { "{path}", "{addr}", "{port}" }, *vals[3] = { path, addr, port };
	size_t o = 0;
	while (*template && o + 1 < len) {
		int hit = 0;
		for (int k = 0; k < 3 && !hit; k++)
			if (strncmp(template, keys[k], strlen(keys[k])) == 0) {
				o += (size_t)snprintf(out + o, len - o, "%s", vals[k]);
				template += strlen(keys[k]);
				hit = 1;
			}
		if (!hit)
			out[o++] = *template++;
		if (o >= len)
			o = len - 1;
	}
	out[o] = '\0';
}

static int bad_args(struct probe_ctx *ctx, json_t *obs)
{
	const char *addr = param_str(ctx, "addr", "127.0.0.1");
	int within = program_budget(ctx, "within_ms", PROMPT_MS);
	char path[128], portstr[16], shown[MAX_CHILDREN][512];
	struct child *progs[MAX_CHILDREN];
	int holds[MAX_CHILDREN], nruns = 0, rc = 0;
	json_t *argvs = json_object_get(ctx->params, "argvs"), *argv;
	size_t i;
	if (json_array_size(argvs) > MAX_CHILDREN)
		return ctx_error(ctx, "at most %d argvs in one case", MAX_CHILDREN);
	case_socket_path(ctx, path, sizeof path);
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
		snprintf(portstr, sizeof portstr, "%d", port);
		char buf[8][256];
		const char *args[9];
		size_t n = 0, k;
		json_t *t;
		shown[nruns][0] = '\0';
		json_array_foreach(argv, k, t) {
			if (n == 8)
				break;
			substitute(json_string_value(t), path, addr, portstr, buf[n], sizeof buf[n]);
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
	json_t *runs = json_array();
	json_object_set_new(obs, "runs", runs);
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
		json_array_append_new(runs, json_pack("{s:s, s:s, s:s}", "args", shown[r], "exit",
						      child_exit_class(progs[r]), "stderr",
						      stderr_fact(&progs[r]->err)));
	}
	for (int r = 0; r < nruns; r++)
		if (holds[r] >= 0)
			close(holds[r]);
	return rc;
}

const struct scenario scenario_bad_args = { "bad_args", bad_args };
