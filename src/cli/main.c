/* entrain command-line entry point: dispatch to a command, nothing else. Only this file
 * and cli_fail map status codes to exit codes. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"descriptors", cmd_descriptors, "per-atom QUESTS descriptors to .npy/.csv"},
    {"entropy", cmd_entropy, "dataset entropy H and diversity D"},
    {"dh", cmd_dh, "differential entropy dH of test environments against a reference"},
    {"overlap", cmd_overlap, "fraction of test environments covered by a reference"},
    {"bandwidth", cmd_bandwidth, "kernel bandwidth from the atomic volume"},
    {"compress", cmd_compress, "select the structures that keep a data set's information"},
    {"learning-curve", cmd_learning_curve, "entropy of random subsets and completeness"},
    {"dh-traj", cmd_dh_traj, "per-frame, per-atom dH along a trajectory"},
    {"mcmc", cmd_mcmc, "Monte Carlo towards a target dH against a reference"},
    {"init", cmd_init, "create an empty campaign database"},
    {"import", cmd_import, "add structures (and their descriptors) to a campaign database"},
    {"export", cmd_export, "write a campaign database's structures as extended XYZ"},
    {"status", cmd_status, "per-generation summary of a campaign database"},
    {"audit", cmd_audit, "lineage of one structure in a campaign database"},
    {"check", cmd_check, "validate a campaign file and show its resolved configuration"},
    {"report", cmd_report, "HTML (or JSON) report of a campaign with plots"},
    {"run", cmd_run, "run (create or continue) an active-learning campaign"},
    {"resume", cmd_resume, "continue the campaign stored in a database"},
    {"stop", cmd_stop, "ask a running campaign to stop after its current step"},
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: entrain COMMAND [options] [args]\n\n"
                "Active learning for interatomic potentials with QUESTS information theory.\n\n"
                "Commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nEvery command accepts --help, --threads N and --quests-compat.\n"
                "Exit codes: 0 ok, 1 bad input data, 2 bad command line, 3 file I/O error,\n"
                "4 out of memory, 5 internal error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("entrain 0.1.0\n");
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "entrain: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
