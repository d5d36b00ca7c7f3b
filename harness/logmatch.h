/* Finding a connection's log line in a server's stdout. */
#ifndef LOGMATCH_H
#define LOGMATCH_H

#include <stddef.h>

/* Finds the first line of out (len bytes) that holds `port` as a whole number
   and returns it with that number replaced by {port} and every `addr` by
   {addr}, its newline kept as "\n" (caller frees). A forking server may log
   in any order: matching by the client's port makes the order irrelevant.
   Returns NULL when no line mentions the port. */
char *match_log_line(const char *out, size_t len, int port, const char *addr);

#endif
