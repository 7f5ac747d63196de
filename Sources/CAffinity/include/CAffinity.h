#ifndef TESSERA_CAFFINITY_H
#define TESSERA_CAFFINITY_H

/// Binds the calling thread to CPU `cpu` (Linux sched_setaffinity). Returns 0, or -1 when refused or out of range.
/// A C target because glibc only declares sched_setaffinity and CPU_SET under _GNU_SOURCE, which the Swift Glibc
/// module does not define.
int tessera_pin_thread_to_cpu(int cpu);

#endif
