#!/usr/bin/env python3
"""Samples where CPU and memory go while one benchmarked command runs (used by import.sh).

  sample.py --root PID [--pgdb NAME] [--interval S] --out FILE.json

Every interval until PID exits it reads /proc for
  - every descendant process of PID, thread by thread (CPU seconds grouped by
    process name / thread name, and their RSS over time, total and anonymous);
  - every PostgreSQL server process (`postgres: ...`): the backends serving database
    NAME (CPU seconds, VmHWM = their peak RSS, RssShmem = shared buffers they touched)
    and the server's own processes (checkpointer, walwriter, ...; other databases'
    backends are not counted: they are noise);
  - the whole machine's busy CPU seconds and the other processes' CPU (kernel threads
    apart), to see whether anything else was running.
Values are the last seen before a process or thread exited (up to one interval lost).
Linux only, standard library only.
"""
import argparse, json, os, time

TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return None


def stat(path):
    """(comm, ppid, cpu seconds, rss bytes) from a /proc/.../stat file."""
    s = read(path)
    if not s:
        return None
    comm = s[s.index("(") + 1 : s.rindex(")")]
    f = s[s.rindex(")") + 2 :].split()
    # fields after comm: state(0) ppid(1) ... utime(11) stime(12) ... rss(21)
    return comm, int(f[1]), (int(f[11]) + int(f[12])) / TICK, int(f[21]) * PAGE


def status_kb(pid, keys):
    s = read(f"/proc/{pid}/status") or ""
    out = {}
    for line in s.splitlines():
        k, _, v = line.partition(":")
        if k in keys:
            out[k] = int(v.split()[0])
    return out


def machine_busy():
    f = (read("/proc/stat") or "cpu 0").splitlines()[0].split()[1:]
    v = [int(x) for x in f]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / TICK


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", type=int, required=True)
    p.add_argument("--pgdb", default=None)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--out", required=True)
    a = p.parse_args()

    start = time.monotonic()
    busy0 = machine_busy()
    threads = {}  # (pid, tid) -> [group, cpu]
    procs = {}  # pid -> {"name", "rss_max"}
    pg = {}  # pid -> {"cmd", "cpu0", "cpu", "hwm", "shmem", "anon"}
    others_seen = {}  # pid -> [name, cpu0, cpu, kernel thread?]
    timeline = []  # (seconds, RSS MB, anonymous RSS MB) of the descendants
    first = True
    while True:
        now = time.monotonic() - start
        table = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                st = stat(f"/proc/{d}/stat")
                if st:
                    table[int(d)] = st
        if a.root not in table:
            break
        # descendants of root
        children = {}
        for pid, (_, ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        todo, tree = list(children.get(a.root, [])), []
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, []))
        rss_total = anon_kb = 0
        for pid in tree:
            name, _, _, rss = table[pid]
            rss_total += rss
            anon_kb += status_kb(pid, ("RssAnon",)).get("RssAnon", 0)
            pr = procs.setdefault(pid, {"name": name, "rss_max": 0})
            pr["rss_max"] = max(pr["rss_max"], rss)
            try:
                tids = os.listdir(f"/proc/{pid}/task")
            except OSError:
                continue
            for tid in tids:
                st = stat(f"/proc/{pid}/task/{tid}/stat")
                if st:
                    threads[(pid, int(tid))] = [f"{name}/{st[0]}", st[2]]
        # (seconds, RSS MB, of which anonymous MB: heap, not mapped files)
        timeline.append((round(now, 1), round(rss_total / 2**20, 1), round(anon_kb / 1024, 1)))
        # everything else on the machine (noise, or kernel threads doing the I/O)
        client = set(tree) | {a.root}
        for pid, (name, ppid, cpu, _) in table.items():
            if pid in client or name == "postgres" or pid == os.getpid():
                continue
            o = others_seen.get(pid)
            if o is None:
                o = others_seen[pid] = [name, cpu if first else 0.0, cpu, ppid == 2 or pid == 2]
            o[2] = cpu
        # PostgreSQL server processes
        for pid, (name, _, cpu, _) in table.items():
            if name != "postgres":
                continue
            cmd = (read(f"/proc/{pid}/cmdline") or "").replace("\0", " ").strip()
            if not cmd.startswith("postgres: "):
                continue
            e = pg.get(pid)
            if e is None:
                e = pg[pid] = {"cmd": cmd, "cpu0": cpu if first else 0.0, "hwm": 0, "shmem": 0, "anon": 0}
            e["cpu"] = cpu
            if a.pgdb and f" {a.pgdb} " in f" {cmd} ":
                e["cmd"] = cmd  # the state part changes; keep the latest
                s = status_kb(pid, ("VmHWM", "RssShmem", "RssAnon"))
                e["hwm"] = max(e["hwm"], s.get("VmHWM", 0))
                e["shmem"] = max(e["shmem"], s.get("RssShmem", 0))
                e["anon"] = max(e["anon"], s.get("RssAnon", 0))
        first = False
        time.sleep(a.interval)

    elapsed = time.monotonic() - start
    groups = {}
    for group, cpu in threads.values():
        base = group.split("/")[0] + "/" + group.split("/")[1].rstrip("0123456789-_")
        groups[base] = groups.get(base, 0.0) + cpu
    backends, others = [], {}
    for pid, e in pg.items():
        d = e["cpu"] - e["cpu0"]
        if a.pgdb and f" {a.pgdb} " in f" {e['cmd']} ":
            backends.append({"pid": pid, "cpu_s": round(d, 2), "vmhwm_mb": round(e["hwm"] / 1024, 1),
                             "rss_shmem_mb": round(e["shmem"] / 1024, 1), "rss_anon_mb": round(e["anon"] / 1024, 1)})
        elif d > 0 and "(" not in e["cmd"] and "[local]" not in e["cmd"]:
            # the server's own processes; other databases' backends count as noise
            kind = e["cmd"].split(":")[-1].strip() or "postmaster"
            others[kind] = round(others.get(kind, 0.0) + d, 2)
    client_cpu = sum(c for _, c in threads.values())
    pg_cpu = sum(b["cpu_s"] for b in backends) + sum(others.values())
    busy = machine_busy() - busy0
    noise = {}
    for name, cpu0, cpu, kernel in others_seen.values():
        key = "kernel threads" if kernel else name
        noise[key] = noise.get(key, 0.0) + cpu - cpu0
    out = {
        "elapsed_s": round(elapsed, 2),
        "client_cpu_s": round(client_cpu, 2),
        "client_threads_cpu_s": {k: round(v, 2) for k, v in sorted(groups.items(), key=lambda kv: -kv[1])},
        "client_rss_timeline_mb": timeline[:: max(1, len(timeline) // 40)],
        "pg_backends": sorted(backends, key=lambda b: -b["cpu_s"]),
        "pg_other_cpu_s": others,
        "machine_busy_cpu_s": round(busy, 2),
        "unaccounted_cpu_s": round(busy - client_cpu - pg_cpu, 2),
        # the biggest users of that remainder (processes that exited between samples are missed)
        "other_processes_cpu_s": {k: round(v, 2) for k, v in sorted(noise.items(), key=lambda kv: -kv[1])[:6] if v >= 0.05},
    }
    with open(a.out, "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
