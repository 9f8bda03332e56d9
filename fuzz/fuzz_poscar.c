/* libFuzzer target: the poscar parser on arbitrary bytes (via fmemopen), then every frame
 * it accepts through an extended-XYZ write → read cycle (fuzz/roundtrip.h), then the
 * same bytes once more with format auto-detection. */
#include "roundtrip.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const types[] = {"H", "He", "Li"};
    ent_reader_options o = {.format = ENT_FORMAT_POSCAR,
                            .lammps_type_symbols = types,
                            .lammps_n_types = 3};
    fuzz_read_all(data, size, &o, 1);
    o.format = ENT_FORMAT_AUTO;
    fuzz_read_all(data, size, &o, 0);
    return 0;
}
