/* The schema, as an ordered list of migrations. Migration n brings a database from
 * user_version n-1 to n, in its own BEGIN IMMEDIATE transaction that re-reads the version
 * first (two processes opening an old file at once migrate it once). Migrations are only
 * ever appended: a shipped one is never edited, since files carrying it exist. */
#include <stdio.h>

#include "store/store_internal.h"

/* Version 1: the campaign. Conventions: times are ISO 8601 UTC text; float64 arrays are
 * little-endian BLOBs; enumerated columns are TEXT with CHECK constraints (readable with
 * the sqlite3 shell); every child column of a foreign key is indexed so that deletes
 * (cleanup of an aborted import) never scan a table. */
static const char schema_v1[] =
    /* One row: what the campaign is. params is JSON. */
    "CREATE TABLE campaign ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  name TEXT NOT NULL,"
    "  created TEXT NOT NULL,"
    "  campaign_text TEXT, campaign_hash TEXT,"
    "  recipe_text TEXT, recipe_hash TEXT,"
    "  params TEXT);"
    /* id is the generation index (0 = seeds / first imports). */
    "CREATE TABLE generation ("
    "  id INTEGER PRIMARY KEY CHECK (id >= 0),"
    "  phase TEXT NOT NULL DEFAULT 'plan' CHECK (phase IN ('plan','explore','ingest',"
    "    'score','select','label','ingest_labels','compress','train','metrics','decide',"
    "    'done')),"
    "  started TEXT, finished TEXT,"
    "  rng_seed INTEGER);"
    /* Every `entrain import`. Its structures stay invisible until state = 'done'. */
    "CREATE TABLE import ("
    "  id INTEGER PRIMARY KEY,"
    "  state TEXT NOT NULL CHECK (state IN ('running','done','aborted')),"
    "  files TEXT NOT NULL,"
    "  generation INTEGER NOT NULL,"
    "  created_generation INTEGER NOT NULL DEFAULT 0," /* 1: the import made that row */
    "  tag TEXT,"
    "  pid INTEGER, host TEXT,"
    "  started TEXT NOT NULL, finished TEXT,"
    "  n_added INTEGER NOT NULL DEFAULT 0, n_duplicates INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE job ("
    "  id INTEGER PRIMARY KEY,"
    "  generation INTEGER REFERENCES generation(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('explore','label','train','score')),"
    "  backend TEXT NOT NULL,"
    "  argv TEXT NOT NULL," /* JSON array of strings, never a shell string */
    "  workdir TEXT,"
    "  content_hash TEXT NOT NULL UNIQUE," /* hex SHA-256 of (kind, argv, inputs) */
    "  state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','submitted',"
    "    'running','succeeded','failed','timed_out','cancelled','lost')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  scheduler_id TEXT, pid INTEGER, pid_start INTEGER, exit_code INTEGER,"
    "  created TEXT NOT NULL, submitted TEXT, started TEXT, finished TEXT,"
    "  stdout_tail TEXT, stderr_tail TEXT, error TEXT);"
    "CREATE INDEX job_generation ON job(generation, state);"
    /* A structure exactly as read: species (symbols separated by one blank, atom order),
     * positions (n x 3) and cell (3 x 3, rows a b c; NULL = no cell) as float64, pbc as
     * 'TTF', every other per-atom column and info item in props (typed BLOB, props.c).
     * hash = SHA-256 of the identity (atoms, species, positions, cell, pbc). */
    "CREATE TABLE structure ("
    "  id INTEGER PRIMARY KEY,"
    "  hash BLOB NOT NULL UNIQUE,"
    "  n_atoms INTEGER NOT NULL CHECK (n_atoms >= 0),"
    "  species TEXT NOT NULL,"
    "  positions BLOB NOT NULL,"
    "  cell BLOB,"
    "  pbc TEXT NOT NULL,"
    "  props BLOB,"
    "  origin TEXT NOT NULL CHECK (origin IN ('seed','explored','imported','generated')),"
    "  generation INTEGER NOT NULL REFERENCES generation(id),"
    "  import_id INTEGER REFERENCES import(id),"
    "  parent_job INTEGER REFERENCES job(id),"
    "  source TEXT, frame_index INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN ('candidate','selected','labelled','rejected',"
    "    'dropped')),"
    "  status_reason TEXT,"
    "  tag TEXT,"
    "  created TEXT NOT NULL);"
    "CREATE INDEX structure_generation ON structure(generation, status);"
    "CREATE INDEX structure_import ON structure(import_id);"
    "CREATE INDEX structure_parent_job ON structure(parent_job);"
    "CREATE INDEX structure_tag ON structure(tag) WHERE tag IS NOT NULL;"
    /* energy eV, forces n x 3 eV/A and stress (6 or 9 values) as float64 BLOBs. */
    "CREATE TABLE label ("
    "  id INTEGER PRIMARY KEY,"
    "  structure_id INTEGER NOT NULL REFERENCES structure(id) ON DELETE CASCADE,"
    "  energy REAL, forces BLOB, stress BLOB,"
    "  job_id INTEGER REFERENCES job(id),"
    "  validation TEXT NOT NULL DEFAULT 'ok',"
    "  created TEXT NOT NULL);"
    "CREATE INDEX label_structure ON label(structure_id);"
    "CREATE INDEX label_job ON label(job_id);"
    /* The parameters that made descriptors; species = '' (single-component) or the sorted
     * multicomponent list. */
    "CREATE TABLE descriptor_set ("
    "  id INTEGER PRIMARY KEY,"
    "  k INTEGER NOT NULL, cutoff REAL NOT NULL,"
    "  species TEXT NOT NULL DEFAULT '',"
    "  quests_compat INTEGER NOT NULL DEFAULT 0,"
    "  width INTEGER NOT NULL,"
    "  dtype TEXT NOT NULL DEFAULT '<f8',"
    "  UNIQUE (k, cutoff, species, quests_compat));"
    /* n_atoms x width matrix, row-major, dtype of the set. */
    "CREATE TABLE descriptor ("
    "  id INTEGER PRIMARY KEY,"
    "  structure_id INTEGER NOT NULL REFERENCES structure(id) ON DELETE CASCADE,"
    "  set_id INTEGER NOT NULL REFERENCES descriptor_set(id),"
    "  data BLOB NOT NULL,"
    "  UNIQUE (structure_id, set_id));"
    "CREATE INDEX descriptor_set_rows ON descriptor(set_id);"
    /* dH statistics of a candidate against the reference set at scoring time. */
    "CREATE TABLE score ("
    "  id INTEGER PRIMARY KEY,"
    "  structure_id INTEGER NOT NULL REFERENCES structure(id) ON DELETE CASCADE,"
    "  generation INTEGER NOT NULL REFERENCES generation(id),"
    "  set_id INTEGER REFERENCES descriptor_set(id),"
    "  bandwidth REAL NOT NULL, threshold REAL,"
    "  dh_min REAL, dh_mean REAL, dh_max REAL, frac_novel REAL, n_inf INTEGER,"
    "  reference_envs INTEGER NOT NULL, reference_structures INTEGER,"
    "  created TEXT NOT NULL);"
    "CREATE INDEX score_structure ON score(structure_id);"
    /* Every recipe decision with its reason: the audit trail. */
    "CREATE TABLE decision ("
    "  id INTEGER PRIMARY KEY,"
    "  generation INTEGER NOT NULL REFERENCES generation(id),"
    "  structure_id INTEGER REFERENCES structure(id) ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('select','reject','drop','stop','continue')),"
    "  reason TEXT NOT NULL,"
    "  recipe_hash TEXT,"
    "  created TEXT NOT NULL);"
    "CREATE INDEX decision_structure ON decision(structure_id);"
    "CREATE INDEX decision_generation ON decision(generation);"
    "CREATE TABLE metric ("
    "  generation INTEGER PRIMARY KEY REFERENCES generation(id),"
    "  bandwidth REAL, entropy REAL, diversity REAL, novelty REAL, info_gap REAL,"
    "  n_structures INTEGER, n_environments INTEGER,"
    "  jobs_succeeded INTEGER, jobs_failed INTEGER, wall_seconds REAL,"
    "  extra TEXT," /* JSON */
    "  created TEXT NOT NULL);"
    /* The single writer: at most one row. */
    "CREATE TABLE writer_lock ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  pid INTEGER NOT NULL, pid_start INTEGER NOT NULL DEFAULT 0,"
    "  host TEXT NOT NULL, since TEXT NOT NULL, heartbeat TEXT NOT NULL,"
    "  command TEXT);";

