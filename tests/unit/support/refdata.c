/* Reference-data helpers for the unit tests (see refdata.h). */
#include "support/refdata.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/npy.h"

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "test fixture error: %s: %s\n", what, detail);
    abort();
}

const char *test_data_path(const char *rel)
{
    static char buf[4096];
    const char *root = getenv("ENTRAIN_TEST_DATA");
    if (!root)
        root = "tests/data";
    snprintf(buf, sizeof buf, "%s/%s", root, rel);
    return buf;
}

const cJSON *test_reference_json(void)
{
    static cJSON *root;
    if (root)
        return root;
    const char *path = test_data_path("reference/reference.json");
    FILE *fp = fopen(path, "rb");
    if (!fp)
        die("cannot open", path);
    fseek(fp, 0, SEEK_END);
    long len = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *text = malloc((size_t)len + 1);
    if (!text || fread(text, 1, (size_t)len, fp) != (size_t)len)
        die("cannot read", path);
    text[len] = 0;
    fclose(fp);
    root = cJSON_Parse(text);
    free(text);
    if (!root)
        die("cannot parse", path);
    return root;
}

const cJSON *test_reference_get(const char *slash_path)
{
    const cJSON *node = test_reference_json();
    char key[256];
    const char *p = slash_path;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n >= sizeof key)
            die("key too long", slash_path);
        memcpy(key, p, n);
        key[n] = 0;
        node = cJSON_GetObjectItemCaseSensitive(node, key);
        if (!node)
            die("missing reference key", slash_path);
        p += n;
        if (*p == '/')
            p++;
    }
    return node;
}

double test_reference_number(const char *slash_path)
{
    const cJSON *n = test_reference_get(slash_path);
    if (!cJSON_IsNumber(n))
        die("not a number", slash_path);
    return n->valuedouble;
}

double *test_reference_npy(const char *rel, size_t *rows, size_t *cols)
{
    char relpath[512];
    snprintf(relpath, sizeof relpath, "reference/%s", rel);
    double *data = NULL;
    ent_error err = {0};
    if (ent_npy_read(test_data_path(relpath), &data, rows, cols, &err) != ENT_OK)
        die("cannot load", err.msg);
    return data;
}
