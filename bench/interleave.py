#!/usr/bin/env python3
"""Times commands side by side, interleaved: each round runs every command once,
the order rotating from round to round. hyperfine (1.15) runs all of one
command's runs before the next command's, so on a machine whose speed drifts
(this VM's /bin/true takes 0.9 to 1.7 ms from minute to minute) its ratios
measure the drift as much as the commands; interleaved, every command sees the
same drift, and each sits in each position equally often.

Usage, a subset of hyperfine's:
    interleave.py [-N] [--warmup W] [--runs R] --export-json FILE -n NAME CMD ...
Without -N a command runs through /bin/sh -c (and the shell's start is not
subtracted: use -N for short commands). stdin and stdout are /dev/null; a command
that fails stops the benchmark. The JSON has hyperfine's fields: command, mean,
median, stddev, min, max, user and system (means, seconds) and times."""

import argparse
import json
import os
import shlex
import statistics
import sys
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-N", dest="no_shell", action="store_true")
    p.add_argument("--warmup", type=int, default=0)
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--export-json", required=True)
    p.add_argument("-n", nargs=2, action="append", metavar=("NAME", "CMD"), required=True)
    return p.parse_args()


def spawn_and_wait(argv, file_actions):
    """Wall time, user and system seconds of one run; exits if the command failed."""
    start = time.perf_counter()
    pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=file_actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"interleave.py: {shlex.join(argv)} failed: {os.waitstatus_to_exitcode(status)}")
    return wall, usage.ru_utime, usage.ru_stime


def main():
    args = parse()
    names = [name for name, _ in args.n]
    argvs = [shlex.split(cmd) if args.no_shell else ["/bin/sh", "-c", cmd] for _, cmd in args.n]
    null_in, null_out = os.open("/dev/null", os.O_RDONLY), os.open("/dev/null", os.O_WRONLY)
    actions = [(os.POSIX_SPAWN_DUP2, null_in, 0), (os.POSIX_SPAWN_DUP2, null_out, 1)]
    runs = {name: [] for name in names}
    for round_ in range(args.warmup + args.runs):
        shift = round_ % len(names)
        for i in list(range(shift, len(names))) + list(range(shift)):
            measured = spawn_and_wait(argvs[i], actions)
            if round_ >= args.warmup:
                runs[names[i]].append(measured)
    results = []
    for name in names:
        walls = [w for w, _, _ in runs[name]]
        results.append({
            "command": name,
            "mean": statistics.mean(walls),
            "median": statistics.median(walls),
            "stddev": statistics.stdev(walls) if len(walls) > 1 else 0.0,
            "min": min(walls),
            "max": max(walls),
            "user": statistics.mean(u for _, u, _ in runs[name]),
            "system": statistics.mean(s for _, _, s in runs[name]),
            "times": walls,
        })
    with open(args.export_json, "w") as out:
        json.dump({"results": results}, out, indent=1)


if __name__ == "__main__":
    main()
