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

/// Makes the calling thread the one that receives SIGINT and SIGTERM: it must then take them
/// with sigwait(3), with both blocked. Threads that started before both were blocked (a
/// library's thread pool, started when it loads) would otherwise take them with the default
/// action, ending the process: their handler only forwards the signal to this thread with
/// pthread_kill(3), which is async-signal-safe, and does nothing else. Wraps sigaction(2).
/// Returns 0, or -1 with errno set.
int CBatchwiseShims_forward_stop_signals_to_self(void);

#endif