/* Version 2: training-set membership, which `audit` reports ("which later generations'
 * training sets hold it"). Explicit rows rather than a rule, because compression may drop
 * labelled structures from one generation's training set and not another's. */
static const char schema_v2[] =
    "CREATE TABLE train_set ("
    "  generation INTEGER NOT NULL REFERENCES generation(id),"
    "  structure_id INTEGER NOT NULL REFERENCES structure(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (generation, structure_id)) WITHOUT ROWID;"
    "CREATE INDEX train_set_structure ON train_set(structure_id);";

typedef struct migration {
    const char *what;
    const char *sql;
} migration;

static const migration migrations[] = {
    {"initial schema", schema_v1},
    {"training-set membership", schema_v2},
};

int store_schema_latest(void)
{
    return (int)(sizeof migrations / sizeof *migrations);
}

ent_status store_migrate(ent_store *st, int target, ent_error *err)
{
    for (int v = st->version + 1; v <= target; v++) {
        ent_status s = store_exec(st, "BEGIN IMMEDIATE", err);
        if (s != ENT_OK)
            return s;
        long long now = 0;
        s = store_query_int(st, "PRAGMA user_version", &now, err);
        if (s == ENT_OK && now < v) {
            s = store_exec(st, migrations[v - 1].sql, err);
            char sql[96];
            snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
            if (s == ENT_OK)
                s = store_exec(st, sql, err);
            if (s == ENT_OK && v == 1) {
                snprintf(sql, sizeof sql, "PRAGMA application_id = %d",
                         (int)ENT_STORE_APPLICATION_ID);
                s = store_exec(st, sql, err);
            }
        }
        if (s == ENT_OK)
            s = store_exec(st, "COMMIT", err);
        if (s != ENT_OK) {
            store_exec(st, "ROLLBACK", NULL);
            char msg[ENT_ERROR_MSG_MAX];
            snprintf(msg, sizeof msg, "%s", err ? err->msg : "");
            return ent_error_set(err, s, "%s (migration to schema version %d, %s)", msg, v,
                                 migrations[v - 1].what);
        }
        st->version = v;
    }
    return ENT_OK;
}
