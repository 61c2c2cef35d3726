#!/usr/bin/env python3
"""Loopback HTTP/1.0 server for the benchmark: fast enough not to be the bottleneck.

GET /small  -> a ~170-byte response
GET /data/NAME -> file NAME of the data directory (argv[2]), sent with sendfile(2);
                  NAME.gz with Content-Encoding: gzip
POST (any path) -> the body is read and dropped; the small response

With `--tls CERT KEY` after the two arguments it speaks TLS (Python's ssl, that is
OpenSSL): files then go in 1 MiB writes, since sendfile cannot encrypt, and each
response ends with close_notify.

Each accepted socket gets TCP congestion control cubic (or reno): with this
machine's default, bbr, loopback is capped near 2.7 GB/s for every client.
"""
import os
import socket
import sys
import threading

PORT = int(sys.argv[1])
DATA = sys.argv[2]
TLS = None
if sys.argv[3:4] == ["--tls"]:
    import ssl

    TLS = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    TLS.load_cert_chain(sys.argv[4], sys.argv[5])
    TLS.set_alpn_protocols(["http/1.1"])
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
        method, path = request.split(b" ", 2)[:2]
        if method == b"POST":
            head, _, body = request.partition(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            left = length - len(body)
            while left > 0:
                chunk = conn.recv(min(left, 1 << 20))
                if not chunk:
                    return
                left -= len(chunk)
            conn.sendall(SMALL)
        elif path == b"/small":
            conn.sendall(SMALL)
        elif path.startswith(b"/data/") and b"/" not in path[6:]:
            with open(os.path.join(DATA, path[6:].decode()), "rb") as f:
                size = os.fstat(f.fileno()).st_size
                coding = b"Content-Encoding: gzip\r\n" if path.endswith(b".gz") else b""
                conn.sendall(b"HTTP/1.0 200 OK\r\n%sContent-Length: %d\r\n\r\n" % (coding, size))
                if TLS is None:
                    conn.sendfile(f)
                else:
                    while block := f.read(1 << 20):
                        conn.sendall(block)
        else:
            conn.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    except OSError:
        pass
    finally:
        if TLS is not None:
            try:
                conn.unwrap()  # close_notify
            except (OSError, ValueError):
                pass
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
        # TLS writes several small records (session tickets, then the response):
        # with Nagle each waits for the client's delayed ACK.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def serve(conn):
    if TLS is not None:
        try:
            conn = TLS.wrap_socket(conn, server_side=True)
        except (OSError, ValueError):
            conn.close()
            return
    handle(conn)


main()
