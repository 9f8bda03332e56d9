/* Bandwidth from the atomic volume (QUESTS get_bandwidth, QUESTS_MATH.md §5): two fitted
 * curves of h against V in Angstrom^3 per atom. */
#include <math.h>

#include "info/kernel.h"

/* fc(r; rc) = (1 - z^2)^2, z = min(r, rc)/rc (QUESTS_MATH.md §1). */
static double cutoff_fn(double r, double rc)
{
    double z = (r < rc ? r : rc) / rc;
    double t = 1.0 - z * z;
    return t * t;
}

ent_status ent_bandwidth(double volume, ent_bandwidth_method method, double *h,
                         ent_error *err)
{
    if (!h)
        return ent_error_set(err, ENT_EINVAL, "bandwidth: NULL result pointer");
    if (!(volume > 0.0) || !isfinite(volume))
        return ent_error_set(err, ENT_EINVAL,
                             "bandwidth: volume %g must be finite and > 0 (A^3/atom)", volume);
    switch (method) {
    case ENT_BANDWIDTH_GAUSSIAN: {
        double z = volume / 10.896;
        *h = 0.0897141 * exp(-0.5 * z * z) + 0.0119417;
        return ENT_OK;
    }
    case ENT_BANDWIDTH_CUTOFF: {
        double l = log(volume);
        *h = 0.086164 * cutoff_fn(l * l, 11.61172) + 0.016;
        return ENT_OK;
    }
    }
    return ent_error_set(err, ENT_EINVAL, "bandwidth: unknown method %d", (int)method);
}
