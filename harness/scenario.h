/* Scenarios: what the probe does for a case, and what it observes.
   A scenario fills an observation object with facts; the case's "compare"
   list says which of them decide its verdict. */
#ifndef SCENARIO_H
#define SCENARIO_H

#include <jansson.h>

#include "proc.h"
#include "transcript.h"

struct probe_ctx {
	const char *bin;     /* the program under test */
	const char *peers;   /* folder of the reference binaries, for interoperation */
	const char *program; /* its name, e.g. tcp_qq_srver */
	json_t *params;      /* the case's params (borrowed) */
	struct transcript *tr;
	char dir[128];       /* this case's temporary folder; the program's cwd */
	char reason[512];    /* the first thing that went wrong, for the verdict */
	int timed_out;       /* a wait the program was responsible for ran out */
	int internal;        /* the probe or a reference peer failed: verdict "error" */
	struct child kids[MAX_CHILDREN]; /* live until the case ends and kills them */
	int nkids;
};

struct scenario {
	const char *name;
	/* Runs the case; fills obs. Returns 0, or -1 when the probe itself failed
	   (after ctx_error). */
	int (*run)(struct probe_ctx *ctx, json_t *obs);
};

/* The scenario called name, or NULL. */
const struct scenario *scenario_find(const char *name);

/* Records the first reason a case went wrong; later calls keep the first. */
void ctx_fail(struct probe_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, marking that a wait the program was responsible for ran out, or
   that the program was seen stuck in it (stuck.h): either counts towards
   the shorter budgets of program_budget. */
void ctx_timeout(struct probe_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, marking a fault of the probe or a reference peer; returns -1. */
int ctx_error(struct probe_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The budget in ms for a wait the program under test is responsible for:
   param key, or dflt. Once the program has run out one deadline in this probe
   run (it hangs), later budgets shrink to an eighth, at least FAST_FAIL_MS,
   so a hung program costs one full wait rather than one per case. */
#define FAST_FAIL_MS 250
int program_budget(struct probe_ctx *ctx, const char *key, int dflt);

/* Waits until c exits (1), or the deadline passes (0), or the case's
   processes are stuck (-1, what filled; stuck.h). */
int wait_exit_or_stuck(struct child *c, struct deadline dl, char *what, size_t len);

/* Waits until prog exits, or the deadline passes, or it is stuck
   (stuck.h).
   Otherwise records a timeout: "LEAD: still running after N ms", or
   "LEAD: it waits in accept(), for input that never comes (it had N ms)".
   Returns 1 when it exited. */
int expect_exit(struct probe_ctx *ctx, struct child *prog, struct deadline dl, const char *lead);

/* Param accessors with defaults. */
int param_int(struct probe_ctx *ctx, const char *key, int dflt);
const char *param_str(struct probe_ctx *ctx, const char *key, const char *dflt);
int param_bool(struct probe_ctx *ctx, const char *key, int dflt);

/* Starts the program under test (who "program") or a reference peer (who
   "peer", program name given) with args (NULL-terminated, without argv[0]).
   Returns the child (owned by ctx), or NULL after ctx_error. */
struct child *start_program(struct probe_ctx *ctx, const char *const args[], int stdin_pipe);
struct child *start_peer(struct probe_ctx *ctx, const char *name, const char *const args[],
			 int stdin_pipe);

/* Waits until c listens on TCP addr:port. Returns the fact for the
   observation: "as asked", "on another port", "on address X", "never (exit
   non-zero)", "never (still running after N ms)"; *ok is 1 when the program
   can be talked to at addr:port ("as asked", or on a wildcard address). */
const char *wait_tcp_listening(struct probe_ctx *ctx, struct child *c, const char *addr, int port,
			       int *ok);

/* Waits until a live socket is bound at path (inotify on its folder).
   Returns a datagram socket connected to it, or -1; fact as above ("bound"). */
int wait_unix_bound(struct probe_ctx *ctx, struct child *c, const char *path, const char **fact);

/* "message" when the bytes hold anything but white space, else "empty". */
const char *stderr_fact(const struct bytes *b);

/* The path of the case's Unix socket: DIR/u.sock. */
void case_socket_path(struct probe_ctx *ctx, char *buf, size_t len);

/* The exact way c ended: "exit 2", "killed by SIGTERM", or "still running". */
const char *exit_status(const struct child *c);

/* What the README fixes of a program's stderr, from its first line:
   line  that line with the run's own values put back as placeholders (path
         as {path}, port as {port}; either may be NULL) and a program path
         at its start shortened to the program's name, e.g.
         "tcp_client: cannot connect to 127.0.0.1:{port}: Connection refused";
   form  "usage: PROG ..." (a usage line), "PROG: ...: <strerror text>" (the
         runtime-failure form, with the text of the errno it names),
         "(nothing)" or "other". */
struct wording {
	char line[320];
	char form[160];
};
void stderr_wording(const struct probe_ctx *ctx, const struct bytes *err, const char *path, const char *port,
		    struct wording *w);

/* Marks the observed field as vacuous: the event it depends on never
   happened (why says which), so it shows nothing about the program and a
   case comparing it scores nothing, whatever its value (verdict.c). */
void mark_vacuous(json_t *obs, const char *field, const char *why);

/* The control run of an error-path case: the program under test, started
   with valid arguments, does the first step of its job (a server listens on
   the port it was given, unix_d_server binds its path, tcp_client connects,
   unix_d_send delivers a datagram), and is then killed. Refusing bad input
   shows something only from a program that accepts good input. 1 it did,
   0 it did not (why filled), -1 the probe failed (after ctx_error). */
int control_run(struct probe_ctx *ctx, char *why, size_t len);

extern const struct scenario scenario_unix_server, scenario_unix_send, scenario_tcp_server,
	scenario_tcp_client, scenario_bad_args;

#endif
