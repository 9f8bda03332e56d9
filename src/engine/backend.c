/* Backend by name: the one switch from a campaign's `backend = "..."` to its code. */
#include <string.h>

#include "engine/backend.h"

ent_status ent_backend_create(const char *name, const ent_backend_option *opts, size_t n_opts,
                              ent_backend **out, ent_error *err)
{
    if (!name || !strcmp(name, "local"))
        return ent_backend_local_create(out, err);
    if (!strcmp(name, "slurm"))
        return ent_backend_slurm_create(opts, n_opts, out, err);
    if (!strcmp(name, "http"))
        return ent_backend_http_create(opts, n_opts, out, err);
    return ent_error_set(err, ENT_EINVAL, "unknown job backend '%s' (local, slurm or http)",
                         name);
}
