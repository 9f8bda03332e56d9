/* The campaign report (`entrain report`): one self-contained HTML page with inline SVG
 * plots, or the same data as JSON, built from what ent_store_report_get read. Pure text
 * generation: no I/O here, so tests call it directly. */
#ifndef ENT_REPORT_REPORT_H
#define ENT_REPORT_REPORT_H

#include "base/status.h"
#include "report/svg_plot.h"
#include "store/store.h"

/* Most recent generations drawn as δH histograms (older ones are listed as omitted). */
#define ENT_REPORT_MAX_HISTOGRAMS 24

/* Append the HTML page / the JSON document for r to out; source names the database in
 * the page (escaped). ENT_EINVAL on NULL arguments, ENT_ENOMEM when out ran out of
 * memory (out is then freed). */
ent_status ent_report_html(const ent_store_report *r, const char *source, ent_buf *out,
                           ent_error *err);
ent_status ent_report_json(const ent_store_report *r, const char *source, ent_buf *out,
                           ent_error *err);

#endif
