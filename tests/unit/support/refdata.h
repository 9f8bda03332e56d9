/* Test helpers: locate tests/data (ENTRAIN_TEST_DATA, set by CTest), load the reference
 * numbers of the original QUESTS implementation (tests/data/reference/reference.json and
 * its .npy arrays). Failures abort the test with a message: these are test fixtures. */
#ifndef ENT_TEST_REFDATA_H
#define ENT_TEST_REFDATA_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* "<ENTRAIN_TEST_DATA>/<rel>" in a static buffer (valid until the next call). */
const char *test_data_path(const char *rel);

/* Parsed tests/data/reference/reference.json (cached; do not free). */
const cJSON *test_reference_json(void);

/* Object at a dotted path in reference.json, e.g. "files.al_md_300K.entropy_h0.015.value"
 * — keys are separated by '/', not '.', since keys contain dots:
 * "files/al_md_300K/entropy_h0.015/value". Aborts if missing. */
const cJSON *test_reference_get(const char *slash_path);
double test_reference_number(const char *slash_path);

/* Load tests/data/reference/<rel> (.npy), malloc'ed; aborts on failure. */
double *test_reference_npy(const char *rel, size_t *rows, size_t *cols);

#endif
