/* The NIF behind bench/beam/dirty_nif.erl: one no-op and one busy-wait body, each registered as a plain NIF
 * (runs on the calling normal scheduler) and as a dirty CPU-bound NIF (the calling process migrates to a dirty
 * CPU scheduler and back), so the difference between the two is the cost of the hand-off alone.
 * After shared/bench-beam/c_src/dirtynif.c (experiment 5), the project's own measurement script. */
#include <erl_nif.h>
#include <time.h>

static ERL_NIF_TERM atom_ok;

static int load(ErlNifEnv *env, void **priv, ERL_NIF_TERM info) {
    (void)priv;
    (void)info;
    atom_ok = enif_make_atom(env, "ok");
    return 0;
}

static ERL_NIF_TERM noop(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    (void)env;
    (void)argc;
    (void)argv;
    return atom_ok;
}

static long elapsed_ns(const struct timespec *from, const struct timespec *to) {
    return (to->tv_sec - from->tv_sec) * 1000000000L + (to->tv_nsec - from->tv_nsec);
}

/* Busy work: polls CLOCK_MONOTONIC until argv[0] nanoseconds have passed. */
static ERL_NIF_TERM spin(ErlNifEnv *env, int argc, const ERL_NIF_TERM argv[]) {
    long ns;
    struct timespec start, now;
    (void)argc;
    if (!enif_get_long(env, argv[0], &ns)) return enif_make_badarg(env);
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (elapsed_ns(&start, &now) < ns);
    return atom_ok;
}

static ErlNifFunc funcs[] = {
    {"plain_noop", 0, noop, 0},
    {"dirty_cpu_noop", 0, noop, ERL_NIF_DIRTY_JOB_CPU_BOUND},
    {"plain_spin", 1, spin, 0},
    {"dirty_cpu_spin", 1, spin, ERL_NIF_DIRTY_JOB_CPU_BOUND},
};

ERL_NIF_INIT(dirty_nif, funcs, load, NULL, NULL, NULL)
