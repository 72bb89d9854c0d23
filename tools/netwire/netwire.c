/*
 * netwire.c: a network link with loss, delay and jitter between two network namespaces, for faxmail's
 * SIP trunk tests (test/helpers/sip-bed.ts).
 *
 * Why: the tests join faxmail's Asterisk and "the carrier" (a second Asterisk) by a SIP trunk and need
 * the trunk to lose packets and to jitter the way a real line does. The usual tool, `tc qdisc ... netem`,
 * needs the sch_netem kernel module, which many VM and CI kernels do not have (this project's CI machine
 * among them: CONFIG_NET_SCH_NETEM is not set). This program does netem's job in user space with a TUN
 * device at each end, which every Linux kernel with CONFIG_TUN has.
 *
 * What: `netwire NSA IFA NSB IFB` creates the TUN device IFA inside network namespace NSA and IFB inside
 * NSB (a namespace is a name under /run/netns, as `ip netns add` makes it, or a path), prints "ready" on
 * stdout, and then copies every IP packet that one side sends to the other. The caller gives the devices
 * their addresses (`ip -n NSA addr add 10.0.0.1 peer 10.0.0.2 dev IFA`, and the mirror image).
 * Each packet, in each direction, independently:
 *   - is dropped with probability LOSS percent (Bernoulli, like netem's `loss random`);
 *   - otherwise is delivered DELAY ms later, plus or minus up to JITTER ms (uniform, like netem's
 *     `delay D J`), but never before the packet sent before it in the same direction: a real line
 *     queues packets and does not reorder them (netem reorders unless told otherwise; see the README of
 *     bench/ for why in-order is the fair model here).
 * The random numbers come from a seeded generator (--seed), so a run can be repeated.
 *
 * Control: lines on stdin change the link while it runs, and ask for counts:
 *   loss PCT | delay MS | jitter MS     set one parameter (applies to packets read from then on)
 *   stats                               print "stats a2b_in a2b_drop a2b_out b2a_in b2a_drop b2a_out"
 * End of stdin, SIGTERM or SIGINT: print the stats line and exit 0. The program also dies with its parent
 * (PR_SET_PDEATHSIG), and the TUN devices vanish with it, so a crashed test leaves no link behind.
 *
 * Exit status: 0 after a clean end; 64 bad usage; 71 cannot enter a namespace or create a device (not
 * root, no /dev/net/tun); 70 an I/O error on a device.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#define MAX_PACKET 65536
#define QUEUE_LEN 8192 /* packets in flight per direction; more are dropped (a full line) */

struct packet {
    int64_t due_us;
    size_t len;
    unsigned char *data;
};

struct direction {
    int from, to;
    struct packet q[QUEUE_LEN];
    size_t head, count;
    int64_t last_due_us;
    unsigned long in, dropped, out;
};

static double loss_pct = 0, delay_ms = 0, jitter_ms = 0;
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static volatile sig_atomic_t stop = 0;

static void on_signal(int sig) {
    (void)sig;
    stop = 1;
}

/* xorshift64*: small, fast, good enough for loss and jitter draws. */
static uint64_t rng_next(void) {
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

/* uniform in [0, 1) */
static double rng_unit(void) {
    return (double)(rng_next() >> 11) / (double)(1ULL << 53);
}

static int64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void usage(void) {
    fprintf(stderr, "usage: netwire [--loss PCT] [--delay MS] [--jitter MS] [--seed N] NSA IFA NSB IFB\n");
    exit(64);
}

/* Enter namespace `ns` (a name under /run/netns, or a path) and create TUN device `name` there. */
static int open_tun_in(const char *ns, const char *name) {
    char path[4096];
    if (strchr(ns, '/')) snprintf(path, sizeof path, "%s", ns);
    else snprintf(path, sizeof path, "/run/netns/%s", ns);
    int nsfd = open(path, O_RDONLY | O_CLOEXEC);
    if (nsfd < 0) {
        fprintf(stderr, "netwire: cannot open namespace %s: %s\n", path, strerror(errno));
        exit(71);
    }
    if (setns(nsfd, CLONE_NEWNET) != 0) {
        fprintf(stderr, "netwire: cannot enter namespace %s: %s\n", path, strerror(errno));
        exit(71);
    }
    close(nsfd);
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        fprintf(stderr, "netwire: cannot open /dev/net/tun: %s\n", strerror(errno));
        exit(71);
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    if (strlen(name) >= IFNAMSIZ) {
        fprintf(stderr, "netwire: device name too long: %s\n", name);
        exit(64);
    }
    strcpy(ifr.ifr_name, name);
    if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
        fprintf(stderr, "netwire: cannot create %s in %s: %s\n", name, path, strerror(errno));
        exit(71);
    }
    return fd;
}

static void print_stats(const struct direction *ab, const struct direction *ba) {
    printf("stats %lu %lu %lu %lu %lu %lu\n", ab->in, ab->dropped, ab->out, ba->in, ba->dropped, ba->out);
    fflush(stdout);
}

