#!/usr/bin/env bash
# HTTPS benchmark: fetch beside curl against loopback TLS servers (bench/server.py
# --tls for the bodies, openssl s_server for the small GET; a CA and certificate
# made here by openssl), and for the small GET beside bench/tlsref, a bare rustls
# + ring client: the least that stack can do. Prints medians and ratios (the runs
# interleaved: bench/interleave.py). About four minutes.
# Usage: bench/https.sh [PORT]     Needs: cargo, python3, curl; installs
# openssl and /usr/bin/time if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:-18443}
WORK=$(mktemp -d /tmp/fetch-https-bench.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

[ -c /dev/null ] || { echo "/dev/null is not a character device; fix it first" >&2; exit 1; }
missing=()
[ -x /usr/bin/time ] || missing+=(time)
command -v openssl >/dev/null || missing+=(openssl)
if [ ${#missing[@]} -gt 0 ]; then
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

F=$(.ci/dist | tail -n 1) # the binary the benchmarks measure
# The bare rustls + ring client, built as .ci/dist builds fetch (static on
# x86_64 Linux).
HOST=$(rustc -vV | sed -n 's/^host: //p')
[ "$HOST" = x86_64-unknown-linux-gnu ] && export RUSTFLAGS="-C target-feature=+crt-static"
cargo build --release --locked -q --manifest-path bench/tlsref/Cargo.toml --target-dir target/tlsref --target "$HOST"
unset RUSTFLAGS
REF=$PWD/target/tlsref/$HOST/release/tlsref

# A CA, and a certificate for bench.test signed by it (ECDSA P-256, as is common).
cd "$WORK"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=fetch bench CA" -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=bench.test" \
    -keyout leaf.key -out leaf.csr 2>/dev/null
printf 'subjectAltName=DNS:bench.test\nbasicConstraints=CA:FALSE\n' > ext
openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile ext -out leaf.pem 2>/dev/null
mkdir data
head -c 1048576 /dev/urandom > data/1m
for _ in $(seq 1024); do cat data/1m; done > data/1g
cd - >/dev/null

python3 bench/server.py "$PORT" "$WORK/data" --tls "$WORK/leaf.pem" "$WORK/leaf.key" & SERVER_PID=$!
# For the small GET, openssl's own server in C (the Python one's per-connection
# work would dominate): -HTTP serves a file that holds the whole response.
printf 'HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nsmall\n' > "$WORK/small.http"
(cd "$WORK" && exec openssl s_server -HTTP -quiet -accept $((PORT + 1)) -cert leaf.pem \
    -key leaf.key -naccept 100000 >/dev/null 2>&1) & OPENSSL_PID=$!
trap 'kill $OPENSSL_PID 2>/dev/null || true; cleanup' EXIT
PIN="bench.test:$PORT:127.0.0.1"
URL="https://bench.test:$PORT"
FETCH="$F --cacert $WORK/ca.pem --resolve $PIN $URL"
CURL="curl -s --cacert $WORK/ca.pem --resolve $PIN $URL"
for _ in $(seq 50); do $CURL/small >/dev/null 2>&1 && break; sleep 0.1; done

echo "== exact bytes"
want=$(sha256sum < "$WORK/data/1m" | cut -d' ' -f1)
for client in "$FETCH" "$CURL"; do
    got=$(timeout 30 $client/data/1m | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || { echo "different bytes from: $client"; exit 1; }
done
size=$(timeout 120 $FETCH/data/1g | wc -c)
[ "$size" = 1073741824 ] || { echo "fetch returned $size bytes of 1 GiB"; exit 1; }

run() { # NAME, interleave.py args... (hyperfine's, interleaved: see the script)
    local name=$1; shift
    timeout 900 python3 bench/interleave.py --export-json "$WORK/$name.json" "$@"
}
echo "== small HTTPS response"
SMALL_PIN="bench.test:$((PORT + 1)):127.0.0.1"
SMALL_URL="https://bench.test:$((PORT + 1))/small.http"
$REF "$WORK/ca.pem" bench.test "127.0.0.1:$((PORT + 1))" /small.http | grep -qx small ||
    { echo "the bare client did not get the small response"; exit 1; }
run small -N --warmup 10 --runs 300 \
    -n fetch "$F --cacert $WORK/ca.pem --resolve $SMALL_PIN $SMALL_URL" \
    -n bare "$REF $WORK/ca.pem bench.test 127.0.0.1:$((PORT + 1)) /small.http" \
    -n curl "curl -s --cacert $WORK/ca.pem --resolve $SMALL_PIN $SMALL_URL" \
    -n /bin/true /bin/true
echo "== 1 GiB over HTTPS to /dev/null"
run big -N --warmup 1 --runs 5 -n fetch "$FETCH/data/1g" -n curl "$CURL/data/1g"
echo "== 1 GiB over HTTPS through a pipe"
run piped --warmup 1 --runs 5 -n fetch "$FETCH/data/1g | cat >/dev/null" -n curl "$CURL/data/1g | cat >/dev/null"
echo "== peak RSS"
: > "$WORK/rss"
for file in 1m 1g; do
    for name in fetch curl; do
        client=$FETCH; [ $name = curl ] && client=$CURL
        kib=$( { /usr/bin/time -f %M $client/data/$file >/dev/null; } 2>&1 | tail -1)
        echo "$name $file $kib" >> "$WORK/rss"
    done
done

# The code a fetch runs is laid out together (link/hot-text.ld); without it peak
# RSS rises by about 1 MiB, so say whether this build has it.
hot=$(readelf -SW "$F" | sed -n 's/.* \.text\.hot *PROGBITS *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p')
python3 - "$WORK" "$(stat -c %s "$F")" "${hot:-0}" <<'PY'
import json, sys
work, binary, hot = sys.argv[1], int(sys.argv[2]), int(sys.argv[3], 16)
def medians(name):
    return {r["command"]: r["median"] for r in json.load(open(f"{work}/{name}.json"))["results"]}
small, big, piped = (medians(n) for n in ("small", "big", "piped"))
gib_mb = 1073.741824
print("\n| measure | fetch | curl | target | result |")
print("|---|---|---|---|---|")
print(f"| small HTTPS GET, wall time (openssl s_server) | {small['fetch']*1000:.2f} ms | {small['curl']*1000:.2f} ms | ≤ 1.15 × the bare rustls client ({small['bare']*1000:.2f} ms; /bin/true: {small['/bin/true']*1000:.2f} ms) | {small['fetch']/small['bare']:.2f} × the bare client, {small['fetch']/small['curl']:.2f} × curl |")
for label, d in (("1 GiB over HTTPS to /dev/null", big), ("1 GiB over HTTPS through a pipe", piped)):
    f, c = gib_mb / d["fetch"], gib_mb / d["curl"]
    print(f"| {label} | {f:.0f} MB/s | {c:.0f} MB/s | ≥ 1.0 × curl | {f/c:.2f} × curl |")
rss = {}
for line in open(f"{work}/rss"):
    name, file, kib = line.split()
    rss[(name, file)] = int(kib)
cell = lambda n: f"{rss[(n,'1m')]} / {rss[(n,'1g')]} KiB"
worst = max(rss[("fetch", "1m")], rss[("fetch", "1g")])
print(f"| peak RSS, 1 MiB / 1 GiB body | {cell('fetch')} | {cell('curl')} | ≤ 3072 KiB, flat | {worst/3072:.2f} × 3 MiB |")
cpu = {r["command"]: r["user"] + r["system"] for r in json.load(open(f"{work}/big.json"))["results"]}
print(f"\nCPU for 1 GiB to /dev/null (user + system; the wall time is the server's): fetch "
      f"{cpu['fetch']*1000:.0f} ms, curl {cpu['curl']*1000:.0f} ms, {cpu['fetch']/cpu['curl']:.2f} × curl.")
print(f"\nThe bare rustls + ring client (bench/tlsref), small GET: {small['bare']*1000:.2f} ms, "
      f"{small['bare']/small['curl']:.2f} × curl; fetch takes {small['fetch']/small['bare']:.2f} × its time.")
print(f"\nRelease binary: {binary} bytes ({binary/1024/1024:.2f} MiB)", end="; ")
print(f"hot code laid out together: {hot} bytes" if hot else "NO hot-code section (link/hot-text.ld not applied)")
PY
