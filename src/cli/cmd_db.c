/* Campaign database commands: `entrain init` (create), `import` (structure files →
 * structures + descriptors [+ labels], all or nothing), `export` (back to extended XYZ,
 * exactly), `status` (one row per generation) and `audit` (one structure's lineage). The
 * database work is src/store's; this file parses, streams frames and prints. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

static const char init_usage[] =
    "usage: entrain init DB\n"
    "\n"
    "Create an empty campaign database (SQLite, schema version 2). DB must not exist\n"
    "(or be an empty file).\n";

static const char import_usage[] =
    "usage: entrain import DB FILE... [--labelled] [--generation G] [--tag T]\n"
    "                      [-k 32] [-c 5.0] [--multicomponent] [--format F] [--types A,B] "
    "[--json]\n"
    "\n"
    "Add every frame of the files (extended XYZ, POSCAR, LAMMPS dump) to the campaign as "
    "a\n"
    "structure with its descriptors. All or nothing: if the import fails or is killed,\n"
    "none of it is kept. A structure already stored (same species, positions, cell, pbc)\n"
    "is skipped and counted as a duplicate.\n"
    "\n"
    "  --labelled         take labels from the files: info `energy` (required), column\n"
    "                     `forces` (required, 3 per atom), info `stress` (optional, 6 or\n"
    "                     9 values); the structures become 'labelled' (a non-finite value\n"
    "                     makes the structure 'rejected' with the reason)\n"
    "  --generation G     generation of the new structures (default 0)\n"
    "  --tag T            tag them (export and selectors can filter on it)\n"
    "  -k N, -c R, --multicomponent   descriptor parameters (default 32, 5.0); with\n"
    "                     --multicomponent the species list is that of the imported files\n"
    "  --json             JSON summary: import_id, added, duplicates, rejected, "
    "environments\n";

static const char export_usage[] =
    "usage: entrain export DB [--generation G] [--status S] [--tag T] -o OUT.xyz\n"
    "\n"
    "Write the structures (in the order they were stored) as extended XYZ, exactly as\n"
    "imported: positions, cell, pbc, species, per-atom columns and info keys. A structure\n"
    "whose label differs from its stored energy/forces/stress gets the label's values.\n"
    "-o - writes to standard output.\n";

static const char status_usage[] =
    "usage: entrain status DB [--json]\n"
    "\n"
    "One row per generation: structures by status, environments, entropy H, diversity D,\n"
    "novelty (from the generation's metrics; '-' / null when none were computed, e.g. for\n"
    "imported data: use 'entrain entropy DB:generation=G'), jobs by state. Also the\n"
    "process driving the campaign, if any. Safe to run while another process writes.\n";

static const char audit_usage[] =
    "usage: entrain audit DB STRUCTURE_ID [--json]\n"
    "\n"
    "Lineage of a structure: origin, generation, source file and frame or parent job,\n"
    "status, dH statistics at scoring time, recipe decisions and their reasons, label and\n"
    "the job that produced it, generations whose training sets hold it, stored "
    "descriptors.\n";

/* Common prologue: parse, --help, positional count. Returns -1 to go on, else an exit
 * code. */
static int prologue(int argc, char **argv, unsigned allowed, cli_options *o,
                    const char *usage, int min_pos, int max_pos)
{
    int rc = cli_parse(argc, argv, allowed, o);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (o->help) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    if (o->n_positional < min_pos || (max_pos && o->n_positional > max_pos)) {
        fprintf(stderr, "entrain %s: wrong number of arguments\n%s", o->command, usage);
        return CLI_EXIT_USAGE;
    }
    cli_apply_threads(o);
    return -1;
}

