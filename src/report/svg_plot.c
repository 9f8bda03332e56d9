/* Inline SVG plotting for the campaign report: text buffer and escaping, "nice" axis
 * ticks, line/point plots, stacked bars and histograms. No JavaScript, no fonts: text uses
 * the page's font and colours come from CSS classes. */
#define _POSIX_C_SOURCE 200809L
#include "report/svg_plot.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Buffer ---- */

static int buf_reserve(ent_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t c = b->cap ? b->cap : 4096;
    while (c < b->len + extra + 1)
        c *= 2;
    char *p = realloc(b->s, c);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->s = p;
    b->cap = c;
    return 0;
}

void ent_buf_printf(ent_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return;
    if ((size_t)n < sizeof small) {
        memcpy(b->s + b->len, small, (size_t)n + 1);
    } else {
        va_start(ap, fmt);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void ent_buf_puts(ent_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (buf_reserve(b, n) != 0)
        return;
    memcpy(b->s + b->len, s, n + 1);
    b->len += n;
}

void ent_buf_html(ent_buf *b, const char *s)
{
    if (!s)
        return;
    for (; *s; s++) {
        switch (*s) {
        case '&': ent_buf_puts(b, "&amp;"); break;
        case '<': ent_buf_puts(b, "&lt;"); break;
        case '>': ent_buf_puts(b, "&gt;"); break;
        case '"': ent_buf_puts(b, "&quot;"); break;
        case '\'': ent_buf_puts(b, "&#39;"); break;
        default: {
            char c[2] = {*s, 0};
            ent_buf_puts(b, c);
        }
        }
    }
}

void ent_buf_free(ent_buf *b)
{
    if (!b)
        return;
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ---- Axes ---- */

/* Plot frame: margins around the data area, and the data -> pixel maps. */
typedef struct frame {
    double w, h, l, r, t, bt; /* size and margins */
    double x0, x1, y0, y1;    /* data range */
} frame;

static double px(const frame *f, double x)
{
    double d = f->x1 - f->x0;
    return f->l + (d > 0 ? (x - f->x0) / d : 0.5) * (f->w - f->l - f->r);
}

static double py(const frame *f, double y)
{
    double d = f->y1 - f->y0;
    return f->h - f->bt - (d > 0 ? (y - f->y0) / d : 0.5) * (f->h - f->t - f->bt);
}

/* A "nice" tick step (1, 2 or 5 times a power of ten) giving about `want` ticks. */
static double nice_step(double span, int want)
{
    if (!(span > 0))
        return 1;
    double raw = span / want, p = pow(10, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
}

/* Widen [lo, hi] to whole tick steps; a degenerate range gets some room. */
static void nice_range(double *lo, double *hi, int want, int integer)
{
    if (*hi <= *lo) {
        double c = *lo, d = fabs(c) > 0 ? fabs(c) * 0.1 : 1;
        *lo = c - d;
        *hi = c + d;
    }
    double st = nice_step(*hi - *lo, want);
    if (integer && st < 1)
        st = 1;
    *lo = floor(*lo / st + 1e-9) * st;
    *hi = ceil(*hi / st - 1e-9) * st;
}

static void frame_init(frame *f, const ent_svg_axes *a)
{
    f->w = a->width > 0 ? a->width : 640;
    f->h = a->height > 0 ? a->height : 260;
    f->l = 64;
    f->r = 16;
    f->t = 28;
    f->bt = 44;
}

static void svg_open(ent_buf *b, const frame *f, const ent_svg_axes *a, size_t points)
{
    ent_buf_printf(b,
                   "<svg class=\"plot\" viewBox=\"0 0 %g %g\" width=\"%g\" height=\"%g\" "
                   "role=\"img\" data-plot=\"",
                   f->w, f->h, f->w, f->h);
    ent_buf_html(b, a->id);
    ent_buf_printf(b, "\" data-points=\"%zu\" aria-label=\"", points);
    ent_buf_html(b, a->title);
    ent_buf_puts(b, "\"><title>");
    ent_buf_html(b, a->title);
    ent_buf_puts(b, "</title>");
}

/* Grid lines, tick labels and axis labels. */
static void axes_draw(ent_buf *b, const frame *f, const ent_svg_axes *a, int integer_y)
{
    double xs = nice_step(f->x1 - f->x0, 8), ys = nice_step(f->y1 - f->y0, 5);
    if (a->integer_x && xs < 1)
        xs = 1;
    if (integer_y && ys < 1)
        ys = 1; /* counts: no 0.2-structure ticks */
    ent_buf_puts(b, "<g class=\"axes\">");
    for (double y = ceil(f->y0 / ys - 1e-9) * ys; y <= f->y1 + ys * 1e-9; y += ys) {
        double yy = py(f, y), v = fabs(y) < ys * 1e-9 ? 0 : y;
        ent_buf_printf(b,
                       "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"end\">%.4g</text>",
                       f->l, f->w - f->r, yy, yy, f->l - 6, yy + 4, v);
    }
    for (double x = ceil(f->x0 / xs - 1e-9) * xs; x <= f->x1 + xs * 1e-9; x += xs) {
        double xx = px(f, x), v = fabs(x) < xs * 1e-9 ? 0 : x;
        ent_buf_printf(b,
                       "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\"/><text x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"middle\">%.4g</text>",
                       xx, xx, f->h - f->bt, f->h - f->bt + 4, xx, f->h - f->bt + 16, v);
    }
    ent_buf_printf(b,
                   "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                   f->l, f->w - f->r, f->h - f->bt, f->h - f->bt, f->l, f->l, f->t,
                   f->h - f->bt);
    ent_buf_printf(b, "<text class=\"label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
                   (f->l + f->w - f->r) / 2, f->h - 8);
    ent_buf_html(b, a->xlabel);
    ent_buf_printf(b,
                   "</text><text class=\"label\" transform=\"translate(14 %.1f) "
                   "rotate(-90)\" text-anchor=\"middle\">",
                   (f->t + f->h - f->bt) / 2);
    ent_buf_html(b, a->ylabel);
    ent_buf_puts(b, "</text></g>");
    if (a->has_vline && isfinite(a->vline) && a->vline >= f->x0 && a->vline <= f->x1) {
        double xx = px(f, a->vline);
        ent_buf_printf(b,
                       "<line class=\"thr\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" "
                       "y2=\"%.1f\"/><text class=\"thr-label\" x=\"%.1f\" y=\"%.1f\" "
                       "text-anchor=\"middle\">",
                       xx, xx, f->t, f->h - f->bt, xx, f->t - 5);
        ent_buf_html(b, a->vline_label);
        ent_buf_puts(b, "</text>");
    }
}

/* Legend along the top edge. */
static void legend(ent_buf *b, const frame *f, const char *const *names, size_t n,
                   const char *kind)
{
    double x = f->l;
    for (size_t k = 0; k < n; k++) {
        if (!names[k])
            continue;
        ent_buf_printf(b,
                       "<rect class=\"%s%zu\" x=\"%.1f\" y=\"8\" width=\"10\" "
                       "height=\"10\"/><text x=\"%.1f\" y=\"17\">",
                       kind, k % 8, x, x + 14);
        ent_buf_html(b, names[k]);
        ent_buf_puts(b, "</text>");
        x += 24 + 7.0 * (double)strlen(names[k]);
    }
}

static void no_data(ent_buf *b, const ent_svg_axes *a)
{
    ent_buf_puts(b, "<p class=\"nodata\" data-plot=\"");
    ent_buf_html(b, a->id);
    ent_buf_puts(b, "\" data-points=\"0\">");
    ent_buf_html(b, a->title);
    ent_buf_puts(b, ": no data yet</p>");
}

/* ---- Plots ---- */

void ent_svg_lines(ent_buf *b, const ent_svg_axes *a, const ent_svg_series *s, size_t ns)
{
    frame f;
    frame_init(&f, a);
    size_t total = 0;
    f.x0 = f.y0 = INFINITY;
    f.x1 = f.y1 = -INFINITY;
    for (size_t k = 0; k < ns; k++)
        for (size_t i = 0; i < s[k].n; i++)
            if (isfinite(s[k].x[i]) && isfinite(s[k].y[i])) {
                total++;
                f.x0 = fmin(f.x0, s[k].x[i]);
                f.x1 = fmax(f.x1, s[k].x[i]);
                f.y0 = fmin(f.y0, s[k].y[i]);
                f.y1 = fmax(f.y1, s[k].y[i]);
            }
    if (total == 0) {
        no_data(b, a);
        return;
    }
    int nonneg = f.y0 >= 0;
    if (f.y0 > 0 && f.y0 < 0.5 * f.y1)
        f.y0 = 0; /* start at zero unless that squashes the data */
    nice_range(&f.y0, &f.y1, 5, 0);
    if (nonneg && f.y0 < 0)
        f.y0 = 0;       /* all-zero data (wall times under a second): no negative axis */
    if (f.x1 <= f.x0) { /* one x value (a single generation): one tick, centred */
        f.x0 -= 0.5;
        f.x1 += 0.5;
    }
    svg_open(b, &f, a, total);
    axes_draw(b, &f, a, 0);
    const char *names[8] = {0};
    for (size_t k = 0; k < ns && k < 8; k++)
        names[k] = s[k].name;
    legend(b, &f, names, ns < 8 ? ns : 8, "f");
    for (size_t k = 0; k < ns; k++) {
        size_t m = 0;
        for (size_t i = 0; i < s[k].n; i++)
            m += isfinite(s[k].x[i]) && isfinite(s[k].y[i]);
        ent_buf_printf(b, "<g class=\"series\" data-series=\"");
        ent_buf_html(b, s[k].name);
        ent_buf_printf(b, "\" data-points=\"%zu\"><path class=\"l%zu%s\" d=\"", m, k % 8,
                       s[k].dashed ? " dashed" : "");
        int pen = 0;
        for (size_t i = 0; i < s[k].n; i++) {
            if (!isfinite(s[k].x[i]) || !isfinite(s[k].y[i])) {
                pen = 0; /* a gap where a value is missing */
                continue;
            }
            ent_buf_printf(b, "%c%.1f %.1f", pen ? 'L' : 'M', px(&f, s[k].x[i]),
                           py(&f, s[k].y[i]));
            pen = 1;
        }
        ent_buf_puts(b, "\"/>");
        if (m <= 60)
            for (size_t i = 0; i < s[k].n; i++)
                if (isfinite(s[k].x[i]) && isfinite(s[k].y[i]))
                    ent_buf_printf(b,
                                   "<circle class=\"f%zu\" cx=\"%.1f\" cy=\"%.1f\" "
                                   "r=\"3\"><title>%.4g: %.6g</title></circle>",
                                   k % 8, px(&f, s[k].x[i]), py(&f, s[k].y[i]), s[k].x[i],
                                   s[k].y[i]);
        ent_buf_puts(b, "</g>");
    }
    ent_buf_puts(b, "</svg>\n");
}

void ent_svg_stacked(ent_buf *b, const ent_svg_axes *a, const double *x, size_t n,
                     const double *const *y, const char *const *names, size_t ns)
{
    frame f;
    frame_init(&f, a);
    double top = 0;
    size_t bars = 0; /* non-empty ones */
    f.x0 = INFINITY;
    f.x1 = -INFINITY;
    for (size_t i = 0; i < n; i++) {
        double sum = 0;
        for (size_t k = 0; k < ns; k++)
            sum += y[k][i] > 0 ? y[k][i] : 0;
        top = fmax(top, sum);
        bars += sum > 0;
        f.x0 = fmin(f.x0, x[i]);
        f.x1 = fmax(f.x1, x[i]);
    }
    if (n == 0 || !(top > 0)) {
        no_data(b, a);
        return;
    }
    f.x0 -= 0.5;
    f.x1 += 0.5;
    f.y0 = 0;
    f.y1 = top;
    nice_range(&f.y0, &f.y1, 5, 1);
    svg_open(b, &f, a, bars);
    axes_draw(b, &f, a, 1);
    legend(b, &f, names, ns, "f");
    double bw = (px(&f, 1) - px(&f, 0)) * 0.8;
    for (size_t i = 0; i < n; i++) {
        double base = 0;
        ent_buf_printf(b, "<g class=\"bar\" data-x=\"%g\">", x[i]);
        for (size_t k = 0; k < ns; k++) {
            double v = y[k][i] > 0 ? y[k][i] : 0;
            if (v > 0) {
                double y1 = py(&f, base + v), y0 = py(&f, base);
                ent_buf_printf(b,
                               "<rect class=\"f%zu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                               "height=\"%.2f\"><title>%g: %g ",
                               k % 8, px(&f, x[i]) - bw / 2, y1, bw, y0 - y1, x[i], v);
                ent_buf_html(b, names[k]);
                ent_buf_puts(b, "</title></rect>");
            }
            base += v;
        }
        ent_buf_puts(b, "</g>");
    }
    ent_buf_puts(b, "</svg>\n");
}

void ent_svg_hist(ent_buf *b, const ent_svg_axes *a, const double *v, size_t n, size_t bins,
                  double lo, double hi)
{
    frame f;
    frame_init(&f, a);
    size_t *cnt = bins ? calloc(bins, sizeof *cnt) : NULL, used = 0, top = 0;
    if (!cnt || !(hi > lo)) {
        free(cnt);
        if (bins && !(hi > lo)) {
            no_data(b, a);
            return;
        }
        b->oom = 1;
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i]) || v[i] == -INFINITY)
            continue;
        double t = (v[i] - lo) / (hi - lo) * (double)bins;
        size_t k = t <= 0 ? 0 : t >= (double)bins ? bins - 1 : (size_t)t;
        cnt[k]++;
        used++;
    }
    if (used == 0) {
        free(cnt);
        no_data(b, a);
        return;
    }
    for (size_t k = 0; k < bins; k++)
        top = cnt[k] > top ? cnt[k] : top;
    f.x0 = lo;
    f.x1 = hi;
    f.y0 = 0;
    f.y1 = (double)top;
    nice_range(&f.y0, &f.y1, 4, 1);
    svg_open(b, &f, a, used);
    axes_draw(b, &f, a, 1);
    for (size_t k = 0; k < bins; k++) {
        double xa = px(&f, lo + (hi - lo) * (double)k / (double)bins);
        double xb = px(&f, lo + (hi - lo) * (double)(k + 1) / (double)bins);
        double yt = py(&f, (double)cnt[k]);
        ent_buf_printf(b,
                       "<rect class=\"f0 bin\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
                       "height=\"%.2f\"><title>%zu</title></rect>",
                       xa, yt, xb - xa > 1 ? xb - xa - 0.5 : xb - xa, py(&f, 0) - yt,
                       cnt[k]);
    }
    free(cnt);
    ent_buf_puts(b, "</svg>\n");
}
