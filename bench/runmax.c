/*
 * runmax.c: run one command and report what it cost, for bench/run.ts (Node cannot read a child's rusage).
 *   runmax REPORT_FILE STDIN_FILE COMMAND [ARG...]
 * Forks, points the child's stdin at STDIN_FILE ("-" keeps ours, /dev/null is fine), execs COMMAND without
 * a shell, waits with wait4 and writes one JSON line to REPORT_FILE ("-": stderr):
 *   {"wall":S,"status":N,"signal":N,"maxrss_kb":K,"tree_maxrss_kb":K,"user":S,"sys":S}
 * maxrss_kb is the child's own peak RSS as wait4 reports it; tree_maxrss_kb is getrusage(RUSAGE_CHILDREN)
 * afterwards: the largest peak RSS of any process in the child's tree that was waited for (gs, tiffinfo, ...).
 * It is a maximum over the members, not a sum of processes alive at the same time.
 * The child's stdout and stderr are passed through. Exit status: 0 when the report was written, 2 on usage
 * or fork trouble (the child's own exit status, 127 when exec failed, is in the report).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv(struct timeval t) { return (double)t.tv_sec + (double)t.tv_usec / 1e6; }

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: runmax REPORT_FILE STDIN_FILE COMMAND [ARG...]\n");
    return 2;
  }
  int report = 2;
  if (strcmp(argv[1], "-") != 0) {
    report = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (report < 0) {
      fprintf(stderr, "runmax: %s: %s\n", argv[1], strerror(errno));
      return 2;
    }
  }
  int in = -1;
  if (strcmp(argv[2], "-") != 0) {
    in = open(argv[2], O_RDONLY | O_CLOEXEC);
    if (in < 0) {
      fprintf(stderr, "runmax: %s: %s\n", argv[2], strerror(errno));
      return 2;
    }
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("runmax: fork");
    return 2;
  }
  if (pid == 0) {
    if (in >= 0 && dup2(in, 0) < 0) _exit(127);
    execvp(argv[3], argv + 3);
    fprintf(stderr, "runmax: %s: %s\n", argv[3], strerror(errno));
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      perror("runmax: wait4");
      return 2;
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  struct rusage all;
  getrusage(RUSAGE_CHILDREN, &all);
  double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  dprintf(report, "{\"wall\":%.6f,\"status\":%d,\"signal\":%d,\"maxrss_kb\":%ld,\"tree_maxrss_kb\":%ld,\"user\":%.6f,\"sys\":%.6f}\n", wall,
          WIFEXITED(status) ? WEXITSTATUS(status) : -1, WIFSIGNALED(status) ? WTERMSIG(status) : 0, ru.ru_maxrss, all.ru_maxrss,
          tv(all.ru_utime), tv(all.ru_stime));
  return 0;
}
