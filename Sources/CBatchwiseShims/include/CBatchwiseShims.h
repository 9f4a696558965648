#ifndef CBATCHWISE_SHIMS_H
#define CBATCHWISE_SHIMS_H

#include <stdint.h>

/// The CPU (OS index of the PU) the calling thread is running on right now, or -1.
int CBatchwiseShims_sched_getcpu(void);

/// The kernel thread id of the calling thread.
int64_t CBatchwiseShims_gettid(void);

/// Sleeps while `*word == expected` (FUTEX_WAIT_PRIVATE). Returns 0 on wake-up or mismatch.
int CBatchwiseShims_futex_wait(uint32_t *word, uint32_t expected);

/// Wakes up to `count` threads sleeping on `word` (FUTEX_WAKE_PRIVATE).
int CBatchwiseShims_futex_wake(uint32_t *word, int count);

/// A spin-loop hint (`pause` on x86, `yield` on Arm).
void CBatchwiseShims_cpu_relax(void);

#endif