int cmd_init(int argc, char **argv)
{
    cli_options o = {.command = "init"};
    int rc = prologue(argc, argv, 0, &o, init_usage, 1, 1);
    if (rc >= 0)
        return rc;
    ent_error err = {0};
    ent_store *st = NULL;
    ent_store_open_opts oo = {.flags = ENT_STORE_CREATE};
    ent_status s = ent_store_open(o.positional[0], &oo, &st, &err);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    printf("created %s (entrain campaign database, schema version %d)\n", o.positional[0],
           ent_store_schema_version(st));
    ent_store_close(st);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------------------------
 * import */

/* The label of a frame read with --labelled; values point into the frame. */
static ent_status frame_label(const ent_frame *f, const char *file, size_t frame,
                              ent_store_label *l, double stress[9], ent_error *err)
{
    memset(l, 0, sizeof *l);
    if (ent_frame_info_get_real(f, "energy", &l->energy) != ENT_OK)
        return ent_error_set(err, ENT_EPARSE,
                             "%s: frame %zu: --labelled needs a numeric info key 'energy'",
                             file, frame + 1);
    l->has_energy = 1;
    const ent_column *c = ent_frame_column_find(f, "forces");
    if (!c || c->type != ENT_VAL_REAL || c->ncols != 3)
        return ent_error_set(
            err, ENT_EPARSE,
            "%s: frame %zu: --labelled needs a per-atom column 'forces:R:3'", file,
            frame + 1);
    l->forces = c->data;
    const ent_info_item *it = ent_frame_info_find(f, "stress");
    if (it) {
        if ((it->type != ENT_VAL_REAL && it->type != ENT_VAL_INT) ||
            (it->count != 6 && it->count != 9))
            return ent_error_set(err, ENT_EPARSE,
                                 "%s: frame %zu: info 'stress' must hold 6 or 9 numbers",
                                 file, frame + 1);
        for (size_t i = 0; i < it->count; i++)
            stress[i] = it->type == ENT_VAL_REAL ? ((const double *)it->data)[i]
                                                 : (double)((const long *)it->data)[i];
        l->stress = stress;
        l->n_stress = it->count;
    }
    return ENT_OK;
}

static char *join_files(char **files, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(files[i]) + 1;
    char *s = calloc(1, len);
    for (int i = 0; s && i < n; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, files[i]);
    }
    return s;
}

/* Stream every frame of every file into the import. */
static ent_status import_files(const cli_options *o, char **files, int n_files,
                               const cli_species *sp, ent_store_import *im, ent_error *err)
{
    ent_status s = ENT_OK;
    size_t total = 0;
    for (int fi = 0; fi < n_files && s == ENT_OK; fi++) {
        ent_reader *r = NULL;
        if ((s = ent_reader_open(files[fi], &o->reader, &r, err)) != ENT_OK)
            break;
        ent_frame *f = NULL;
        while ((s = ent_reader_next(r, &f, err)) == ENT_OK) {
            size_t idx = ent_reader_frame_index(r);
            double *x = NULL, stress[9];
            size_t d = 0;
            ent_store_label label;
            s = cli_frame_descriptors(f, o, sp, &x, &d, err);
            if (s != ENT_OK) {
                char msg[ENT_ERROR_MSG_MAX];
                snprintf(msg, sizeof msg, "%s", err->msg);
                ent_error_set(err, s, "%s: frame %zu: %s", files[fi], idx + 1, msg);
            }
            if (s == ENT_OK && o->labelled)
                s = frame_label(f, files[fi], idx, &label, stress, err);
            if (s == ENT_OK)
                s = ent_store_import_add(im, f, files[fi], (long)idx, x,
                                         o->labelled ? &label : NULL, NULL, NULL, err);
            free(x);
            ent_frame_destroy(f);
            if (s != ENT_OK)
                break;
            cli_progress("%s: %zu structures", files[fi], ++total);
        }
        ent_reader_close(r);
        if (s == ENT_EEOF)
            s = ENT_OK;
    }
    cli_progress_done();
    return s;
}

