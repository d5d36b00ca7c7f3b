/* probe: runs cases against one program and prints one JSON verdict per line.

   probe --bin PROGRAM --peers REFERENCE_DIR [--program NAME] [--expected FILE]
         [--id CASE_ID ...] [--isolation auto|1|2|3|4] [--hide PATH ...] CASE_FILE...
   probe --check CASE_FILE...

   --isolation: auto (default) takes the strongest level the machine allows
   (see isolate.h); a number asks for exactly that level. --hide: a path the
   programs must never see (the grader's tree, the oracle, hidden cases, other
   submissions): at levels 1 and 2 programs see a root holding none of them,
   at level 3 each must be unreadable by the box's uid. The program and its
   peers are copied into the box first, the peers where only their own uid
   can reach them. The arguments are wiped from the probe's memory once read,
   so /proc/PID/cmdline shows no path.

   --check only validates the case files (what grader.py does before it takes
   recorded or kept observations instead of running anything).

   Exit 0 when every selected case ran (whatever its verdict), 2 on a usage
   error, a malformed case file or expectation file (one line on stderr). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cases.h"
#include "isolate.h"
#include "verdict.h"

static void usage_exit(const char *msg)
{
	fprintf(stderr, "probe: %s\n", msg);
	fprintf(stderr, "usage: probe --bin PROGRAM --peers REFERENCE_DIR [--program NAME] "
			"[--expected FILE] [--id CASE_ID ...] [--isolation auto|1|2|3|4] [--hide PATH ...] "
			"CASE_FILE...\n       probe --check CASE_FILE...\n");
	exit(2);
}


static struct isolation iso;

/* Copies file src to a new file dst with mode `mode`, owned by uid (-1:
   ours). 0 or -1. */
static int copy_file(const char *src, const char *dst, mode_t mode, uid_t uid)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = -1;
	if (in >= 0 && (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0700)) >= 0) {
		rc = copy_fd(in, out);
		if ((uid != (uid_t)-1 && fchown(out, uid, (gid_t)-1) < 0) || fchmod(out, mode) < 0)
			rc = -1;
	}
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return rc;
}

/* Copies the program and every peer into the box's private folder (never in
   the programs' view at levels 1 and 2): the program runnable by its uid, the
   peers in a folder only the peers' uid can enter (levels 1 and 3), run
   from a descriptor (proc.c spawn). Sets *bin and *peers to the copies. 0 or -1. */
