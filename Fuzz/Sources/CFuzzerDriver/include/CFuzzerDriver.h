#ifndef TESSERA_FUZZ_DRIVER_H
#define TESSERA_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs that have their own main (compiler-rt/lib/fuzzer/FuzzerInterface.h).
// SwiftPM links a debug executable target with `--defsym main=<Target>_main`, so each target defines
// `<Target>_main` and hands its `LLVMFuzzerTestOneInput` to the driver here.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
