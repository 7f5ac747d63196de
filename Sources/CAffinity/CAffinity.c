#define _GNU_SOURCE
#include <sched.h>
#include "CAffinity.h"

int tessera_pin_thread_to_cpu(int cpu) {
#ifdef __linux__
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -1;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
#else
    (void)cpu;
    return -1;
#endif
}