int cmd_import(int argc, char **argv)
{
    cli_options o = {.command = "import"};
    int rc = prologue(argc, argv, OPT_DESC | OPT_STORE | OPT_JSON, &o, import_usage, 2, 0);
    if (rc >= 0)
        return rc;
    if (o.status) {
        fprintf(stderr, "entrain import: --status is not accepted (use --labelled)\n");
        return CLI_EXIT_USAGE;
    }
    const char *db = o.positional[0];
    char **files = o.positional + 1;
    int n_files = o.n_positional - 1;
    ent_error err = {0};
    cli_species sp = {0};
    ent_store *st = NULL;
    ent_store_import *im = NULL;
    ent_store_import_stats stats = {0};
    char *species = NULL, *joined = join_files(files, n_files);
    ent_status s = joined ? ENT_OK : ent_error_set(&err, ENT_ENOMEM, "out of memory");
    /* Multicomponent descriptors need the species list before the first frame. */
    if (s == ENT_OK && o.multicomponent)
        s = cli_species_collect(files, n_files, &o, &sp, &err);
    if (s == ENT_OK && o.multicomponent) {
        species = calloc((size_t)sp.n + 1, ENT_SYMBOL_MAX);
        for (int i = 0; species && i < sp.n; i++) {
            if (i)
                strcat(species, " ");
            strcat(species, sp.symbols[i]);
        }
        if (!species)
            s = ent_error_set(&err, ENT_ENOMEM, "out of memory");
    }
    ent_store_open_opts oo = {.flags = ENT_STORE_WRITER, .command = "import"};
    if (s == ENT_OK)
        s = ent_store_open(db, &oo, &st, &err);
    ent_store_writer_info prev;
    if (s == ENT_OK && ent_store_writer_took_over(st, &prev))
        fprintf(stderr,
                "entrain import: note: took over %s from pid %ld on host %s (since %s), "
                "which is no longer running\n",
                db, prev.pid, prev.host, prev.since);
    int64_t set_id = 0;
    if (s == ENT_OK) {
        ent_store_descriptor_params dp = {o.desc.k, o.desc.cutoff, species ? species : "",
                                          o.desc.quests_compat};
        size_t width = o.multicomponent ? ent_descriptor_multi_width(o.desc.k, sp.n)
                                        : ent_descriptor_width(o.desc.k);
        s = ent_store_descriptor_set_ensure(st, &dp, width, &set_id, &err);
    }
    if (s == ENT_OK) {
        ent_store_import_params ip = {.files = joined,
                                      .generation = o.has_generation ? o.generation : 0,
                                      .tag = o.tag,
                                      .status = o.labelled ? "labelled" : "candidate",
                                      .descriptor_set = set_id};
        s = ent_store_import_begin(st, &ip, &im, &err);
    }
    int began = im != NULL;
    if (s == ENT_OK)
        s = import_files(&o, files, n_files, &sp, im, &err);
    if (s == ENT_OK)
        s = ent_store_import_commit(im, &stats, &err);
    ent_store_import_destroy(im); /* after a failure: removes what this import wrote */
    ent_store_close(st);
    cli_species_free(&sp);
    free(species);
    free(joined);
    if (s != ENT_OK) {
        static const char note[] = " (nothing of this import was kept)";
        if (began && strlen(err.msg) + sizeof note <= sizeof err.msg)
            strcat(err.msg, note);
        return cli_fail(&o, s, &err);
    }
    if (o.json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "database", db);
        cJSON_AddNumberToObject(j, "import_id", (double)stats.import_id);
        cJSON_AddNumberToObject(j, "generation",
                                o.has_generation ? (double)o.generation : 0);
        cJSON_AddNumberToObject(j, "added", (double)stats.added);
        cJSON_AddNumberToObject(j, "duplicates", (double)stats.duplicates);
        cJSON_AddNumberToObject(j, "rejected", (double)stats.rejected);
        cJSON_AddNumberToObject(j, "environments", (double)stats.environments);
        return cli_json_print(j);
    }
    printf(
        "imported %zu structures (%zu environments) into %s, generation %ld (import %lld)",
        stats.added, stats.environments, db, o.has_generation ? o.generation : 0L,
        (long long)stats.import_id);
    if (stats.duplicates)
        printf("; %zu duplicates skipped", stats.duplicates);
    if (stats.rejected)
        printf("; %zu rejected (non-finite labels)", stats.rejected);
    printf("\n");
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------------------------
 * export */

