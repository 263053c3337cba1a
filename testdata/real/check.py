#!/usr/bin/env python3
"""Consistency check of the real-kernel captures against their .expect and .ss.

  testdata/real/check.py [NN-name ...]

For every capture with an .expect file:
  * every TCP frame (tshark's view) has exactly one .expect line, with the
    same frame number and tcp.stream, and no line names a non-TCP frame;
  * the first word of each line's comment gives the direction (c>s or s>c,
    client = sender of the stream's first SYN) and the second the TCP flags
    as [SAFRP...]; both must match the frame, so an .expect that no longer fits
    a re-recorded capture is caught;
  * state names are from the RFC 9293 list.
For every .anomalies file (one must exist per capture; it may list none):
  * each line is "stream kind frame endpoint", kind an id of the anomaly
    catalog, frame a TCP frame of that stream, endpoint client, server or -;
  * no line twice.
For every .ss line (the kernel's view at a moment):
  * no frame of the capture falls inside the time ss ran (the state was
    stable), and the line says which frames it sits between;
  * the expected state at that moment (after the stream's last frame before
    it; TIME_WAIT becomes CLOSED 60 s after the last packet that (re)started it)
    is compared with the kernel's.  A line whose comment contains
    "model-differs:" is a documented disagreement and is reported, not failed.
Needs tshark.  Exit status 1 on any failure.
"""

import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
STATES = {"CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
          "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT"}
SS = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECEIVED",
      "FIN-WAIT-1": "FIN_WAIT_1", "FIN-WAIT-2": "FIN_WAIT_2", "CLOSE-WAIT": "CLOSE_WAIT",
      "CLOSING": "CLOSING", "LAST-ACK": "LAST_ACK", "TIME-WAIT": "TIME_WAIT",
      "LISTEN": "LISTEN", "CLOSED": "CLOSED"}
FLAGBITS = [("S", 0x002), ("A", 0x010), ("F", 0x001), ("R", 0x004), ("P", 0x008)]
MSL2_NS = 60 * 10**9
KINDS = {"unanswered-syn", "syn-retransmitted", "connection-refused", "rst-in-syn-received",
         "handshake-aborted", "syn-ack-wrong-ack", "handshake-not-synchronized",
         "missing-final-ack", "simultaneous-open", "syn-with-data", "data-before-established",
         "simultaneous-close", "half-closed", "stuck-close-wait", "stuck-last-ack",
         "fin-retransmitted-in-last-ack", "fin-answered-by-rst", "data-after-fin",
         "time-wait-assassination", "data-after-rst", "rst-with-data", "half-open",
         "port-reuse", "time-wait-reuse", "syn-in-established", "unacceptable-segment",
         "ack-of-unseen-data", "invalid-flags", "mid-stream", "one-sided", "direction-flipped",
         "unanswered-syn-cut-off", "missing-final-ack-cut-off"}


def frames(path):
    out = subprocess.run(
        ["tshark", "-r", path, "-T", "fields", "-E", "separator=|",
         "-e", "frame.number", "-e", "frame.time_epoch", "-e", "tcp.stream",
         "-e", "ip.src", "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "ip.dst",
         "-e", "ipv6.dst", "-e", "tcp.dstport", "-e", "tcp.flags"],
        capture_output=True, text=True, check=True).stdout
    res = []
    for line in out.splitlines():
        n, t, st, s4, s6, sp, d4, d6, dp, fl = line.split("|")
        sec, _, frac = t.partition(".")
        ts = int(sec) * 10**9 + int((frac + "000000000")[:9])
        f = {"n": int(n), "ts": ts}
        if st:
            f.update(stream=int(st), src=f"{s4 or s6}|{sp}", dst=f"{d4 or d6}|{dp}",
                     flags=int(fl, 16))
        res.append(f)
    return res


def flagstr(v):
    return "[" + "".join(c for c, b in FLAGBITS if v & b) + "]"


def ep(s):
    """'10.77.0.1:40001' or '[fd77::1]:40001' -> '10.77.0.1|40001'"""
    a, _, p = s.rpartition(":")
    return f"{a.strip('[]')}|{p}"


