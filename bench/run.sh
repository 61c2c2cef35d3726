#!/usr/bin/env bash
# Benchmarks fetch side by side with curl, wget and a bare C client (the physical
# limit) against a loopback server this script starts, and prints medians and ratios
# (the runs interleaved: bench/interleave.py).
# Usage: bench/run.sh [PORT]     Needs: cargo, gcc, python3, curl, wget; installs
# /usr/bin/time if missing. Takes about two minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:-18099}
WORK=$(mktemp -d /tmp/fetch-bench.XXXXXX)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# A /dev/null that is not the null device (a regular file left by some accident)
# would make "to /dev/null" measure file writes.
[ -c /dev/null ] || { echo "/dev/null is not a character device; fix it first" >&2; exit 1; }
[ -x /usr/bin/time ] || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

F=$(.ci/dist | tail -n 1) # the binary the benchmarks measure
REF=$WORK/refclient
gcc -O2 -o "$REF" bench/refclient.c

# Data: 1 MiB of random bytes, and 1 GiB made of that block repeated.
mkdir "$WORK/data"
head -c 1048576 /dev/urandom > "$WORK/data/1m"
for _ in $(seq 1024); do cat "$WORK/data/1m"; done > "$WORK/data/1g"

python3 bench/server.py "$PORT" "$WORK/data" & SERVER_PID=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PORT/small" && break; sleep 0.1; done

URL=http://127.0.0.1:$PORT
declare -A CLIENT=(
    [fetch]="$F 127.0.0.1:$PORT"
    [curl]="curl -s $URL"
    [wget]="wget -q -O - $URL"
    [reference]="$REF 127.0.0.1 $PORT"
)
NAMES=(fetch reference curl wget)
# CLIENT[x] is a command prefix; the path goes after it (curl and wget take it glued to the URL).
cmd() { case $1 in curl|wget) echo "${CLIENT[$1]}$2" ;; *) echo "${CLIENT[$1]} $2" ;; esac; }

echo "== exact bytes"
want=$(sha256sum < "$WORK/data/1m" | cut -d' ' -f1)
for name in "${NAMES[@]}"; do
    got=$(timeout 30 $(cmd "$name" /data/1m) | sha256sum | cut -d' ' -f1)
    [ "$got" = "$want" ] || { echo "$name returned different bytes"; exit 1; }
    echo "$name: ok"
done
size=$(timeout 60 $F 127.0.0.1:$PORT /data/1g | wc -c)
[ "$size" = 1073741824 ] || { echo "fetch returned $size bytes of 1 GiB"; exit 1; }

run() { # NAME, interleave.py args... (hyperfine's, interleaved: see the script)
    local name=$1; shift
    timeout 600 python3 bench/interleave.py --export-json "$WORK/$name.json" "$@"
}
small=(); big=(); piped=()
for name in "${NAMES[@]}"; do
    small+=(-n "$name" "$(cmd "$name" /small)")
    big+=(-n "$name" "$(cmd "$name" /data/1g)")
    piped+=(-n "$name" "$(cmd "$name" /data/1g) | cat >/dev/null")
done
echo "== small response"
run small -N --warmup 20 --runs 300 "${small[@]}" -n /bin/true /bin/true
echo "== 1 GiB to /dev/null"
run big -N --warmup 1 --runs 10 "${big[@]}"
echo "== 1 GiB through a pipe"
run piped --warmup 1 --runs 10 "${piped[@]}"
echo "== start-up"
run startup -N --warmup 20 --runs 500 -n "fetch --version" "$F --version" -n /bin/true /bin/true

echo "== peak RSS"
: > "$WORK/rss"
for name in "${NAMES[@]}"; do
    for file in 1m 1g; do
        kib=$( { /usr/bin/time -f %M $(cmd "$name" /data/$file) >/dev/null; } 2>&1 | tail -1)
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
small, big, piped, start = (medians(n) for n in ("small", "big", "piped", "startup"))
gib_mb = 1073.741824  # MB in a GiB
print("\n| measure | fetch | reference | curl | wget | target | result |")
print("|---|---|---|---|---|---|---|")
ms = lambda d, k: f"{d[k]*1000:.2f} ms"
r = small["fetch"] / small["reference"]
print(f"| small response, wall time | {ms(small,'fetch')} | {ms(small,'reference')} | {ms(small,'curl')} | {ms(small,'wget')} | ≤ 1.15 × reference (/bin/true: {ms(small,'/bin/true')}) | {r:.2f} × reference, curl/fetch {small['curl']/small['fetch']:.1f} × |")
rate = lambda d, k: gib_mb / d[k]
r = rate(big, "fetch") / rate(big, "reference")
print(f"| 1 GiB to /dev/null | {rate(big,'fetch'):.0f} MB/s | {rate(big,'reference'):.0f} MB/s | {rate(big,'curl'):.0f} MB/s | {rate(big,'wget'):.0f} MB/s | ≥ 0.95 × reference | {r:.2f} × reference |")
r = rate(piped, "fetch") / rate(piped, "curl")
print(f"| 1 GiB through a pipe | {rate(piped,'fetch'):.0f} MB/s | {rate(piped,'reference'):.0f} MB/s | {rate(piped,'curl'):.0f} MB/s | {rate(piped,'wget'):.0f} MB/s | ≥ 1.3 × curl | {r:.2f} × curl |")
rss = {}
for line in open(f"{work}/rss"):
    name, file, kib = line.split()
    rss[(name, file)] = int(kib)
cell = lambda n: f"{rss[(n,'1m')]} / {rss[(n,'1g')]} KiB"
worst = max(rss[("fetch", "1m")], rss[("fetch", "1g")])
print(f"| peak RSS, 1 MiB / 1 GiB body | {cell('fetch')} | {cell('reference')} | {cell('curl')} | {cell('wget')} | ≤ 2048 KiB, flat | {worst / 2048:.2f} × 2 MiB |")
r = start["fetch --version"] / start["/bin/true"]
print(f"| `fetch --version` start-up | {ms(start,'fetch --version')} | | | | ≤ 1.2 × /bin/true ({ms(start,'/bin/true')}) | {r:.2f} × /bin/true |")
print(f"\nRelease binary: {binary} bytes ({binary/1024/1024:.2f} MiB)", end="; ")
print(f"hot code laid out together: {hot} bytes" if hot else "NO hot-code section (link/hot-text.ld not applied)")
PY