/* Set (or replace in place) a REAL array info item. */
static ent_status info_set_reals(ent_frame *f, const char *key, const double *v, size_t n,
                                 ent_error *err)
{
    double *data = malloc(n * sizeof *data);
    if (!data)
        return ent_error_set(err, ENT_ENOMEM, "out of memory");
    memcpy(data, v, n * sizeof *data);
    ent_info_item *it = (ent_info_item *)ent_frame_info_find(f, key);
    if (!it) {
        ent_info_item *p = realloc(f->info, (f->n_info + 1) * sizeof *p);
        char *k = strdup(key);
        if (!p || !k) {
            if (p)
                f->info = p;
            free(k);
            free(data);
            return ent_error_set(err, ENT_ENOMEM, "out of memory");
        }
        f->info = p;
        it = &f->info[f->n_info++];
        memset(it, 0, sizeof *it);
        it->key = k;
    } else if (it->type == ENT_VAL_STR) {
        for (size_t i = 0; i < it->count; i++)
            free(((char **)it->data)[i]);
    }
    free(it->data);
    it->type = ENT_VAL_REAL;
    it->is_array = 1;
    it->count = n;
    it->data = data;
    return ENT_OK;
}

static int same_reals(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i]) && !(isnan(a[i]) && isnan(b[i])))
            return 0;
    return 1;
}

/* Bring a stored frame in line with its latest accepted label. Imported labelled frames
 * already hold the same values (kept as read, so the export is exact); a label from a
 * job replaces or adds them. */
static ent_status apply_label(ent_frame *f, const ent_store_label_rec *l, ent_error *err)
{
    ent_status s = ENT_OK;
    double e;
    if (l->has_energy &&
        !(ent_frame_info_get_real(f, "energy", &e) == ENT_OK && e == l->energy))
        s = ent_frame_info_set_real(f, "energy", l->energy, err);
    const ent_column *c = ent_frame_column_find(f, "forces");
    if (s == ENT_OK && l->forces &&
        !(c && c->type == ENT_VAL_REAL && c->ncols == 3 &&
          same_reals(c->data, l->forces, 3 * f->n_atoms)))
        s = ent_frame_column_set_real(f, "forces", 3, l->forces, err);
    const ent_info_item *it = ent_frame_info_find(f, "stress");
    double have[9];
    int same = it && it->count == l->n_stress && it->type != ENT_VAL_STR &&
               it->type != ENT_VAL_BOOL;
    for (size_t i = 0; same && i < l->n_stress; i++)
        have[i] = it->type == ENT_VAL_REAL ? ((const double *)it->data)[i]
                                           : (double)((const long *)it->data)[i];
    if (s == ENT_OK && l->n_stress && !(same && same_reals(have, l->stress, l->n_stress)))
        s = info_set_reals(f, "stress", l->stress, l->n_stress, err);
    return s;
}

static ent_status export_all(ent_store *st, const cli_options *o, FILE *fp, size_t *n_out,
                             ent_error *err)
{
    ent_store_filter f = {.generation = o->generation,
                          .has_generation = o->has_generation,
                          .status = o->status,
                          .tag = o->tag};
    int64_t *ids = NULL;
    size_t n = 0;
    ent_status s = ent_store_read_begin(st, err); /* one snapshot for the whole export */
    if (s == ENT_OK)
        s = ent_store_structure_ids(st, &f, &ids, &n, err);
    for (size_t i = 0; i < n && s == ENT_OK; i++) {
        ent_frame *fr = NULL;
        ent_store_label_rec l;
        int has_label = 0;
        s = ent_store_structure_get(st, ids[i], &fr, NULL, err);
        if (s == ENT_OK)
            s = ent_store_label_latest(st, ids[i], &l, &has_label, err);
        if (s == ENT_OK && has_label && !strcmp(l.validation, "ok"))
            s = apply_label(fr, &l, err);
        if (s == ENT_OK)
            s = ent_extxyz_write(fp, fr, err);
        if (has_label)
            ent_store_label_rec_clear(&l);
        ent_frame_destroy(fr);
        cli_progress("exported %zu of %zu structures", i + 1, n);
    }
    cli_progress_done();
    ent_store_rollback(st); /* end of the read snapshot */
    free(ids);
    *n_out = n;
    return s;
}

