/* Label checks from the campaign's `validation` table: max_force and energy_outlier
 * (engine_outliers.c). Not a public header. */
#ifndef ENT_ENGINE_OUTLIERS_H
#define ENT_ENGINE_OUTLIERS_H

#include <stddef.h>

#include "base/status.h"
#include "io/frame.h"
#include "store/store.h"

/* Per-atom energies of the accepted labels, grouped by reduced formula. */
typedef struct eng_energy_ref eng_energy_ref;
ent_status eng_energy_ref_load(ent_store *st, eng_energy_ref **out, ent_error *err);
void eng_energy_ref_free(eng_energy_ref *r); /* accepts NULL */

/* "Al2O3" from atom symbols; "" if it does not fit in size. */
void eng_reduced_formula(const char *const *symbols, size_t n, char *out, size_t size);

/* When reason is still empty, reject (fill reason) a label whose force component exceeds
 * max_force (> 0) or whose energy per atom is an outlier by more than energy_outlier (> 0)
 * robust standard deviations among ref's labels of the same formula (at least 8 of them). */
void eng_label_extra_check(const eng_energy_ref *ref, double energy_outlier, double max_force,
                           const ent_frame *f, double energy, const double *forces,
                           char *reason, size_t size);

#endif
