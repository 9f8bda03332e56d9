/* Inline SVG plots for the campaign report: a growable text buffer, HTML escaping, and
 * line/point plots, stacked bars and histograms with axes, ticks and labels. Colours are
 * CSS classes (s0..s7, thr, grid) so the page's light and dark schemes restyle them. Every
 * plot <svg> carries data-plot="ID" and data-points="N" (points, bars, or values binned) so
 * tests can count them in the DOM. */
#ifndef ENT_REPORT_SVG_PLOT_H
#define ENT_REPORT_SVG_PLOT_H

#include <stddef.h>

/* A growable NUL-terminated string; oom = 1 once an append failed (later appends are
 * no-ops), so callers check once at the end. Zero-initialise; free with ent_buf_free. */
typedef struct ent_buf {
    char *s;
    size_t len, cap;
    int oom;
} ent_buf;

void ent_buf_printf(ent_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void ent_buf_puts(ent_buf *b, const char *s);
/* Text escaped for HTML element content and attribute values (& < > " '). NULL = "". */
void ent_buf_html(ent_buf *b, const char *s);
void ent_buf_free(ent_buf *b);

typedef struct ent_svg_axes {
    const char *id;     /* data-plot attribute */
    const char *title;  /* aria-label and <title> */
    const char *xlabel; /* with unit, e.g. "generation" */
    const char *ylabel; /* with unit, e.g. "H (nats)" */
    int width, height;  /* pixels (viewBox); 0 = 640 x 260 */
    int integer_x;      /* x ticks on whole numbers only (generations) */
    int has_vline;      /* vertical marker (a threshold) at vline */
    double vline;
    const char *vline_label;
} ent_svg_axes;

typedef struct ent_svg_series {
    const char *name;    /* legend */
    const double *x, *y; /* n points; non-finite y values are skipped */
    size_t n;
    int dashed;
} ent_svg_series;

/* Lines with point markers (markers only up to 60 points per series). Appends nothing
 * but a "no data yet" paragraph when no series has a finite point. */
void ent_svg_lines(ent_buf *b, const ent_svg_axes *a, const ent_svg_series *s, size_t ns);

/* Stacked bars: for each of n x values, ns stacked segments y[k][i] >= 0 (data-points
 * counts the non-empty bars). */
void ent_svg_stacked(ent_buf *b, const ent_svg_axes *a, const double *x, size_t n,
                     const double *const *y, const char *const *names, size_t ns);

/* Histogram of the finite values of v over [lo, hi] in bins bins (values outside go to
 * the end bins; +inf is counted in the last bin). */
void ent_svg_hist(ent_buf *b, const ent_svg_axes *a, const double *v, size_t n, size_t bins,
                  double lo, double hi);

#endif