int cmd_export(int argc, char **argv)
{
    cli_options o = {.command = "export"};
    int rc = prologue(argc, argv, OPT_STORE | OPT_OUTPUT, &o, export_usage, 1, 1);
    if (rc >= 0)
        return rc;
    if (!o.output) {
        fprintf(stderr, "entrain export: -o OUT.xyz is required\n%s", export_usage);
        return CLI_EXIT_USAGE;
    }
    if (o.labelled) {
        fprintf(stderr, "entrain export: use --status labelled instead of --labelled\n");
        return CLI_EXIT_USAGE;
    }
    ent_error err = {0};
    ent_store *st = NULL;
    ent_status s = ent_store_open(o.positional[0], NULL, &st, &err);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    int to_stdout = !strcmp(o.output, "-");
    FILE *fp = to_stdout ? stdout : fopen(o.output, "w");
    size_t n = 0;
    if (!fp)
        s = ent_error_set(&err, ENT_EIO, "%s: cannot open for writing", o.output);
    if (s == ENT_OK)
        s = export_all(st, &o, fp, &n, &err);
    if (fp && (to_stdout ? fflush(fp) : fclose(fp)) != 0 && s == ENT_OK)
        s = ent_error_set(&err, ENT_EIO, "%s: write failed", o.output);
    if (s != ENT_OK && fp && !to_stdout)
        unlink(o.output); /* no half-written export */
    ent_store_close(st);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    if (!to_stdout)
        fprintf(stderr, "exported %zu structures to %s\n", n, o.output);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------------------------
 * status */

static cJSON *json_counts(const size_t *v, const char *const *names, int n)
{
    cJSON *j = cJSON_CreateObject();
    for (int i = 0; i < n; i++)
        cJSON_AddNumberToObject(j, names[i], (double)v[i]);
    return j;
}

static cJSON *json_or_null(double v)
{
    return isnan(v) ? cJSON_CreateNull() : cli_json_number(v);
}

static void print_real(double v)
{
    if (isnan(v))
        printf(" %9s", "-");
    else
        printf(" %9.4f", v);
}

int cmd_status(int argc, char **argv)
{
    cli_options o = {.command = "status"};
    int rc = prologue(argc, argv, OPT_JSON, &o, status_usage, 1, 1);
    if (rc >= 0)
        return rc;
    ent_error err = {0};
    ent_store *st = NULL;
    ent_store_gen_summary *rows = NULL;
    size_t n = 0, running = 0;
    ent_store_writer_info w = {0};
    ent_status s = ent_store_open(o.positional[0], NULL, &st, &err);
    if (s == ENT_OK)
        s = ent_store_summary(st, &rows, &n, &running, &err);
    if (s == ENT_OK)
        s = ent_store_writer_get(st, &w, &err);
    int version = ent_store_schema_version(st);
    ent_store_close(st);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    if (o.json) {
        cJSON *j = cJSON_CreateObject(), *gens = cJSON_CreateArray();
        cJSON_AddStringToObject(j, "database", o.positional[0]);
        cJSON_AddNumberToObject(j, "schema_version", version);
        if (w.held) {
            cJSON *wj = cJSON_AddObjectToObject(j, "writer");
            cJSON_AddNumberToObject(wj, "pid", (double)w.pid);
            cJSON_AddStringToObject(wj, "host", w.host);
            cJSON_AddStringToObject(wj, "since", w.since);
            cJSON_AddStringToObject(wj, "heartbeat", w.heartbeat);
            cJSON_AddStringToObject(wj, "command", w.command);
            cJSON_AddBoolToObject(wj, "alive", !w.gone);
        } else {
            cJSON_AddNullToObject(j, "writer");
        }
        cJSON_AddNumberToObject(j, "imports_running", (double)running);
        size_t tot_s = 0, tot_e = 0;
        for (size_t i = 0; i < n; i++) {
            const ent_store_gen_summary *r = &rows[i];
            cJSON *g = cJSON_CreateObject();
            cJSON_AddNumberToObject(g, "generation", (double)r->generation);
            cJSON_AddStringToObject(g, "phase", r->phase);
            cJSON_AddItemToObject(
                g, "structures",
                json_counts(r->n_status, ent_store_status_names, ENT_STORE_N_STATUS));
            cJSON_AddNumberToObject(g, "n_structures", (double)r->n_structures);
            cJSON_AddNumberToObject(g, "environments", (double)r->n_environments);
            cJSON_AddItemToObject(g, "entropy", json_or_null(r->entropy));
            cJSON_AddItemToObject(g, "diversity", json_or_null(r->diversity));
            cJSON_AddItemToObject(g, "novelty", json_or_null(r->novelty));
            cJSON_AddItemToObject(
                g, "jobs",
                json_counts(r->n_jobs, ent_store_job_state_names, ENT_STORE_N_JOB_STATES));
            cJSON_AddItemToArray(gens, g);
            tot_s += r->n_structures;
            tot_e += r->n_environments;
        }
        cJSON_AddItemToObject(j, "generations", gens);
        cJSON_AddNumberToObject(j, "n_structures", (double)tot_s);
        cJSON_AddNumberToObject(j, "environments", (double)tot_e);
        free(rows);
        return cli_json_print(j);
    }
    printf("%s: schema version %d, %zu generation%s\n", o.positional[0], version, n,
           n == 1 ? "" : "s");
    if (w.held)
        printf("driven by pid %ld on host %s since %s (%s, heartbeat %s)%s\n", w.pid,
               w.host, w.since, w.command, w.heartbeat,
               w.gone ? " - that process is gone; the next writer takes over" : "");
    if (running)
        printf("%zu import%s in progress (not counted below until finished)\n", running,
               running == 1 ? "" : "s");
    printf("%4s %-13s %9s %9s %9s %9s %9s %11s %9s %9s %9s  %s\n", "gen", "phase",
           "candidate", "selected", "labelled", "rejected", "dropped", "envs", "H", "D",
           "novelty", "jobs");
    for (size_t i = 0; i < n; i++) {
        const ent_store_gen_summary *r = &rows[i];
        printf("%4ld %-13s", r->generation, r->phase);
        for (int k = 0; k < ENT_STORE_N_STATUS; k++)
            printf(" %9zu", r->n_status[k]);
        printf(" %11zu", r->n_environments);
        print_real(r->entropy);
        print_real(r->diversity);
        print_real(r->novelty);
        int any = 0;
        printf("  ");
        for (int k = 0; k < ENT_STORE_N_JOB_STATES; k++)
            if (r->n_jobs[k]) {
                printf("%s%s %zu", any ? ", " : "", ent_store_job_state_names[k],
                       r->n_jobs[k]);
                any = 1;
            }
        printf("%s\n", any ? "" : "-");
    }
    free(rows);
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------------------------------
 * audit */

static void hex(const unsigned char *h, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", h[i]);
}

static cJSON *job_json(const ent_store_audit_job *j)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)j->id);
    cJSON_AddStringToObject(o, "kind", j->kind);
    cJSON_AddStringToObject(o, "backend", j->backend);
    cJSON_AddStringToObject(o, "state", j->state);
    cJSON *argv = cJSON_Parse(j->argv); /* stored as a JSON array */
    cJSON_AddItemToObject(o, "argv", argv ? argv : cJSON_CreateString(j->argv));
    if (j->has_exit_code)
        cJSON_AddNumberToObject(o, "exit_code", j->exit_code);
    return o;
}

