#!/usr/bin/env python3
"""Socket programs, capture control and ss snapshots for record.sh.

One single-threaded process drives both endpoints: it enters the client or
the server network namespace with setns(2) just long enough to create a
socket there (a socket keeps the namespace it was created in), so every
step of a scenario happens in a fixed order chosen here, not in the order
two racing processes happen to run.  Packets are produced by the real Linux
TCP stack; nothing here builds a TCP segment by hand.

Sub-commands (record.sh calls them; they are not meant to be run alone):
  run SCENARIO --out BASE --fmt FMT --cap-ns NS --cap-if IF --family 4|6
  relay-tun NS_A DEV_A NS_B DEV_B          userspace wire between two tun devices
  relay-vlan MODE WC T1 T2 WS              userspace 802.1Q / QinQ trunk (in ns W)

Environment: NS_C, NS_S, NS_W (namespace names), set by record.sh.
"""

import argparse
import ctypes
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL("libc.so.6", use_errno=True)
HOME_NS = os.open("/proc/self/ns/net", os.O_RDONLY)

NS_C = os.environ.get("NS_C", "tsr-c")
NS_S = os.environ.get("NS_S", "tsr-s")
NS_W = os.environ.get("NS_W", "tsr-w")


def setns(name):
    fd = HOME_NS if name is None else os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({name}): {os.strerror(err)}")
    finally:
        if name is not None:
            os.close(fd)


class InNs:
    def __init__(self, name):
        self.name = name

    def __enter__(self):
        setns(self.name)

    def __exit__(self, *exc):
        setns(None)