/* Read every packet waiting on d->from; drop or queue each. */
static void take(struct direction *d) {
    unsigned char buf[MAX_PACKET];
    for (;;) {
        ssize_t n = read(d->from, buf, sizeof buf);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) return;
            fprintf(stderr, "netwire: read: %s\n", strerror(errno));
            exit(70);
        }
        if (n == 0) return;
        d->in++;
        if (loss_pct > 0 && rng_unit() * 100.0 < loss_pct) {
            d->dropped++;
            continue;
        }
        if (d->count == QUEUE_LEN) {
            d->dropped++;
            continue;
        }
        double extra = delay_ms + (jitter_ms > 0 ? (rng_unit() * 2.0 - 1.0) * jitter_ms : 0);
        if (extra < 0) extra = 0;
        int64_t due = now_us() + (int64_t)(extra * 1000.0);
        if (due < d->last_due_us) due = d->last_due_us; /* in order */
        d->last_due_us = due;
        struct packet *p = &d->q[(d->head + d->count) % QUEUE_LEN];
        p->data = malloc((size_t)n);
        if (!p->data) {
            d->dropped++;
            continue;
        }
        memcpy(p->data, buf, (size_t)n);
        p->len = (size_t)n;
        p->due_us = due;
        d->count++;
    }
}

/* Deliver the queued packets that are due; return ms until the next one (-1: none queued). */
static int deliver(struct direction *d) {
    int64_t now = now_us();
    while (d->count > 0) {
        struct packet *p = &d->q[d->head];
        if (p->due_us > now) {
            int64_t wait = (p->due_us - now + 999) / 1000;
            return wait > 1000 ? 1000 : (int)wait;
        }
        ssize_t n = write(d->to, p->data, p->len);
        if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
            fprintf(stderr, "netwire: write: %s\n", strerror(errno));
            exit(70);
        }
        /* EIO: the device is down (not configured yet, or being removed): the packet is lost. */
        if (n == (ssize_t)p->len) d->out++;
        else d->dropped++;
        free(p->data);
        d->head = (d->head + 1) % QUEUE_LEN;
        d->count--;
    }
    return -1;
}

/* One control line from stdin. */
static void control(char *line, const struct direction *ab, const struct direction *ba) {
    double v;
    if (sscanf(line, "loss %lf", &v) == 1) loss_pct = v;
    else if (sscanf(line, "delay %lf", &v) == 1) delay_ms = v;
    else if (sscanf(line, "jitter %lf", &v) == 1) jitter_ms = v;
    else if (strncmp(line, "stats", 5) == 0) print_stats(ab, ba);
    else if (line[0] != '\n' && line[0] != 0) fprintf(stderr, "netwire: unknown command: %s", line);
}

int main(int argc, char **argv) {
    const char *pos[4];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--loss") && i + 1 < argc) loss_pct = atof(argv[++i]);
        else if (!strcmp(argv[i], "--delay") && i + 1 < argc) delay_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--jitter") && i + 1 < argc) jitter_ms = atof(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) rng_state = strtoull(argv[++i], NULL, 10) * 0x9e3779b97f4a7c15ULL + 1;
        else if (argv[i][0] == '-') usage();
        else if (npos < 4) pos[npos++] = argv[i];
        else usage();
    }
    if (npos != 4 || loss_pct < 0 || loss_pct > 100 || delay_ms < 0 || jitter_ms < 0) usage();

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) return 0; /* the parent is already gone */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    static struct direction ab, ba;
    int fa = open_tun_in(pos[0], pos[1]);
    int fb = open_tun_in(pos[2], pos[3]);
    ab.from = fa;
    ab.to = fb;
    ba.from = fb;
    ba.to = fa;
    printf("ready\n");
    fflush(stdout);

    char line[256];
    size_t line_len = 0;
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    while (!stop) {
        int wa = deliver(&ab), wb = deliver(&ba);
        int timeout = wa < 0 ? wb : wb < 0 ? wa : (wa < wb ? wa : wb);
        if (timeout < 0) timeout = 1000;
        struct pollfd fds[3] = {{fa, POLLIN, 0}, {fb, POLLIN, 0}, {0, POLLIN, 0}};
        int r = poll(fds, 3, timeout);
        if (r < 0) {
            if (errno == EINTR) continue;
            fprintf(stderr, "netwire: poll: %s\n", strerror(errno));
            return 70;
        }
        if (fds[0].revents & POLLIN) take(&ab);
        if (fds[1].revents & POLLIN) take(&ba);
        if (fds[2].revents & (POLLIN | POLLHUP)) {
            ssize_t n = read(0, line + line_len, sizeof line - 1 - line_len);
            if (n == 0) break; /* stdin closed: the test is done with us */
            if (n > 0) {
                line_len += (size_t)n;
                line[line_len] = 0;
                char *nl;
                while ((nl = strchr(line, '\n'))) {
                    char one[256];
                    size_t k = (size_t)(nl - line) + 1;
                    memcpy(one, line, k);
                    one[k] = 0;
                    control(one, &ab, &ba);
                    memmove(line, line + k, line_len - k + 1);
                    line_len -= k;
                }
                if (line_len == sizeof line - 1) line_len = 0; /* an endless line: forget it */
            }
        }
    }
    print_stats(&ab, &ba);
    return 0;
}
