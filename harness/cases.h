/* Case files: loading and validation. */
#ifndef CASES_H
#define CASES_H

#include <stddef.h>
#include <jansson.h>

/* Loads the case files and checks every case (fields, types, a known
   scenario, unique ids). Returns an array of cases, each with "program" set
   from its file, or NULL with a one-line message "FILE: what is wrong" in err. */
json_t *cases_load(char *const files[], int nfiles, char *err, size_t errlen);

/* Checks one case object; returns 0, or -1 with a message in err. */
int case_check(json_t *c, char *err, size_t errlen);

#endif