static cJSON *audit_json(const ent_store_audit *a)
{
    const ent_store_structure_info *in = &a->info;
    char h[2 * ENT_STORE_HASH_SIZE + 1];
    hex(in->hash, ENT_STORE_HASH_SIZE, h);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)in->id);
    cJSON_AddStringToObject(j, "hash", h);
    cJSON_AddNumberToObject(j, "n_atoms", (double)in->n_atoms);
    cJSON_AddStringToObject(j, "origin", in->origin);
    cJSON_AddNumberToObject(j, "generation", (double)in->generation);
    cJSON_AddStringToObject(j, "status", in->status);
    if (in->status_reason[0])
        cJSON_AddStringToObject(j, "status_reason", in->status_reason);
    if (in->tag[0])
        cJSON_AddStringToObject(j, "tag", in->tag);
    cJSON_AddStringToObject(j, "created", in->created);
    if (in->import_id) {
        cJSON *im = cJSON_AddObjectToObject(j, "import");
        cJSON_AddNumberToObject(im, "id", (double)in->import_id);
        cJSON_AddStringToObject(im, "files", a->import_files);
        cJSON_AddStringToObject(im, "source", in->source);
        if (in->frame_index >= 0)
            cJSON_AddNumberToObject(im, "frame", (double)in->frame_index);
    }
    if (a->has_parent_job) {
        cJSON *pj = job_json(&a->parent_job);
        if (in->frame_index >= 0)
            cJSON_AddNumberToObject(pj, "frame", (double)in->frame_index);
        cJSON_AddItemToObject(j, "parent_job", pj);
    } else {
        cJSON_AddNullToObject(j, "parent_job");
    }
    cJSON *sc = cJSON_AddArrayToObject(j, "scores");
    for (size_t i = 0; i < a->n_scores; i++) {
        const ent_store_audit_score *r = &a->scores[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "generation", (double)r->generation);
        cJSON_AddItemToObject(o, "bandwidth", json_or_null(r->bandwidth));
        cJSON_AddItemToObject(o, "threshold", json_or_null(r->threshold));
        cJSON_AddItemToObject(o, "dh_min", json_or_null(r->dh_min));
        cJSON_AddItemToObject(o, "dh_mean", json_or_null(r->dh_mean));
        cJSON_AddItemToObject(o, "dh_max", json_or_null(r->dh_max));
        cJSON_AddItemToObject(o, "frac_novel", json_or_null(r->frac_novel));
        cJSON_AddNumberToObject(o, "n_inf", (double)r->n_inf);
        cJSON_AddNumberToObject(o, "reference_envs", (double)r->reference_envs);
        cJSON_AddNumberToObject(o, "reference_structures", (double)r->reference_structures);
        cJSON_AddStringToObject(o, "created", r->created);
        cJSON_AddItemToArray(sc, o);
    }
    cJSON *de = cJSON_AddArrayToObject(j, "decisions");
    for (size_t i = 0; i < a->n_decisions; i++) {
        const ent_store_audit_decision *r = &a->decisions[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "generation", (double)r->generation);
        cJSON_AddStringToObject(o, "kind", r->kind);
        cJSON_AddStringToObject(o, "reason", r->reason);
        cJSON_AddStringToObject(o, "recipe_hash", r->recipe_hash);
        cJSON_AddStringToObject(o, "created", r->created);
        cJSON_AddItemToArray(de, o);
    }
    if (a->has_label) {
        const ent_store_label_rec *l = &a->label;
        cJSON *o = cJSON_AddObjectToObject(j, "label");
        if (l->has_energy)
            cJSON_AddItemToObject(o, "energy", cli_json_number(l->energy));
        else
            cJSON_AddNullToObject(o, "energy");
        cJSON_AddBoolToObject(o, "forces", l->forces != NULL);
        if (l->n_stress) {
            cJSON *sv = cJSON_AddArrayToObject(o, "stress");
            for (size_t i = 0; i < l->n_stress; i++)
                cJSON_AddItemToArray(sv, cli_json_number(l->stress[i]));
        }
        cJSON_AddStringToObject(o, "validation", l->validation);
        cJSON_AddStringToObject(o, "created", l->created);
        cJSON_AddNumberToObject(o, "n_labels", (double)a->n_labels);
        if (a->has_label_job)
            cJSON_AddItemToObject(o, "job", job_json(&a->label_job));
        else
            cJSON_AddNullToObject(o, "job");
    } else {
        cJSON_AddNullToObject(j, "label");
    }
    cJSON *tr = cJSON_AddArrayToObject(j, "training_sets");
    for (size_t i = 0; i < a->n_train_generations; i++)
        cJSON_AddItemToArray(tr, cJSON_CreateNumber((double)a->train_generations[i]));
    cJSON *ds = cJSON_AddArrayToObject(j, "descriptors");
    for (size_t i = 0; i < a->n_descriptors; i++) {
        const ent_store_audit_descriptor *r = &a->descriptors[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "k", r->k);
        cJSON_AddNumberToObject(o, "cutoff", r->cutoff);
        cJSON_AddStringToObject(o, "species", r->species);
        cJSON_AddBoolToObject(o, "quests_compat", r->quests_compat);
        cJSON_AddNumberToObject(o, "width", (double)r->width);
        cJSON_AddItemToArray(ds, o);
    }
    return j;
}