static int stage_binaries(const char *dir, const char **bin, const char **peers, const char *program)
{
	static char bincopy[PATH_MAX], peercopy[PATH_MAX];
	uid_t peer = iso.drop_uid ? iso.peer_uid : (uid_t)-1;
	snprintf(bincopy, sizeof bincopy, "%s/%s", dir, program);
	snprintf(peercopy, sizeof peercopy, "%s/peers", dir);
	/* the program: runnable by its own uid only, so that a concurrent grading's
	   programs cannot take it (level 3 shares /tmp) */
	if (copy_file(*bin, bincopy, iso.drop_uid ? 0500 : 0755, iso.drop_uid ? iso.uid : (uid_t)-1) < 0 ||
	    mkdir(peercopy, 0700) < 0 ||
	    (peer != (uid_t)-1 && chown(peercopy, peer, (gid_t)-1) < 0))
		return -1;
	DIR *d = opendir(*peers);
	if (!d)
		return -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		char src[PATH_MAX * 2], dst[PATH_MAX * 2];
		struct stat st;
		snprintf(src, sizeof src, "%s/%s", *peers, e->d_name);
		snprintf(dst, sizeof dst, "%s/%s", peercopy, e->d_name);
		if (stat(src, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & S_IXUSR) &&
		    copy_file(src, dst, 0500, peer) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	*bin = bincopy;
	*peers = peercopy;
	return 0;
}

/* Overwrites the argument strings in place: /proc/PID/cmdline, which every
   process may read where /proc is visible (level 3), then shows nothing of
   the paths the probe was given. Everything used later was copied. */
static void wipe_arguments(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		memset(argv[i], 0, strlen(argv[i]));
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
	snprintf(ctx.dir, sizeof ctx.dir, "%s/case-XXXXXX", iso.work);
	if (!mkdtemp(ctx.dir)) {
		ctx_error(&ctx, "mkdtemp: %s", strerror(errno));
	} else {
		isolation_give(&iso, ctx.dir);
		scenario_find(json_string_value(json_object_get(c, "scenario")))->run(&ctx, obs);
	}
	proc_end_case(); /* every process of the box is gone: nothing can swap a folder for a link now */
	if (ctx.dir[0] && strstr(ctx.dir, "XXXXXX") == NULL)
		remove_tree(ctx.dir);
	json_t *id_expected = expected ? json_object_get(expected, json_string_value(json_object_get(c, "id"))) : NULL;
	json_t *v = verdict_make(c, obs, expected ? (id_expected ? id_expected : json_null()) : NULL, &ctx,
				 now_ms() - t0);
	json_object_set_new(v, "isolation", json_string(iso.desc));
	json_decref(obs);
	transcript_free(&tr);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bin", required_argument, NULL, 'b' },      { "peers", required_argument, NULL, 'p' },
		{ "program", required_argument, NULL, 'n' },  { "expected", required_argument, NULL, 'e' },
		{ "id", required_argument, NULL, 'i' },       { "isolation", required_argument, NULL, 'I' },
		{ "hide", required_argument, NULL, 'H' },     { "check", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	char *hide[32];
	int nhide = 0, strongest = 1, exact = 0, check = 0;
	const char *bin = NULL, *peers = NULL, *program = NULL, *expected_file = NULL;
	json_t *ids = json_array();
	int o;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': bin = optarg; break;
		case 'p': peers = optarg; break;
		case 'n': program = strdup(optarg); break;
		case 'e': expected_file = optarg; break;
		case 'c': check = 1; break;
		case 'i': json_array_append_new(ids, json_string(optarg)); break;
		case 'I':
			if (isolation_parse_level(optarg, &strongest, &exact) < 0)
				usage_exit("--isolation takes auto, 1, 2, 3 or 4");
			break;
		case 'H':
			if (nhide == 32)
				usage_exit("at most 32 --hide paths");
			hide[nhide++] = optarg;
			break;
		default: usage_exit("unknown option");
		}
	}
	if (check) {
		if (optind >= argc)
			usage_exit("--check needs at least one case file");
		char err[512];
		json_t *cases = cases_load(argv + optind, argc - optind, err, sizeof err);
		if (!cases) {
			fprintf(stderr, "probe: %s\n", err);
			return 2;
		}
		json_decref(cases);
		json_decref(ids);
		return 0;
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
	const char *runbin = binpath, *runpeers = peerpath;
	if (isolation_setup(&iso, strongest, exact, hide, nhide, err, sizeof err) < 0) {
		fprintf(stderr, "probe: %s\n", err);
		return 2;
	}
	wipe_arguments(argc, argv);
	if (stage_binaries(iso.priv, &runbin, &runpeers, program) < 0) {
		fprintf(stderr, "probe: copying the programs into the box: %s\n", strerror(errno));
		isolation_close(&iso);
		return 2;
	}
	proc_set_isolation(&iso);
	if (proc_check_access(err, sizeof err) < 0) {
		fprintf(stderr, "probe: %s\n", err);
		isolation_close(&iso);
		return 2;
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
		json_t *v = run_case(c, runbin, runpeers, expected);
		char *line = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII);
		printf("%s\n", line);
		fflush(stdout);
		free(line);
		json_decref(v);
	}
	isolation_close(&iso);
	json_decref(cases);
	json_decref(expected);
	json_decref(ids);
	return 0;
}
