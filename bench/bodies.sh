#!/usr/bin/env bash
# Benchmarks the bodies that pass through fetch rather than the socket: a gzip
# response decoded with --compressed, and a 50 MiB upload with -d @FILE and -F,
# side by side with curl, against bench/server.py on loopback. curl gets
# `-H Expect:`: else it waits 1 s for a 100 Continue the server never sends.
# The runs are interleaved (bench/interleave.py).
# Usage: bench/bodies.sh [PORT]     Needs: cargo, python3, curl, gzip.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:-18097}
WORK=$(mktemp -d /tmp/fetch-bodies.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

F=$(.ci/dist | tail -n 1) # the binary the benchmarks measure

# 1 GiB of text (this repository's sources, repeated), gzipped; 50 MiB of random bytes.
mkdir "$WORK/data"
cat src/*.rs src/*/*.rs README.md > "$WORK/text"
while [ "$(stat -c %s "$WORK/text")" -lt 1073741824 ]; do cat "$WORK/text" "$WORK/text" > "$WORK/t2"; mv "$WORK/t2" "$WORK/text"; done
head -c 1073741824 "$WORK/text" | gzip -6 > "$WORK/data/text.gz"
head -c 52428800 /dev/urandom > "$WORK/up"

python3 bench/server.py "$PORT" "$WORK/data" & SERVER_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/small" && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT

echo "== exact bytes"
want=$(head -c 1073741824 "$WORK/text" | sha256sum | cut -d' ' -f1)
for cmd in "$F --compressed 127.0.0.1:$PORT /data/text.gz" "curl -s --compressed $URL/data/text.gz"; do
    got=$($cmd | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || { echo "$cmd: different bytes"; exit 1; }
done
echo ok

python3 bench/interleave.py --warmup 1 --runs 5 --export-json "$WORK/gz.json" \
    -n fetch "$F --compressed -o /dev/null 127.0.0.1:$PORT /data/text.gz" \
    -n curl "curl -s --compressed -o /dev/null $URL/data/text.gz"
python3 bench/interleave.py -N --warmup 2 --runs 20 --export-json "$WORK/up.json" \
    -n "fetch -d" "$F -s -o /dev/null -d @$WORK/up 127.0.0.1:$PORT /up" \
    -n "curl --data-binary" "curl -s -o /dev/null -H Expect: --data-binary @$WORK/up $URL/up" \
    -n "fetch -F" "$F -s -o /dev/null -F f=@$WORK/up 127.0.0.1:$PORT /up" \
    -n "curl -F" "curl -s -o /dev/null -H Expect: -F f=@$WORK/up $URL/up"

rss() { { /usr/bin/time -f %M "$@" >/dev/null; } 2>&1 | tail -1; }
{
    echo "fetch-gz $(rss $F --compressed -o /dev/null 127.0.0.1:$PORT /data/text.gz)"
    echo "curl-gz $(rss curl -s --compressed -o /dev/null $URL/data/text.gz)"
    echo "fetch-d $(rss $F -s -o /dev/null -d @$WORK/up 127.0.0.1:$PORT /up)"
    echo "curl-d $(rss curl -s -o /dev/null --data-binary @$WORK/up $URL/up)"
    echo "fetch-F $(rss $F -s -o /dev/null -F f=@$WORK/up 127.0.0.1:$PORT /up)"
    echo "curl-F $(rss curl -s -o /dev/null -F f=@$WORK/up $URL/up)"
} > "$WORK/rss"

python3 - "$WORK" "$(stat -c %s "$WORK/data/text.gz")" <<'PY'
import json, sys
work, gz = sys.argv[1], int(sys.argv[2])
med = lambda n: {r["command"]: r["median"] for r in json.load(open(f"{work}/{n}.json"))["results"]}
rss = dict(line.split() for line in open(f"{work}/rss"))
g, u = med("gz"), med("up")
print(f"\n1 GiB of text as {gz} bytes of gzip, decoded to /dev/null; a 50 MiB upload.")
print("\n| measure | fetch | curl | fetch / curl |")
print("|---|---|---|---|")
mbs = lambda t: 1073.741824 / t
print(f"| --compressed, 1 GiB decoded | {mbs(g['fetch']):.0f} MB/s | {mbs(g['curl']):.0f} MB/s | {g['curl']/g['fetch']:.2f} × the speed |")
print(f"| --compressed, peak RSS | {rss['fetch-gz']} KiB | {rss['curl-gz']} KiB | {int(rss['fetch-gz'])/int(rss['curl-gz']):.2f} |")
for flag, curl in (("-d", "--data-binary"), ("-F", "-F")):
    f, c = u[f"fetch {flag}"], u[f"curl {curl}"]
    print(f"| 50 MiB `{flag} @FILE` ({curl} for curl), wall time | {f*1000:.1f} ms | {c*1000:.1f} ms | {f/c:.2f} |")
    print(f"| 50 MiB `{flag} @FILE`, peak RSS | {rss['fetch' + flag]} KiB | {rss['curl' + flag]} KiB | {int(rss['fetch' + flag])/int(rss['curl' + flag]):.2f} |")
PY
