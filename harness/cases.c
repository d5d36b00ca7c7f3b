/* Case files: one JSON object per program, {"program": ..., "cases": [...]}. */
#include "cases.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "scenario.h"

static const char *const known_keys[] = {
	"id", "description", "requirement", "why", "category", "points", "scenario",
	"params", "compare", "hint", "hidden", "program", NULL,
};

static int id_ok(const char *id)
{
	if (!*id || !islower((unsigned char)*id))
		return 0;
	for (const char *p = id; *p; p++)
		if (!islower((unsigned char)*p) && !isdigit((unsigned char)*p) && *p != '.' && *p != '_')
			return 0;
	const char *dot = strchr(id, '.'); /* prefix.name, both parts non-empty */
	return dot && dot[1] && !strstr(id, "..") && id[strlen(id) - 1] != '.';
}

int case_check(json_t *c, char *err, size_t errlen)
{
	const char *id = json_string_value(json_object_get(c, "id"));
	if (!json_is_object(c) || !id) {
		snprintf(err, errlen, "a case without an \"id\"");
		return -1;
	}
	if (!id_ok(id)) {
		snprintf(err, errlen, "case \"%s\": an id is prefix.name in lowercase", id);
		return -1;
	}
	const char *key;
	json_t *v;
	json_object_foreach(c, key, v) {
		int known = 0;
		for (int i = 0; known_keys[i]; i++)
			known |= strcmp(key, known_keys[i]) == 0;
		if (!known) {
			snprintf(err, errlen, "case %s: unknown field \"%s\"", id, key);
			return -1;
		}
	}
	static const char *const strings[] = { "description", "requirement", "why", "category", "scenario", NULL };
	for (int i = 0; strings[i]; i++)
		if (!json_is_string(json_object_get(c, strings[i]))) {
			snprintf(err, errlen, "case %s: \"%s\" must be a string", id, strings[i]);
			return -1;
		}
	const char *cat = json_string_value(json_object_get(c, "category"));
	if (strcmp(cat, "core") && strcmp(cat, "robustness") && strcmp(cat, "hygiene")) {
		snprintf(err, errlen, "case %s: category \"%s\" is none of core, robustness, hygiene", id, cat);
		return -1;
	}
	json_t *points = json_object_get(c, "points");
	if (!json_is_integer(points) || json_integer_value(points) <= 0) {
		snprintf(err, errlen, "case %s: \"points\" must be a positive integer", id);
		return -1;
	}
	const char *scen = json_string_value(json_object_get(c, "scenario"));
	if (!scenario_find(scen)) {
		snprintf(err, errlen, "case %s: unknown scenario \"%s\"", id, scen);
		return -1;
	}
	json_t *params = json_object_get(c, "params");
	if (params && !json_is_object(params)) {
		snprintf(err, errlen, "case %s: \"params\" must be an object", id);
		return -1;
	}
	json_t *cmp = json_object_get(c, "compare"), *f;
	size_t i;
	if (!json_is_array(cmp) || json_array_size(cmp) == 0) {
		snprintf(err, errlen, "case %s: \"compare\" must list the observed fields that decide", id);
		return -1;
	}
	json_array_foreach(cmp, i, f) if (!json_is_string(f)) {
		snprintf(err, errlen, "case %s: \"compare\" holds field names", id);
		return -1;
	}
	json_t *hint = json_object_get(c, "hint"), *hidden = json_object_get(c, "hidden");
	if ((hint && !json_is_string(hint)) || (hidden && !json_is_boolean(hidden))) {
		snprintf(err, errlen, "case %s: \"hint\" is a string and \"hidden\" a boolean", id);
		return -1;
	}
	return 0;
}

json_t *cases_load(char *const files[], int nfiles, char *err, size_t errlen)
{
	json_t *all = json_array(), *ids = json_object();
	for (int f = 0; f < nfiles; f++) {
		json_error_t je;
		char msg[256];
		json_t *doc = json_load_file(files[f], JSON_REJECT_DUPLICATES, &je);
		if (!doc) {
			if (je.line > 0)
				snprintf(err, errlen, "%s: line %d: %s", files[f], je.line, je.text);
			else
				snprintf(err, errlen, "%s: %s", files[f], je.text);
			goto fail;
		}
		const char *program = json_string_value(json_object_get(doc, "program"));
		json_t *list = json_object_get(doc, "cases"), *c;
		size_t i;
		if (!program || !json_is_array(list)) {
			snprintf(err, errlen, "%s: a case file is {\"program\": NAME, \"cases\": [...]}", files[f]);
			json_decref(doc);
			goto fail;
		}
		json_array_foreach(list, i, c) {
			if (json_is_object(c))
				json_object_set_new(c, "program", json_string(program));
			if (case_check(c, msg, sizeof msg) < 0) {
				snprintf(err, errlen, "%s: %s", files[f], msg);
				json_decref(doc);
				goto fail;
			}
			const char *id = json_string_value(json_object_get(c, "id"));
			if (json_object_get(ids, id)) {
				snprintf(err, errlen, "%s: case id %s is used twice", files[f], id);
				json_decref(doc);
				goto fail;
			}
			json_object_set_new(ids, id, json_true());
			json_array_append(all, c);
		}
		json_decref(doc);
	}
	json_decref(ids);
	return all;
fail:
	json_decref(all);
	json_decref(ids);
	return NULL;
}
