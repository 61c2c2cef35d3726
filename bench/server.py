#!/usr/bin/env python3
"""Loopback HTTP/1.0 server for the benchmark: fast enough not to be the bottleneck.

GET /small  -> a ~170-byte response
GET /data/NAME -> file NAME of the data directory (argv[2]), sent with sendfile(2)

Each accepted socket gets TCP congestion control cubic (or reno): with this
machine's default, bbr, loopback is capped near 2.7 GB/s for every client.
"""
import os
import socket
import sys
import threading

PORT = int(sys.argv[1])
DATA = sys.argv[2]
SMALL_BODY = b"fetch benchmark: a small response body of about one hundred bytes.\n" * 1
SMALL = (
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(SMALL_BODY)
    + SMALL_BODY
)


def congestion(sock):
    for algorithm in (b"cubic", b"reno"):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, algorithm)
            return
        except OSError:
            pass


def handle(conn):
    try:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        path = request.split(b" ", 2)[1]
        if path == b"/small":
            conn.sendall(SMALL)
        elif path.startswith(b"/data/") and b"/" not in path[6:]:
            with open(os.path.join(DATA, path[6:].decode()), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
                conn.sendfile(f)
        else:
            conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        conn.close()


def main():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    congestion(listener)
    listener.bind(("127.0.0.1", PORT))
    listener.listen(128)
    while True:
        conn, _ = listener.accept()
        congestion(conn)
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


main()
