/* Status messages and error recording. */
#include "base/status.h"

#include <stdio.h>

const char *ent_strerror(ent_status s)
{
    switch (s) {
    case ENT_OK: return "success";
    case ENT_EINVAL: return "invalid argument";
    case ENT_ENOMEM: return "out of memory";
    case ENT_EIO: return "input/output error";
    case ENT_EPARSE: return "malformed input";
    case ENT_EGEOMETRY: return "invalid geometry";
    case ENT_EUNSUPPORTED: return "unsupported input";
    case ENT_EEOF: return "end of input";
    case ENT_ERECIPE: return "recipe failed";
    }
    return "unknown status";
}

ent_status ent_error_set(ent_error *err, ent_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
