#include "CBatchwiseShims.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

int CBatchwiseShims_sched_getcpu(void) { return sched_getcpu(); }

int64_t CBatchwiseShims_gettid(void) { return (int64_t)syscall(SYS_gettid); }

int CBatchwiseShims_futex_wait(uint32_t *word, uint32_t expected) {
    long r = syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
    return (r == -1 && errno != EAGAIN && errno != EINTR) ? errno : 0;
}

int CBatchwiseShims_futex_wake(uint32_t *word, int count) {
    return (int)syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

void CBatchwiseShims_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}
