#include "CBatchwiseShims.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
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

static pthread_t stop_signal_thread;

static void forward_stop_signal(int signo) {
    int saved = errno;
    pthread_kill(stop_signal_thread, signo);
    errno = saved;
}

int CBatchwiseShims_forward_stop_signals_to_self(void) {
    stop_signal_thread = pthread_self();
    struct sigaction action = {0};
    action.sa_handler = forward_stop_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    if (sigaction(SIGINT, &action, NULL) != 0) return -1;
    return sigaction(SIGTERM, &action, NULL);
}
