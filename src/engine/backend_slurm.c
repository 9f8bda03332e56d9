/* Placeholder until the slurm backend lands. */
#include "engine/backend.h"

ent_status ent_backend_slurm_create(const ent_backend_option *opts, size_t n_opts,
                                   ent_backend **out, ent_error *err)
{
    (void)opts;
    (void)n_opts;
    *out = 0;
    return ent_error_set(err, ENT_EUNSUPPORTED, "the slurm backend is not built yet");
}
