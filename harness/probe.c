/* probe: runs cases against one program and prints one JSON verdict per line.

   probe --bin PROGRAM --peers REFERENCE_DIR [--program NAME] [--expected FILE]
         [--id CASE_ID ...] CASE_FILE...

   Exit 0 when every selected case ran (whatever its verdict), 2 on a usage
   error, a malformed case file or expectation file (one line on stderr). */
#define _GNU_SOURCE
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cases.h"
#include "verdict.h"

static void usage_exit(const char *msg)
{
	fprintf(stderr, "probe: %s\n", msg);
	fprintf(stderr, "usage: probe --bin PROGRAM --peers REFERENCE_DIR [--program NAME] "
			"[--expected FILE] [--id CASE_ID ...] CASE_FILE...\n");
	exit(2);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Runs case c against the program; returns its verdict. */
static json_t *run_case(json_t *c, const char *bin, const char *peers, json_t *expected)
{
	struct transcript tr;
	struct probe_ctx ctx;
	memset(&ctx, 0, sizeof ctx);
	ctx.bin = bin;
	ctx.peers = peers;
	ctx.program = json_string_value(json_object_get(c, "program"));
	json_t *params = json_object_get(c, "params");
	ctx.params = params ? params : json_object();
	if (!params)
		json_object_set_new(c, "params", ctx.params);
	ctx.tr = &tr;
	transcript_init(&tr);
	proc_begin_case(&tr);
	json_t *obs = json_object();
	double t0 = now_ms();
	snprintf(ctx.dir, sizeof ctx.dir, "/tmp/probe-XXXXXX");
	if (!mkdtemp(ctx.dir))
		ctx_error(&ctx, "mkdtemp: %s", strerror(errno));
	else
		scenario_find(json_string_value(json_object_get(c, "scenario")))->run(&ctx, obs);
	proc_end_case();
	if (ctx.dir[0] && strstr(ctx.dir, "XXXXXX") == NULL)
		nftw(ctx.dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	json_t *id_expected = expected ? json_object_get(expected, json_string_value(json_object_get(c, "id"))) : NULL;
	json_t *v = verdict_make(c, obs, expected ? (id_expected ? id_expected : json_null()) : NULL, &ctx,
				 now_ms() - t0);
	json_decref(obs);
	transcript_free(&tr);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bin", required_argument, NULL, 'b' },      { "peers", required_argument, NULL, 'p' },
		{ "program", required_argument, NULL, 'n' },  { "expected", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },       { NULL, 0, NULL, 0 },
	};
	const char *bin = NULL, *peers = NULL, *program = NULL, *expected_file = NULL;
	json_t *ids = json_array();
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bin = optarg; break;
		case 'p': peers = optarg; break;
		case 'n': program = optarg; break;
		case 'e': expected_file = optarg; break;
		case 'i': json_array_append_new(ids, json_string(optarg)); break;
		default: usage_exit("unknown option");
		}
	}
	if (!bin || !peers || optind >= argc)
		usage_exit("--bin, --peers and at least one case file are required");
	if (access(bin, X_OK) < 0) {
		fprintf(stderr, "probe: %s: not an executable program\n", bin);
		return 2;
	}
	char binpath[PATH_MAX], peerpath[PATH_MAX];
	if (!realpath(bin, binpath) || !realpath(peers, peerpath)) {
		fprintf(stderr, "probe: %s: %s\n", realpath(bin, binpath) ? peers : bin, strerror(errno));
		return 2;
	}
	if (!program) {
		char tmp[PATH_MAX];
		snprintf(tmp, sizeof tmp, "%s", binpath);
		program = basename(tmp);
		program = strdup(program);
	}
	char err[512];
	json_t *cases = cases_load(argv + optind, argc - optind, err, sizeof err);
	if (!cases) {
		fprintf(stderr, "probe: %s\n", err);
		return 2;
	}
	json_t *expected = NULL;
	if (expected_file) {
		json_error_t je;
		expected = json_load_file(expected_file, 0, &je);
		if (!json_is_object(expected)) {
			fprintf(stderr, "probe: %s: line %d: %s\n", expected_file, je.line,
				expected ? "expected an object mapping case ids to observations" : je.text);
			return 2;
		}
	}
	size_t i, k;
	json_t *c, *id;
	json_array_foreach(ids, k, id) {
		int found = 0;
		json_array_foreach(cases, i, c) found |= json_equal(json_object_get(c, "id"), id);
		if (!found) {
			fprintf(stderr, "probe: no case %s in the case files\n", json_string_value(id));
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of a case become ours to kill */
	json_array_foreach(cases, i, c) {
		int selected = 0;
		if (json_array_size(ids))
			json_array_foreach(ids, k, id) selected |= json_equal(json_object_get(c, "id"), id);
		else
			selected = strcmp(json_string_value(json_object_get(c, "program")), program) == 0;
		if (!selected)
			continue;
		json_t *v = run_case(c, binpath, peerpath, expected);
		char *line = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", line);
		fflush(stdout);
		free(line);
		json_decref(v);
	}
	json_decref(cases);
	json_decref(expected);
	json_decref(ids);
	return 0;
}
