/* A native client for timing `posthook serve` (see cost.py --serve): the time of one hook request
 * on a new connection, as Claude Code's http hook pays it, without an interpreter's own cost.
 *
 *   serve_client HOST PORT TOKEN BODY_FILE [PROJECT_DIR]
 *
 * For each line on stdin it connects, sends BODY_FILE as `POST /hook`, reads the whole answer,
 * closes, and prints the nanoseconds from before connect to after the last byte; it exits 1 on
 * anything but a 200 answer. PROJECT_DIR goes in the header `install --http` has the client send
 * (X-Posthook-Project-Dir). Build: cc -O2 -o serve_client serve_client.c */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  perror(what);
  exit(1);
}

int main(int argc, char **argv) {
  if (argc != 5 && argc != 6) {
    fprintf(stderr, "usage: serve_client HOST PORT TOKEN BODY_FILE [PROJECT_DIR]\n");
    return 2;
  }
  FILE *f = fopen(argv[4], "rb");
  if (!f) die("body");
  static char body[64 << 20];
  size_t n = fread(body, 1, sizeof body, f);
  fclose(f);
  static char req[(64 << 20) + 1024];
  char project[600] = "";
  if (argc == 6) snprintf(project, sizeof project, "X-Posthook-Project-Dir: %s\r\n", argv[5]);
  int head = snprintf(req, 1024,
                      "POST /hook HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n%s"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      argv[1], argv[3], project, n);
  memcpy(req + head, body, n);
  size_t len = (size_t)head + n;
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) die("host");
  static char reply[1 << 16];
  char line[16];
  while (fgets(line, sizeof line, stdin)) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&addr, sizeof addr) < 0) die("connect");
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (size_t sent = 0; sent < len;) {
      ssize_t w = write(s, req + sent, len - sent);
      if (w <= 0) die("write");
      sent += (size_t)w;
    }
    size_t got = 0;
    for (ssize_t r; (r = read(s, reply + got, sizeof reply - 1 - got)) > 0;) {
      got += (size_t)r;
      if (got == sizeof reply - 1) got = 16; /* keep the status line; the rest is drained */
    }
    close(s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (got < 12 || memcmp(reply, "HTTP/1.1 200", 12) != 0) {
      fprintf(stderr, "serve_client: answer %.40s\n", reply);
      return 1;
    }
    printf("%lld\n", (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
    fflush(stdout);
  }
  return 0;
}