static void audit_text(const ent_store_audit *a)
{
    const ent_store_structure_info *in = &a->info;
    char h[2 * ENT_STORE_HASH_SIZE + 1];
    hex(in->hash, ENT_STORE_HASH_SIZE, h);
    printf("structure %lld: %zu atoms, hash %.16s…\n", (long long)in->id, in->n_atoms, h);
    printf("  origin      %s, generation %ld, stored %s\n", in->origin, in->generation,
           in->created);
    if (in->import_id)
        printf("  import      %lld: %s, frame index %ld\n", (long long)in->import_id,
               in->source, in->frame_index);
    if (a->has_parent_job)
        printf("  parent job  %lld (%s, %s, %s), frame index %ld\n",
               (long long)a->parent_job.id, a->parent_job.kind, a->parent_job.backend,
               a->parent_job.state, in->frame_index);
    printf("  status      %s%s%s%s\n", in->status, in->status_reason[0] ? " (" : "",
           in->status_reason, in->status_reason[0] ? ")" : "");
    if (in->tag[0])
        printf("  tag         %s\n", in->tag);
    for (size_t i = 0; i < a->n_scores; i++) {
        const ent_store_audit_score *r = &a->scores[i];
        printf("  score       generation %ld: dH max %g mean %g, %.3g novel (> %g) against "
               "%zu "
               "environments (%zu structures), h = %g\n",
               r->generation, r->dh_max, r->dh_mean, r->frac_novel, r->threshold,
               r->reference_envs, r->reference_structures, r->bandwidth);
    }
    for (size_t i = 0; i < a->n_decisions; i++)
        printf("  decision    generation %ld: %s — %s (recipe %.12s)\n",
               a->decisions[i].generation, a->decisions[i].kind, a->decisions[i].reason,
               a->decisions[i].recipe_hash);
    if (a->has_label) {
        printf("  label       ");
        if (a->label.has_energy)
            printf("energy %.10g eV", a->label.energy);
        printf("%s%s, %s", a->label.forces ? ", forces" : "",
               a->label.n_stress ? ", stress" : "", a->label.validation);
        if (a->has_label_job)
            printf(", job %lld (%s)", (long long)a->label_job.id, a->label_job.state);
        printf("\n");
    } else {
        printf("  label       none\n");
    }
    printf("  training    ");
    for (size_t i = 0; i < a->n_train_generations; i++)
        printf("%sgeneration %ld", i ? ", " : "", a->train_generations[i]);
    printf("%s\n", a->n_train_generations ? "" : "in no generation's training set");
    for (size_t i = 0; i < a->n_descriptors; i++)
        printf("  descriptors k = %d, cutoff %g%s%s\n", a->descriptors[i].k,
               a->descriptors[i].cutoff, a->descriptors[i].species[0] ? ", species " : "",
               a->descriptors[i].species);
}

int cmd_audit(int argc, char **argv)
{
    cli_options o = {.command = "audit"};
    int rc = prologue(argc, argv, OPT_JSON, &o, audit_usage, 2, 2);
    if (rc >= 0)
        return rc;
    char *end;
    long long id = strtoll(o.positional[1], &end, 10);
    if (*end || end == o.positional[1] || id < 1) {
        fprintf(stderr,
                "entrain audit: STRUCTURE_ID must be a positive integer, got '%s'\n",
                o.positional[1]);
        return CLI_EXIT_USAGE;
    }
    ent_error err = {0};
    ent_store *st = NULL;
    ent_store_audit a;
    ent_status s = ent_store_open(o.positional[0], NULL, &st, &err);
    if (s == ENT_OK)
        s = ent_store_audit_get(st, id, &a, &err);
    ent_store_close(st);
    if (s != ENT_OK)
        return cli_fail(&o, s, &err);
    rc = CLI_EXIT_OK;
    if (o.json)
        rc = cli_json_print(audit_json(&a));
    else
        audit_text(&a);
    ent_store_audit_clear(&a);
    return rc;
}
