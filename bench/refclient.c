#define _GNU_SOURCE /* memmem */
/* The physical limit: a bare HTTP/1.0 client that reads 64 KiB at a time and
 * writes the body to stdout, with no parsing beyond finding the blank line. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[65536];

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: refclient IP PORT PATH\n"); return 2; }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(atoi(argv[2])) };
    inet_pton(AF_INET, argv[1], &addr.sin_addr);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); return 7; }
    int n = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
    if (write(fd, buf, n) != n) return 55;
    int in_body = 0;
    ssize_t got;
    while ((got = read(fd, buf, sizeof buf)) > 0) {
        char *start = buf;
        if (!in_body) {
            char *end = memmem(buf, got, "\r\n\r\n", 4); /* the head fits in the first read here */
            if (!end) continue;
            start = end + 4;
            in_body = 1;
        }
        for (char *p = start; p < buf + got;) {
            ssize_t w = write(1, p, buf + got - p);
            if (w <= 0) return 23;
            p += w;
        }
    }
    return got < 0 ? 56 : 0;
}