def log(*a):
    print("  [%s]" % time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Capture control
# --------------------------------------------------------------------------

class Capture:
    """tcpdump or dumpcap running inside a namespace."""

    def __init__(self, ns, iface, fmt, path, direction=None, bpf=None):
        """direction: "out" captures only packets the namespace sends on
        iface (tcpdump -Q out); bpf: a capture filter."""
        self.path = path
        if fmt in ("pcapng", "pcapng-multi"):
            if direction:
                raise SystemExit("dumpcap: no direction filter here, use a pcap format")
            cmd = ["dumpcap", "-q", "-i", iface, "-w", path] + (["-f", bpf] if bpf else [])
            ready = "Capturing on"
        else:
            cmd = ["tcpdump", "-n", "-U", "--immediate-mode", "-Z", "root", "-w", path]
            if fmt == "pcap":
                cmd += ["-i", iface]
            elif fmt == "pcap-nano":
                cmd += ["-i", iface, "--time-stamp-precision=nano"]
            elif fmt == "sll":
                cmd += ["-i", "any", "-y", "LINUX_SLL"]
            elif fmt == "sll2":
                cmd += ["-i", "any"]          # libpcap 1.10 default for "any"
            else:
                raise SystemExit(f"unknown format {fmt}")
            if direction:
                cmd += ["-Q", direction]
            if bpf:
                cmd += [bpf]
            ready = "listening on"
        self.proc = subprocess.Popen(["ip", "netns", "exec", ns] + cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        line = ""
        for _ in range(5):
            line = self.proc.stderr.readline()
            if ready in line or not line:
                break
        if ready not in line:
            self.proc.kill()
            raise SystemExit(f"capture did not start: {line!r}")
        log("capture:", line.strip())
        time.sleep(0.3)

    def stop(self):
        # libpcap hands over packets in blocks with a 1 s timeout (dumpcap has
        # no immediate mode): wait longer than that so nothing is left behind.
        time.sleep(1.5)
        self.proc.send_signal(signal.SIGINT)
        rest = self.proc.communicate(timeout=10)[1]
        for line in rest.splitlines():
            if "captured" in line:
                log("capture:", line.strip())


# --------------------------------------------------------------------------
# Scenario context
# --------------------------------------------------------------------------

def fmt_ep(family, addr, port):
    return f"[{addr}]:{port}" if family == 6 else f"{addr}:{port}"


class Ctx:
    def __init__(self, a):
        self.a = a
        self.family = a.family
        self.af = socket.AF_INET6 if a.family == 6 else socket.AF_INET
        self.caddr = "fd77::1" if a.family == 6 else "10.77.0.1"
        self.saddr = "fd77::2" if a.family == 6 else "10.77.0.2"
        self.cport = a.cport
        self.sport = 8080
        self.ss = []
        self.swap_roles = False
        self.ext = "pcapng" if a.fmt.startswith("pcapng") else "pcap"
        self.sections = []
        self.cap = None

    # capture ------------------------------------------------------------
    def cap_start(self, **opts):
        """opts: direction / bpf for Capture; a scenario may set them as the
        function attribute "capture"."""
        n = len(self.sections)
        path = f"{self.a.out}.{self.ext}" if self.a.fmt != "pcapng-multi" \
            else f"{self.a.out}.section{n + 1}.pcapng"
        self.sections.append(path)
        self.cap = Capture(self.a.cap_ns, self.a.cap_if, self.a.fmt, path, **opts)

    def cap_stop(self):
        if self.cap:
            self.cap.stop()
            self.cap = None

    # sockets ------------------------------------------------------------
    def sock(self, ns):
        with InNs(ns):
            s = socket.socket(self.af, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        return s

    def listen(self, port=None):
        s = self.sock(NS_S)
        s.bind((self.saddr, port or self.sport))
        s.listen(8)
        return s

    def client(self, port=None):
        s = self.sock(NS_C)
        s.bind((self.caddr, port or self.cport))
        return s

    def establish(self, keep_listener=False, cport=None):
        lst = self.listen()
        c = self.client(cport)
        c.connect((self.saddr, self.sport))
        s, _ = lst.accept()
        if not keep_listener:
            lst.close()
            lst = None
        pause(0.1)
        return c, s, lst

    # nftables -------------------------------------------------------------
    def nft(self, ns, *args):
        subprocess.run(["ip", "netns", "exec", ns, "nft"] + list(args), check=True)

    def hold(self, ns, match):
        """Drop matching segments on the output hook of ns (never captured)."""
        self.nft(ns, "add", "rule", "inet", "rec", "out", *match.split(), "drop")

    def lift(self, *nss):
        for ns in nss:
            self.nft(ns, "flush", "chain", "inet", "rec", "out")

    # the tun relay as a wire with latency ---------------------------------
    def wire(self, direction, hold):
        """Hold ("c2s" or "s2c") packets in the tun relay, or release them in
        their order.  Held packets were sent (a capture on the sender's tun
        shows them) but not yet delivered: a wire with a long delay, not a
        drop."""
        held = self.__dict__.setdefault("held", set())
        if (direction in held) == hold:
            return
        held.symmetric_difference_update({direction})
        sig = signal.SIGUSR1 if direction == "c2s" else signal.SIGUSR2
        os.kill(int(os.environ["RELAY_PID"]), sig)
        time.sleep(0.05)            # the relay applies it within 5 ms

    # ss snapshots ---------------------------------------------------------
    def snap(self, label, cport=None, sport=None, differs=None, differs_side=None):
        """ss in both namespaces.  differs: why the kernel's state at this
        moment cannot match what the capture shows (written to the .ss as
        "model-differs:", for differs_side or both sides)."""
        cport = cport or self.cport
        sport = sport or self.sport
        cl = fmt_ep(self.family, self.caddr, cport)
        sv = fmt_ep(self.family, self.saddr, sport)
        for side, ns, local, peer in (("client", NS_C, cl, sv),
                                      ("server", NS_S, sv, cl)):
            t0 = time.time_ns()
            out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-tanH"],
                                 capture_output=True, text=True, check=True).stdout
            t1 = time.time_ns()
            state, raw = "CLOSED", []
            lport = local.rsplit(":", 1)[1]
            for line in out.splitlines():
                f = line.split()
                if len(f) < 5:
                    continue
                if f[3] == local and f[4] == peer:
                    state = f[0]
                    raw.append(line)
            if state == "CLOSED":
                for line in out.splitlines():
                    f = line.split()
                    if len(f) >= 5 and f[0] == "LISTEN" and f[3].rsplit(":", 1)[1] == lport:
                        state = "LISTEN"
                        raw.append(line)
            lab = label
            if differs and differs_side in (None, side):
                lab += "  model-differs: " + differs
            self.ss.append((t0, t1, side, local, peer, state, lab, raw))
            log(f"ss {side:6} {state:10} {label}")

    def write_ss(self):
        path = f"{self.a.out}.ss"
        with open(path, "w") as f:
            f.write("# Kernel view (ss -tanH in the endpoint's namespace) at chosen moments.\n")
            f.write("# ts_ns = CLOCK_REALTIME ns when ss was started; dur_us = how long ss ran.\n")
            f.write("# A socket absent from ss is CLOSED; LISTEN = only the listener is left.\n")
            f.write("# ts_ns side local peer ss_state\n")
            for t0, t1, side, local, peer, state, label, raw in self.ss:
                if self.swap_roles:
                    side = {"client": "server", "server": "client"}[side]
                f.write(f"{t0} {side} {local} {peer} {state}   # dur_us={(t1 - t0) // 1000} {label}\n")
                for r in raw:
                    f.write(f"#   ss: {' '.join(r.split())}\n")
        log("wrote", path)


def pause(s=0.3):
    time.sleep(s)


def talk(c, s, req=b"GET /x\n", resp=b"200 OK\n"):
    """A small request/response: data both ways, each acknowledged."""
    c.sendall(req)
    s.recv(4096)
    pause(0.15)
    s.sendall(resp)
    c.recv(4096)
    pause(0.15)


def linger0(sock):
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


PURE_ACK = "tcp flags & (fin|syn|rst|psh|ack) == ack"
BARE_SYN = "tcp flags & (syn|ack) == syn"
SYN_ACK = "tcp flags & (syn|ack) == syn|ack"
ANY_FIN = "tcp flags & fin == fin"


# --------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------

def sc_close_client_first(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()                      # FIN; server ACKs it after its delayed-ACK timer
    pause()
    x.snap("client FIN acknowledged, server not closed yet")
    assert s.recv(100) == b""
    s.close()                      # FIN from CLOSE_WAIT; client's ACK ends it
    pause()
    x.snap("after server FIN and the final ACK")


def sc_close_server_first(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    s.close()
    pause()
    x.snap("server FIN acknowledged, client not closed yet")
    assert c.recv(100) == b""
    c.close()
    pause()
    x.snap("after client FIN and the final ACK")


def sc_half_close(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.sendall(b"last request\n")
    pause(0.1)
    c.shutdown(socket.SHUT_WR)
    pause()
    x.snap("client half-closed (shutdown SHUT_WR), FIN acknowledged")
    assert s.recv(100) == b"last request\n"
    assert s.recv(100) == b""
    for i in range(3):
        s.sendall(b"chunk %d\n" % i)
        c.recv(100)
        pause(1.0)
    x.snap("server kept sending for 3 s into the half-closed connection")
    s.close()
    pause()
    assert c.recv(100) == b""
    x.snap("after server FIN and the final ACK")
    c.close()


def sc_simultaneous_open(x):
    a = x.sock(NS_C)
    a.bind((x.caddr, x.cport))
    b = x.sock(NS_S)
    b.bind((x.saddr, x.sport))
    x.hold(NS_C, BARE_SYN)
    x.hold(NS_S, BARE_SYN)
    a.setblocking(False)
    b.setblocking(False)
    # Both first SYNs are dropped before the capture point; both SYN
    # retransmission timers (1 s) are armed within microseconds of each
    # other and fire on the same timer tick, so the retransmitted SYNs cross.
    a.connect_ex((x.saddr, x.sport))
    b.connect_ex((x.caddr, x.cport))
    pause(0.4)
    x.snap("both SYN-SENT, first SYNs dropped on output")
    x.lift(NS_C, NS_S)
    for so in (a, b):
        _, w, _ = select.select([], [so], [], 5)
        assert w and so.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
        so.setblocking(True)
    pause()
    x.snap("both ESTABLISHED after crossed SYNs")
    talk(a, b)
    a.close()
    pause()
    assert b.recv(100) == b""
    b.close()
    pause()
    x.snap("after close")
    # the client is whoever sent the first SYN seen in the capture
    x.roles_from_capture = True


def sc_simultaneous_close(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    x.hold(NS_C, ANY_FIN)
    x.hold(NS_S, ANY_FIN)
    # Both FINs are refused by the output hook; TCP leaves them queued and
    # its probe timers (armed within microseconds of each other) send both on
    # the same tick after the rules are lifted, so the FINs cross.
    c.close()
    s.close()
    x.snap("both FIN-WAIT-1, FINs held on output",
           differs="close() was called, so both are in FIN-WAIT-1 (3.10.4), but no "
           "FIN is on the wire yet; from the capture both are still ESTABLISHED")
    x.lift(NS_C, NS_S)
    pause(1.5)
    x.snap("after crossed FINs and their ACKs")


def sc_abort_linger0(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    linger0(c)
    c.close()                      # SO_LINGER {1,0}: RST instead of FIN
    pause()
    x.snap("after client RST")
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()


def sc_refused(x):
    c = x.client()
    x.snap("before connect, nothing listens on the port")
    err = c.connect_ex((x.saddr, x.sport))
    assert err == 111, err        # ECONNREFUSED
    pause()
    x.snap("after RST,ACK")
    c.close()


def sc_rst_in_syn_received(x):
    lst = x.listen()
    x.hold(NS_C, PURE_ACK)          # the client's third ACK never leaves
    c = x.client()
    c.connect((x.saddr, x.sport))   # returns on SYN-ACK: client ESTABLISHED
    pause(0.2)
    x.snap("client ESTABLISHED, server SYN-RECV (third ACK dropped)")
    linger0(c)
    c.close()                       # RST with seq = server's RCV.NXT
    pause(0.2)
    x.snap("after client RST: request socket gone, listener remains")
    x.cap_stop()
    x.lift(NS_C)
    lst.close()


def sc_lost_final_ack(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()
    pause()
    x.snap("client FIN acknowledged")
    x.hold(NS_C, PURE_ACK)
    assert s.recv(100) == b""
    s.close()                       # server FIN; client's ACK of it is dropped
    pause(0.02)
    x.snap("final ACK dropped: client TIME-WAIT, server LAST-ACK")
    x.lift(NS_C)
    pause(1.5)                      # server retransmits its FIN, TIME_WAIT re-ACKs
    x.snap("after retransmitted FIN and its ACK")


def sc_time_wait_reuse(x):
    c, s, lst = x.establish(keep_listener=True)
    talk(c, s)
    x.snap("first incarnation established")
    s.close()
    pause()
    x.snap("server FIN acknowledged")
    assert c.recv(100) == b""
    c.close()
    pause()
    x.snap("server TIME-WAIT, client CLOSED")
    pause(1.0)
    c2 = x.client()                 # same source port, SO_REUSEADDR
    c2.connect((x.saddr, x.sport))  # SYN hits the server's TIME_WAIT socket
    s2, _ = lst.accept()
    lst.close()
    pause(0.2)
    x.snap("second incarnation established on the same 4-tuple")
    talk(c2, s2, b"GET /y\n", b"200 OK again\n")
    c2.close()
    pause()
    assert s2.recv(100) == b""
    s2.close()
    pause()
    x.snap("second incarnation closed, client TIME-WAIT")


def sc_unanswered_syn(x):
    lst = x.listen()
    x.hold(NS_S, SYN_ACK)           # the server answers, but nothing leaves
    c = x.client()
    c.setblocking(False)
    t0 = time.time()
    c.connect_ex((x.saddr, x.sport))
    pause(0.5)
    x.snap("client SYN-SENT, server SYN-RECV, SYN-ACK dropped on output")
    # tcp_syn_retries=3 in the client namespace: SYNs at 0, 1, 3, 7 s
    time.sleep(max(0, t0 + 7.6 - time.time()))
    x.snap("after the third SYN retransmission")
    x.cap_stop()
    c.close()
    x.lift(NS_S)
    lst.close()


def sc_time_wait_expiry(x):
    c, s, _ = x.establish()
    talk(c, s)
    c.close()
    pause()
    assert s.recv(100) == b""
    s.close()
    t_tw = time.time()              # client entered TIME_WAIT just now
    pause()
    x.snap("client TIME-WAIT")
    x.cap_stop()                    # end of section 1
    time.sleep(max(0, t_tw + 55 - time.time()))
    x.snap("client still TIME-WAIT, about 55 s later")
    x.cap_start()                   # section 2
    # Linux arms a 60 s timer (TCP_TIMEWAIT_LEN); the timer wheel may
    # fire it up to ~2 s late at HZ=250, so look well after 62 s.
    time.sleep(max(0, t_tw + 63.5 - time.time()))
    x.snap("about 63.5 s after TIME_WAIT began: gone")
    c2, s2, _ = x.establish(cport=x.cport + 100)
    talk(c2, s2)
    c2.close()
    pause()
    assert s2.recv(100) == b""
    s2.close()
    pause()
    x.snap("unrelated second connection closed", cport=x.cport + 100)


def sc_fin_ack_close(x):
    # One non-TCP frame first, on purpose: a UDP datagram from client to
    # server that a reader must count as a frame and otherwise skip.
    with InNs(NS_C):
        u = socket.socket(x.af, socket.SOCK_DGRAM)
    u.sendto(b"not tcp\n", (x.saddr, 9))
    u.close()
    pause(0.1)
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()
    # The server saw the FIN during close() above; its ACK is delayed
    # (Linux enters pingpong mode on FIN), so a close() now sends one
    # segment that carries both the server's FIN and the ACK of the
    # client's FIN.
    time.sleep(0.005)
    assert s.recv(100) == b""
    s.close()
    pause()
    x.snap("after FIN+ACK and the final ACK")


def sc_rst_challenge_ack(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    # The bridge in the wire namespace drops the client's next data segment:
    # the client's stack counts it as sent (SND.NXT moves on), the server
    # never sees it.  Capture is on the server's veth, so it shows exactly
    # what the server received.
    subprocess.run(["ip", "netns", "exec", NS_W, "nft", "add", "rule", "bridge",
                    "wire", "drops", "ip", "saddr", x.caddr, "tcp", "flags", "&",
                    "psh", "==", "psh", "drop"], check=True)
    c.sendall(b"lost\n")
    time.sleep(0.02)
    linger0(c)
    c.close()   # RST seq = client SND.NXT, 5 past the server's RCV.NXT
    pause()
    x.snap("after RST, challenge ACK and the second (exact) RST")
    subprocess.run(["ip", "netns", "exec", NS_W, "nft", "flush", "chain", "bridge",
                    "wire", "drops"], check=True)
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()


def sc_half_close_server_first(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    s.shutdown(socket.SHUT_WR)      # the server half-closes first
    pause()
    x.snap("server half-closed, FIN acknowledged")
    assert c.recv(100) == b""
    for i in range(3):              # the client keeps sending upstream
        c.sendall(b"upload %d\n" % i)
        s.recv(100)
        pause(0.5)
    x.snap("client sent 3 segments into the half-closed connection")
    c.close()
    pause()
    assert s.recv(100) == b""
    x.snap("after client FIN and the final ACK")
    s.close()


def sc_orphan_fin_wait_2(x):
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()                       # orphaned: nobody holds the socket any more
    pause()
    x.snap("client FIN acknowledged: orphaned FIN-WAIT-2")
    # tcp_fin_timeout=3 in the client namespace: Linux deletes the orphaned
    # FIN-WAIT-2 connection after 3 s without sending anything.
    pause(4.5)
    x.snap("after tcp_fin_timeout: the client connection is gone",
           differs="no packet shows the local timeout; the capture alone still "
           "says FIN-WAIT-2", differs_side="client")
    assert s.recv(100) == b""
    s.close()                       # FIN meets no connection: the client answers RST
    pause()
    x.snap("after server FIN and the client's RST")


def cross_first_syns(x):
    """Simultaneous open that leaves the client in SYN-RECEIVED.

    The SYNs are made to cross by pausing the userspace wire (the tun relay)
    while both endpoints send their first SYN, so neither SYN is a
    retransmission (after a retransmission timeout Linux has cwnd 1 and would
    hold a FIN until its SYN is acknowledged).  The capture is on the
    client's tun device: the client's SYN is captured as it is sent, the
    server's as it is delivered.  The server's SYN,ACK and its ACK are
    dropped on the server's output, so the client never learns that its SYN
    was acknowledged and stays in SYN-RECEIVED, while the server, which got
    the client's SYN,ACK, is ESTABLISHED."""
    relay = int(os.environ["RELAY_PID"])
    a = x.sock(NS_C)
    a.bind((x.caddr, x.cport))
    b = x.sock(NS_S)
    b.bind((x.saddr, x.sport))
    x.hold(NS_S, SYN_ACK)
    x.hold(NS_S, PURE_ACK)
    a.setblocking(False)
    b.setblocking(False)
    os.kill(relay, signal.SIGSTOP)              # the wire holds everything
    a.connect_ex((x.saddr, x.sport))
    b.connect_ex((x.caddr, x.cport))
    pause(0.2)
    x.snap("both SYN-SENT, both SYNs held in the wire",
           differs="frame 1 is captured as it was sent but is still held in the "
           "wire: the server has not received it yet and is in SYN-SENT (its own "
           "SYN, frame 2, is held too); the model applies frame 1 at once",
           differs_side="server")
    os.kill(relay, signal.SIGCONT)              # both SYNs delivered: crossed
    _, w, _ = select.select([], [b], [], 3)     # the server gets ESTABLISHED
    assert w and b.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
    pause(0.1)
    x.snap("SYNs crossed: client SYN-RECV (its SYN unacknowledged), server ESTAB")
    x.lift(NS_S)
    return a, b


def sc_close_in_syn_received(x):
    """The client, in SYN-RECEIVED, closes: a FIN sent from SYN-RECEIVED
    (RFC 9293 3.10.4)."""
    a, b = cross_first_syns(x)
    a.close()            # FIN from SYN-RECEIVED, long before any retransmission
    pause()
    x.snap("client FIN (and SYN) acknowledged")
    b.setblocking(True)
    assert b.recv(100) == b""
    b.close()
    pause()
    x.snap("after server FIN and the final ACK")


def sc_rst_in_syn_received_active(x):
    """The server aborts while the client, an active opener, is in
    SYN-RECEIVED: an exact RST takes it to CLOSED, not LISTEN."""
    a, b = cross_first_syns(x)
    linger0(b)
    b.close()
    pause()
    x.snap("after the server's RST")
    a.close()



# ---- scenarios made so that anomalies of the catalog show (19 onwards) ----

def sc_stuck_close_wait(x):
    """The client half-closes; the server application never closes.  It
    writes once more 2.3 s later (a late packet, so that even a reader that
    takes the last frame as the end of the capture sees a long CLOSE-WAIT),
    then sits in CLOSE-WAIT until the capture ends."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.shutdown(socket.SHUT_WR)      # client FIN; the client application keeps reading
    pause()
    x.snap("client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT")
    assert s.recv(100) == b""       # the server application saw the EOF ...
    pause(2.0)
    s.sendall(b"still busy\n")      # ... but does not close; it writes from CLOSE-WAIT
    assert c.recv(100) == b"still busy\n"
    pause(1.0)
    x.snap("3.3 s after the client's FIN: the server still has not closed")
    x.cap_stop()                    # the capture ends with the server in CLOSE-WAIT
    linger0(c)
    linger0(s)
    c.close()
    s.close()


def sc_stuck_last_ack(x):
    """The client closes first; every ACK it sends after the server's FIN is
    dropped on the client's output, so the server retransmits its FIN from
    LAST-ACK (0.2, 0.2, 0.4, 0.8, 1.6 s apart) and never leaves LAST-ACK
    while the capture runs (it ends 4 s after the server's FIN)."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()
    pause()
    x.snap("client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT")
    x.hold(NS_C, PURE_ACK)          # from now on no pure ACK leaves the client
    assert s.recv(100) == b""
    s.close()                       # server FIN -> LAST-ACK
    pause(2.5)                      # between the 4th and 5th retransmission
    x.snap("2.5 s later: client TIME-WAIT, server LAST-ACK after 4 FIN retransmissions")
    x.cap_stop()
    x.lift(NS_C)


def sc_unacked_syn_ack(x):
    """The client's third ACK, and everything else the client sends with ACK
    set, is dropped on the client's output.  The client is ESTABLISHED; the
    server stays in SYN-RECEIVED and retransmits its SYN,ACK (1 s, then 2 s
    later).  The client re-acknowledges each one; those ACKs are dropped too."""
    lst = x.listen()
    x.hold(NS_C, "tcp flags & (syn|ack) == ack")
    c = x.client()
    c.connect((x.saddr, x.sport))   # returns on the SYN,ACK
    pause(0.2)
    x.snap("client ESTABLISHED, server SYN-RECV (third ACK dropped)")
    pause(3.3)
    x.snap("after two SYN,ACK retransmissions: still ESTAB / SYN-RECV")
    x.cap_stop()
    x.lift(NS_C)
    linger0(c)
    c.close()
    lst.close()


TCP_FASTOPEN = 23


def sc_fast_open(x):
    """TCP Fast Open (RFC 7413), tcp_fastopen=3 in both namespaces.
    Stream 0 (client port cport) gets a cookie: its SYN carries an empty
    Fast Open option, the SYN,ACK the cookie, and the request goes after the
    handshake.  Stream 1 (cport + 100) sends the request in the SYN with the
    cookie; the server accepts it at once, the application reads it and
    answers while the connection is still SYN-RECEIVED: the client's ACK of
    the SYN,ACK (and of the answer) is dropped on the client's output, so the
    answer leaves before any third ACK.  Then the rule is lifted and the
    client's next request (its ACK covers the SYN,ACK) completes the
    handshake for the server."""
    lst = x.listen()
    lst.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 5)
    # stream 0: fetch a cookie
    c = x.client()
    c.sendto(b"GET /x\n", socket.MSG_FASTOPEN, (x.saddr, x.sport))
    s, _ = lst.accept()
    assert s.recv(100) == b"GET /x\n"
    pause(0.15)
    s.sendall(b"200 OK\n")
    c.recv(100)
    pause(0.15)
    c.close()
    pause()
    assert s.recv(100) == b""
    s.close()
    lst.close()                     # ss would show the listener as the server's state
    pause()
    x.snap("cookie connection closed")
    # stream 1: data in the SYN.  A new listener checks the cookie with the
    # same key (the namespace's Fast Open key).
    lst = x.listen()
    lst.setsockopt(socket.IPPROTO_TCP, TCP_FASTOPEN, 5)
    cport2 = x.cport + 100
    x.hold(NS_C, PURE_ACK)
    c2 = x.client(cport2)
    c2.sendto(b"GET /fast\n", socket.MSG_FASTOPEN, (x.saddr, x.sport))
    s2, _ = lst.accept()            # a Fast Open child: still SYN-RECEIVED
    assert s2.recv(100) == b"GET /fast\n"
    s2.sendall(b"200 fast\n")       # sent from SYN-RECEIVED
    assert c2.recv(100) == b"200 fast\n"
    pause(0.05)
    x.snap("client ESTAB, server SYN-RECV: the server answered before any third ACK",
           cport=cport2)
    x.lift(NS_C)
    c2.sendall(b"GET /next\n")     # its ACK field acknowledges the SYN,ACK
    assert s2.recv(100) == b"GET /next\n"
    pause(0.15)
    x.snap("the client's data completed the handshake", cport=cport2)
    s2.sendall(b"200 next\n")
    c2.recv(100)
    pause(0.15)
    c2.close()
    pause()
    assert s2.recv(100) == b""
    s2.close()
    lst.close()
    pause()
    x.snap("second connection closed", cport=cport2)


def ss_kill(x, ns, local, lport, peer, pport):
    """Destroy one socket with ss -K (SOCK_DESTROY)."""
    out = subprocess.run(["ip", "netns", "exec", ns, "ss", "-tanKH", "src", local, "dst", peer,
                          "sport", "=", f":{lport}", "dport", "=", f":{pport}"],
                         capture_output=True, text=True, check=True).stdout
    log("ss -K:", " ".join(out.split()) or "(nothing)")


def sc_time_wait_assassination(x):
    """The client closes first and reaches TIME-WAIT.  Its final ACK is held
    in the wire (the tun relay queues client->server packets), so the server
    stays in LAST-ACK; then the server socket is destroyed with ss -K.  In
    LAST-ACK that sends nothing (Linux's tcp_abort resets only ESTABLISHED,
    CLOSE-WAIT, FIN-WAIT-1/2 and SYN-RECV connections).  When the wire lets
    the ACK through, it meets no connection and draws <SEQ=SEG.ACK><CTL=RST>,
    which is exactly the client's RCV.NXT: with tcp_rfc1337=0 Linux lets it
    kill the TIME-WAIT (RFC 1337 "TIME-WAIT assassination")."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()
    pause()
    x.snap("client FIN acknowledged: FIN-WAIT-2 / CLOSE-WAIT")
    x.wire("c2s", hold=True)
    assert s.recv(100) == b""
    s.close()                       # FIN -> client TIME-WAIT; its ACK waits in the wire
    time.sleep(0.02)
    x.snap("client TIME-WAIT; its ACK is captured but still held in the wire",
           differs="the client's final ACK is captured as it was sent but is held "
           "in the wire: the server has not received it and is still in LAST-ACK",
           differs_side="server")
    ss_kill(x, NS_S, x.saddr, x.sport, x.caddr, x.cport)
    x.snap("server socket destroyed by ss -K: no packet sent")
    x.wire("c2s", hold=False)       # the ACK arrives, the RST answers it
    pause()
    x.snap("after the RST: the client's TIME-WAIT is gone")


def sc_data_after_rst(x):
    """The server streams data to the client; the wire holds it (the tun
    relay queues server->client packets) when the client aborts with
    SO_LINGER {1,0}.  The RST reaches the server first; the server's data,
    sent before that, reaches the client afterwards and is answered by RSTs
    from the client's closed port.  Capture on the client's tun: the RST is
    captured as the client sends it, the data as it is delivered."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    x.wire("s2c", hold=True)
    for i in range(3):
        s.send(b"stream chunk %d\n" % i)   # one segment each, held in the wire
        time.sleep(0.005)
    pause(0.05)
    x.snap("server sent 3 segments, all still in the wire (states unchanged)")
    linger0(c)
    c.close()                       # RST, SEQ = the server's RCV.NXT
    pause(0.1)
    x.snap("after the client's RST: both CLOSED")
    x.wire("s2c", hold=False)       # the data in flight arrives after the RST
    pause()
    x.snap("after the late data and the client's RSTs")
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()


def sc_one_sided(x):
    """A normal connection (client closes first), captured with tcpdump -Q out
    on the client's veth: only the client's own segments are in the file."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    c.close()
    pause()
    x.snap("client FIN acknowledged, server not closed yet",
           differs="the server's ACK of the client's FIN is not in a one-sided "
           "capture: from the capture the client is still FIN-WAIT-1",
           differs_side="client")
    assert s.recv(100) == b""
    s.close()
    pause()
    x.snap("after the server's FIN and the client's final ACK")


sc_one_sided.capture = {"direction": "out"}


def sc_mid_stream(x):
    """The capture starts after the handshake and a first exchange; then a
    second exchange (client first) and a normal close (client first)."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, first exchange done, capture not started yet")
    x.cap_start()
    talk(c, s, b"GET /y\n", b"200 OK y\n")
    x.snap("second exchange captured")
    c.close()
    pause()
    x.snap("client FIN acknowledged")
    assert s.recv(100) == b""
    s.close()
    pause()
    x.snap("after the server's FIN and the final ACK")


sc_mid_stream.late_capture = True

HIDDEN = b"GET /not-captured\n"      # 18 bytes: the only segment of that length


def sc_ack_of_unseen_data(x):
    """A normal connection captured with a BPF filter that leaves out the one
    client segment with 18 bytes of payload.  The server received it and
    acknowledges it; the capture never shows it."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    talk(c, s, HIDDEN, b"200 OK hidden\n")
    x.snap("second exchange: its request was not captured")
    c.close()
    pause()
    assert s.recv(100) == b""
    s.close()
    pause()
    x.snap("after the close")


sc_ack_of_unseen_data.capture = {
    "bpf": "not (src host 10.77.0.1 and tcp and "
           "ip[2:2] - ((ip[0] & 0xf) << 2) - ((tcp[12] & 0xf0) >> 2) = %d)" % len(HIDDEN)}


def sc_port_reuse_after_reset(x):
    """The client aborts its first connection (RST); 0.5 s later it connects
    again from the same port: a new incarnation on the 4-tuple, no TIME-WAIT
    anywhere."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("first incarnation established")
    linger0(c)
    c.close()
    pause()
    x.snap("first incarnation reset: both CLOSED")
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()
    lst = x.listen()                 # a listener again (none during the snapshot,
    pause(0.2)                       # where ss would show it for the server)
    c2 = x.client()                  # same source port
    c2.connect((x.saddr, x.sport))
    s2, _ = lst.accept()
    lst.close()
    pause(0.1)
    x.snap("second incarnation established on the same 4-tuple")
    talk(c2, s2, b"GET /again\n", b"200 OK again\n")
    c2.close()
    pause()
    assert s2.recv(100) == b""
    s2.close()
    pause()
    x.snap("second incarnation closed")


def sc_half_open(x):
    """The client aborts, but its RST is dropped on the client's output: the
    client has no connection any more, the server does not know.  The
    server then sends data; the client's closed port answers with
    <SEQ=SEG.ACK><CTL=RST>, which is exact and closes the server."""
    c, s, _ = x.establish()
    talk(c, s)
    x.snap("established, data exchanged")
    x.hold(NS_C, "tcp flags & rst == rst")
    linger0(c)
    c.close()                        # RST dropped before the wire
    pause()
    x.snap("client aborted, RST dropped: client CLOSED, server ESTAB",
           differs="the client's abort sent nothing the capture could show",
           differs_side="client")
    x.lift(NS_C)
    s.sendall(b"are you there?\n")   # from ESTABLISHED to a peer with no connection
    pause()
    x.snap("after the server's data and the client's RST")
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()



def sc_syn_in_established(x):
    """RFC 9293 Figure 10 (half-open connection discovery) with RFC 5961 4.
    The client aborts and its RST is dropped on the client's output, so the
    server still has the connection.  The client connects again from the
    same port: its SYN reaches the server's ESTABLISHED connection, which
    answers with a challenge ACK; the client, in SYN-SENT, answers that
    unacceptable ACK with <SEQ=SEG.ACK><CTL=RST>, which is exact and closes
    the server's old connection; the client's SYN retransmission 1 s later
    then finds the listener and the new connection opens."""
    c, s, lst = x.establish(keep_listener=True)
    talk(c, s)
    x.snap("established, data exchanged")
    x.hold(NS_C, "tcp flags & rst == rst")
    linger0(c)
    c.close()                        # RST dropped before the wire
    pause()
    x.snap("client aborted, RST dropped: client CLOSED, server ESTAB",
           differs="the client's abort sent nothing the capture could show",
           differs_side="client")
    x.lift(NS_C)
    c2 = x.client()                  # same 4-tuple, new ISN
    c2.connect((x.saddr, x.sport))   # SYN, challenge ACK, RST, SYN again after 1 s
    s2, _ = lst.accept()
    lst.close()
    pause(0.1)
    x.snap("new connection established on the same 4-tuple")
    try:
        s.recv(100)
    except ConnectionResetError:
        pass
    s.close()
    talk(c2, s2, b"GET /again\n", b"200 OK again\n")
    c2.close()
    pause()
    assert s2.recv(100) == b""
    s2.close()
    pause()
    x.snap("new connection closed")


SCENARIOS = {
    "close-client-first": sc_close_client_first,
    "close-server-first": sc_close_server_first,
    "half-close": sc_half_close,
    "simultaneous-open": sc_simultaneous_open,
    "simultaneous-close": sc_simultaneous_close,
    "abort-linger0": sc_abort_linger0,
    "refused": sc_refused,
    "rst-in-syn-received": sc_rst_in_syn_received,
    "lost-final-ack": sc_lost_final_ack,
    "time-wait-reuse": sc_time_wait_reuse,
    "unanswered-syn": sc_unanswered_syn,
    "time-wait-expiry": sc_time_wait_expiry,
    "fin-ack-close-v6": sc_fin_ack_close,
    "rst-challenge-ack": sc_rst_challenge_ack,
    "half-close-server-first-v6": sc_half_close_server_first,
    "orphan-fin-wait-2": sc_orphan_fin_wait_2,
    "close-in-syn-received": sc_close_in_syn_received,
    "rst-in-syn-received-active": sc_rst_in_syn_received_active,
    "stuck-close-wait": sc_stuck_close_wait,
    "stuck-last-ack": sc_stuck_last_ack,
    "unacked-syn-ack": sc_unacked_syn_ack,
    "fast-open": sc_fast_open,
    "time-wait-assassination": sc_time_wait_assassination,
    "data-after-rst": sc_data_after_rst,
    "one-sided": sc_one_sided,
    "mid-stream": sc_mid_stream,
    "ack-of-unseen-data": sc_ack_of_unseen_data,
    "port-reuse-after-reset": sc_port_reuse_after_reset,
    "half-open": sc_half_open,
    "syn-in-established": sc_syn_in_established,
}


def first_syn_source(path):
    out = subprocess.run(["tshark", "-r", path, "-Y", "tcp.flags.syn==1 && tcp.flags.ack==0",
                          "-T", "fields", "-e", "ip.src", "-e", "ipv6.src", "-c", "1"],
                         capture_output=True, text=True, check=True).stdout.split()
    return out[0] if out else None


def cmd_run(a):
    x = Ctx(a)
    x.roles_from_capture = False
    fn = SCENARIOS[a.scenario]
    if not getattr(fn, "late_capture", False):   # else the scenario starts it
        x.cap_start(**getattr(fn, "capture", {}))
    try:
        fn(x)
    finally:
        x.cap_stop()
    final = f"{a.out}.{x.ext}"
    if a.fmt == "pcapng-multi":
        with open(final, "wb") as out:
            for p in x.sections:
                with open(p, "rb") as f:
                    out.write(f.read())
                os.unlink(p)
        log(f"concatenated {len(x.sections)} pcapng sections")
    if x.roles_from_capture and first_syn_source(final) == x.saddr:
        x.swap_roles = True
        log("first SYN came from the server namespace: roles swapped in .ss")
    x.write_ss()
    print(final)


# --------------------------------------------------------------------------
# Relays: the wire for the raw-IP (tun) and VLAN topologies
# --------------------------------------------------------------------------

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(ns, dev):
    with InNs(ns):
        fd = os.open("/dev/net/tun", os.O_RDWR)
        import fcntl
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH22x", dev.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def cmd_relay_tun(a):
    """Copy packets between the two tun devices.  SIGUSR1 toggles holding
    the packets read from A (client -> server), SIGUSR2 those read from B:
    while held they are queued; when the hold is lifted they are delivered in
    order.  The signal handlers only flag the toggle; the loop applies it
    (select wakes up every 2 ms), so no packet is read and queued while a
    flush is under way."""
    fa = open_tun(a.ns_a, a.dev_a)
    fb = open_tun(a.ns_b, a.dev_b)
    peer = {fa: fb, fb: fa}
    held = {fa: None, fb: None}          # None: pass through; a list: holding
    toggles = []
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGUSR1, lambda *_: toggles.append(fa))
    signal.signal(signal.SIGUSR2, lambda *_: toggles.append(fb))
    print("ready", flush=True)
    while True:
        while toggles:
            fd = toggles.pop(0)
            if held[fd] is None:
                held[fd] = []
            else:
                q, held[fd] = held[fd], None
                for pkt in q:
                    os.write(peer[fd], pkt)
        r, _, _ = select.select([fa, fb], [], [], 0.002)
        for fd in r:
            pkt = os.read(fd, 65536)
            if held[fd] is None:
                os.write(peer[fd], pkt)
            else:
                held[fd].append(pkt)


ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def cmd_relay_vlan(a):
    """Frames from the client/server access links get tags pushed and are sent
    on the trunk veth pair T1<->T2; frames arriving from the trunk have them
    popped.  The kernel itself has no 802.1Q support here (no 8021q module,
    no bridge VLAN filtering, no act_vlan), so the tagging is done here; the
    TCP segments inside are the kernels' own."""
    tags = [(0x8100, 10)] if a.mode == "dot1q" else [(0x88A8, 20), (0x8100, 30)]
    socks = {}
    for dev in (a.wc, a.t1, a.t2, a.ws):
        so = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        so.bind((dev, 0))
        socks[dev] = so
    push_route = {a.wc: a.t1, a.ws: a.t2}
    pop_route = {a.t2: a.ws, a.t1: a.wc}
    hdr = b"".join(struct.pack("!HH", tpid, vid) for tpid, vid in tags)
    byso = {so: dev for dev, so in socks.items()}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while True:
        r, _, _ = select.select(list(socks.values()), [], [])
        for so in r:
            try:
                data, addr = so.recvfrom(65536)
            except OSError:         # links going away at teardown
                return
            if addr[2] == PACKET_OUTGOING:
                continue
            dev = byso[so]
            if dev in push_route:
                out = data[:12] + hdr + data[12:]
                socks[push_route[dev]].send(out)
            else:
                # the kernel already moved the outer tag to metadata; strip any
                # tag still inline
                body = data[12:]
                while body[:2] in (b"\x81\x00", b"\x88\xa8"):
                    body = body[4:]
                socks[pop_route[dev]].send(data[:12] + body)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("scenario", choices=sorted(SCENARIOS))
    r.add_argument("--out", required=True)
    r.add_argument("--fmt", required=True)
    r.add_argument("--cap-ns", required=True)
    r.add_argument("--cap-if", required=True)
    r.add_argument("--family", type=int, default=4)
    r.add_argument("--cport", type=int, required=True)
    t = sub.add_parser("relay-tun")
    for n in ("ns_a", "dev_a", "ns_b", "dev_b"):
        t.add_argument(n)
    v = sub.add_parser("relay-vlan")
    v.add_argument("mode", choices=["dot1q", "qinq"])
    for n in ("wc", "t1", "t2", "ws"):
        v.add_argument(n)
    a = p.parse_args()
    {"run": cmd_run, "relay-tun": cmd_relay_tun, "relay-vlan": cmd_relay_vlan}[a.cmd](a)


if __name__ == "__main__":
    main()
