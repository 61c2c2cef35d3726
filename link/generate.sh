#!/usr/bin/env bash
# Regenerates link/hot-text.ld: runs fetch under valgrind (callgrind) against
# loopback servers, plain and TLS, and lists the functions it executed, those of
# a plain fetch together. Run it when the code a fetch runs has changed much (a new
# dependency, a new phase); a stale list costs memory, never correctness.
# Usage: link/generate.sh [PORT]     Needs: cargo, gcc and nm (binutils), python3,
# openssl; installs valgrind.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${1:-18199}
WORK=$(mktemp -d /tmp/fetch-hot-text.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }

# Built as .ci/dist builds it (static), but with symbols kept, so that callgrind
# can name what ran; the layout does not matter.
CARGO_PROFILE_RELEASE_STRIP=false CARGO_TARGET_DIR=target/hot-text \
    RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked -q --target x86_64-unknown-linux-gnu
F=$PWD/target/hot-text/x86_64-unknown-linux-gnu/release/fetch

mkdir "$WORK/data"
head -c 1048576 /dev/urandom > "$WORK/data/1m"
(cd "$WORK" &&
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=hot-text CA" -keyout ca.key -out ca.pem &&
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=hot.test" \
        -keyout leaf.key -out leaf.csr &&
    printf 'subjectAltName=DNS:hot.test\nbasicConstraints=CA:FALSE\n' > ext &&
    openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
        -extfile ext -out leaf.pem) 2>/dev/null
python3 bench/server.py "$PORT" "$WORK/data" & PIDS+=($!)
python3 bench/server.py $((PORT + 1)) "$WORK/data" --tls "$WORK/leaf.pem" "$WORK/leaf.key" & PIDS+=($!)
for _ in $(seq 50); do "$F" -s "127.0.0.1:$PORT" /small >/dev/null 2>&1 && break; sleep 0.1; done

profile() { # NAME, fetch arguments...
    local name=$1; shift
    valgrind --tool=callgrind --demangle=no --callgrind-out-file="$WORK/$name.out" \
        "$F" "$@" 2>/dev/null
}
profile plain "127.0.0.1:$PORT" /data/1m >/dev/null
profile pipe "127.0.0.1:$PORT" /data/1m | cat >/dev/null
profile file -o "$WORK/out" "127.0.0.1:$PORT" /data/1m
profile https --cacert "$WORK/ca.pem" --resolve "hot.test:$((PORT + 1)):127.0.0.1" \
    "https://hot.test:$((PORT + 1))/data/1m" >/dev/null

archives="$(gcc -print-file-name=libc.a)"
for libm in "$(dirname "$archives")"/libm-*.a; do [ -f "$libm" ] && archives+=",$libm"; done
python3 link/hot_text.py "$archives" "$WORK"/{plain,pipe,file,https}.out > link/hot-text.ld
echo "link/hot-text.ld: $(grep -c '^    \*' link/hot-text.ld) patterns"