def check(base):
    errs, notes = [], []
    cap = next((base + e for e in (".pcap", ".pcapng") if os.path.exists(base + e)), None)
    name = os.path.basename(base)
    if not cap:
        return [f"{name}: no capture"], notes
    fr = frames(cap)
    tcp = {f["n"]: f for f in fr if "stream" in f}
    client = {}
    for f in fr:
        if "stream" in f and f["stream"] not in client:
            # the client sends the SYN; a SYN,ACK first names it as its
            # destination; a capture joined mid-stream (no SYN) takes the
            # sender of the first frame (26 is recorded so that it is the
            # side that connected)
            client[f["stream"]] = f["dst"] if f["flags"] & 0x012 == 0x012 else f["src"]
    exp = {}
    for i, line in enumerate(open(base + ".expect"), 1):
        body, _, comment = line.partition("#")
        w = body.split()
        if not w:
            continue
        if w[0].startswith("@"):
            # An event row (not a segment): transitions between segments,
            # at the frame that showed them; checked by tests/real_stack.rs.
            continue
        if len(w) != 4:
            errs.append(f"{name}.expect:{i}: want 4 fields, got {w}")
            continue
        n, st, cs, ss = int(w[0]), int(w[1]), w[2], w[3]
        for s in (cs, ss):
            if s not in STATES:
                errs.append(f"{name}.expect:{i}: bad state {s}")
        if n in exp:
            errs.append(f"{name}.expect:{i}: frame {n} twice")
        exp[n] = (st, cs, ss)
        f = tcp.get(n)
        if not f:
            errs.append(f"{name}.expect:{i}: frame {n} is not a TCP frame of the capture")
            continue
        if f["stream"] != st:
            errs.append(f"{name}.expect:{i}: frame {n} is tcp.stream {f['stream']}, not {st}")
        c = comment.split()
        d = "c>s" if f["src"] == client[f["stream"]] else "s>c"
        if len(c) < 2 or c[0] != d or c[1] != flagstr(f["flags"]):
            errs.append(f"{name}.expect:{i}: frame {n} is {d} {flagstr(f['flags'])}, comment says {' '.join(c[:2])}")
    for n in tcp:
        if n not in exp:
            errs.append(f"{name}: TCP frame {n} has no .expect line")

    # --- anomalies
    if not os.path.exists(base + ".anomalies"):
        errs.append(f"{name}: no .anomalies file")
    else:
        seen = set()
        for i, line in enumerate(open(base + ".anomalies"), 1):
            w = line.partition("#")[0].split()
            if not w:
                continue
            where = f"{name}.anomalies:{i}"
            if len(w) != 4:
                errs.append(f"{where}: want 4 fields, got {w}")
                continue
            st, kind, n, who = w
            if kind not in KINDS:
                errs.append(f"{where}: unknown anomaly {kind}")
            if who not in ("client", "server", "-"):
                errs.append(f"{where}: endpoint must be client, server or -, not {who}")
            f = tcp.get(int(n)) if n.isdigit() else None
            if not f or not st.isdigit() or f["stream"] != int(st):
                errs.append(f"{where}: frame {n} is not a TCP frame of stream {st}")
            if tuple(w) in seen:
                errs.append(f"{where}: listed twice")
            seen.add(tuple(w))
            notes.append(f"{where}: {' '.join(w)}")

    # --- ss snapshots
    if not os.path.exists(base + ".ss"):
        return errs, notes
    times = [f["ts"] for f in fr]
    for i, line in enumerate(open(base + ".ss"), 1):
        body, _, comment = line.partition("#")
        w = body.split()
        if not w:
            continue
        if w[0].startswith("@"):
            # An event row (not a segment): transitions between segments,
            # at the frame that showed them; checked by tests/real_stack.rs.
            continue
        ts, side, local, peer, state = int(w[0]), w[1], ep(w[2]), ep(w[3]), w[4]
        m = re.search(r"dur_us=(\d+)", comment)
        end = ts + (int(m.group(1)) * 1000 if m else 0)
        inside = [f["n"] for f in fr if ts <= f["ts"] <= end]
        before = [f for f in fr if f["ts"] < ts]
        after = [f for f in fr if f["ts"] > end]
        where = (f"after frame {before[-1]['n']}" if before else "at the start") + \
                (f", before frame {after[0]['n']}" if after else ", after the last frame")
        if inside:
            errs.append(f"{name}.ss:{i}: frames {inside} arrived while ss ran")
        four = {local, peer}
        streams = [f for f in fr if "stream" in f and {f["src"], f["dst"]} == four and f["ts"] < ts]
        if not streams:
            notes.append(f"{name}.ss:{i}: {side} {state} {where}: no frame of this connection yet, nothing to compare")
            continue
        st = streams[-1]["stream"]
        mine = [f for f in streams if f["stream"] == st]
        last = mine[-1]
        e = exp.get(last["n"])
        if not e:
            continue
        want = e[1] if side == "client" else e[2]
        if want == "TIME_WAIT":
            # 2 MSL from entering TIME_WAIT, restarted by a FIN from the peer
            me = client[st] if side == "client" else None
            start, prev = None, None
            for f in mine:
                ee = exp.get(f["n"])
                cur = ee and (ee[1] if side == "client" else ee[2])
                to_me = (f["dst"] == client[st]) == (side == "client")
                if cur == "TIME_WAIT" and (prev != "TIME_WAIT" or (f["flags"] & 1 and to_me)):
                    start = f["ts"]
                prev = cur
            if start is not None and ts - start >= MSL2_NS:
                want = "CLOSED"
        got = SS.get(state, state)
        msg = f"{name}.ss:{i}: {side:6} {where}: expect {want}, kernel {state}"
        if got == want:
            notes.append(msg + "  ok")
        elif "model-differs:" in comment:
            notes.append(msg + "  DIFFERS (documented: " + comment.split("model-differs:", 1)[1].strip() + ")")
        else:
            errs.append(msg)
    return errs, notes


def main():
    bases = sys.argv[1:] or sorted(p[:-7] for p in glob.glob(os.path.join(HERE, "*.expect")))
    bases = [b if os.path.sep in b else os.path.join(HERE, b) for b in bases]
    allerr = []
    for b in bases:
        errs, notes = check(b)
        for n in notes:
            print("  " + n)
        for e in errs:
            print("FAIL " + e)
        allerr += errs
    print(f"{len(bases)} captures checked, {len(allerr)} problems")
    sys.exit(1 if allerr else 0)


if __name__ == "__main__":
    main()
