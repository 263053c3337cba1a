#!/usr/bin/env bash
# Record the real-kernel TCP captures in this directory.
#
#   testdata/real/record.sh [-o OUTDIR] [SCENARIO...]     (as root)
#
# With no SCENARIO, records all of them.  SCENARIO is a name such as
# close-client-first or a number such as 01.  Output goes to OUTDIR
# (default: this directory): NN-name.pcap or .pcapng, and NN-name.ss with
# the kernel's view (ss -tan) at the moments the scenario chose.  The
# hand-written NN-name.expect files are never touched: after re-recording,
# run check.py, which fails if the new capture no longer has the frames the
# .expect was reasoned for.
#
# Every scenario gets fresh network namespaces (client tsr-c, server tsr-s
# and, for the bridged/VLAN wires, tsr-w), so no state leaks between them;
# everything is torn down on exit, also on error or Ctrl-C.
#
# Topologies (capture point per scenario: see the table below and README.md)
#   veth     client c0 10.77.0.1 / fd77::1  <->  server s0 10.77.0.2 / fd77::2
#   bridge   c0 <-> wc [bridge br0 in tsr-w] ws <-> s0; an nftables bridge
#            table in tsr-w can drop a frame in the middle of the wire
#   tun      client tun ct0 <-> relay process <-> server tun st0 (link type RAW)
#   dot1q    c0 <-> wc, ws <-> s0; a relay in tsr-w pushes an 802.1Q tag (VID
#            10) and sends on trunk veth t1 <-> t2, popping on the other side
#   qinq     same with 802.1ad outer VID 20 + 802.1Q inner VID 30
# Static neighbour entries replace ARP/ND, so the captures hold only the
# scenario's TCP segments.  Offloads (checksum, TSO/GSO/GRO) are off on every
# veth, so the frames are the segments the stack built, checksums included.
#
# Drops and holds: nftables rules on the OUTPUT hook of the sender's namespace
# (table inet rec, chain out), added and removed by scenarios.py.  A packet
# dropped there never reaches the interface, so it is never captured and never
# delivered: the capture shows exactly what each receiver got.  TCP sees such
# a send fail and keeps the segment queued; the rule is lifted before the
# retransmission.  Two exceptions: rst-challenge-ack needs the sender to
# believe a segment left, so the bridge drops it and the capture is taken on
# the server's veth, after the drop (again equal to delivery); 17 and 18
# hold both first SYNs in the wire by stopping the tun relay (SIGSTOP, then
# SIGCONT), so they cross without a retransmission; 23 and 24 hold one
# direction in the relay (SIGUSR1: client->server, SIGUSR2: server->client,
# the same signal again delivers the queue in order).  Every captured frame
# is delivered.
#
# Capture options set by a scenario itself (scenarios.py): one-sided
# captures only what the client sends (tcpdump -Q out), mid-stream starts
# the capture after the handshake, ack-of-unseen-data filters out one
# segment with a BPF expression.
#
# Namespace sysctls (set explicitly in both endpoint namespaces, so the
# recordings do not depend on the host's defaults):
#   net.ipv4.tcp_timestamps=1 tcp_sack=1 tcp_window_scaling=1 tcp_ecn=2
#   net.ipv4.tcp_syn_retries=6, tcp_synack_retries=5,
#   net.ipv4.tcp_syn_linear_timeouts=4 (Linux >= 6.5: the first 4 SYN
#       retransmissions come at a fixed 1 s).  For unanswered-syn the client
#       ns uses tcp_syn_retries=3 and tcp_syn_linear_timeouts=0: SYNs at
#       0, 1, 3, 7 s (doubling backoff), given up at 15 s.
#   net.ipv4.tcp_fin_timeout=60 (orphaned FIN_WAIT_2 lifetime; 3 in the
#       client ns for orphan-fin-wait-2)
#   net.ipv4.tcp_tw_reuse=2 (only affects connect() from loopback; no
#       scenario depends on it: time-wait-reuse has the TIME_WAIT on the
#       passive side, where the listener accepts a SYN with a newer ISN and
#       timestamp by itself)
#   net.ipv4.tcp_fastopen=0 (3, client and server, for fast-open),
#   net.ipv6.conf.*.disable_ipv6=1 unless IPv6,
#   net.ipv6.conf.*.accept_dad=0 (no DAD delay, no ND traffic)
# TIME_WAIT length is fixed at 60 s in Linux (TCP_TIMEWAIT_LEN), not a sysctl.
#
# Needs: iproute2, nftables, tcpdump, dumpcap, tshark, ethtool, python3.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
OUTDIR=$HERE
PY=${PYTHON:-/usr/bin/python3}
export NS_C=tsr-c NS_S=tsr-s NS_W=tsr-w
RELAY_PID=

# id  name                 topology family capture-ns capture-if format
TABLE="
01 close-client-first   veth    4 c c0  pcap
02 close-server-first   veth    4 s s0  pcap-nano
03 half-close           veth    4 c c0  pcapng
04 simultaneous-open    veth    4 c any sll2
05 simultaneous-close   veth    4 s any sll
06 abort-linger0        dot1q   4 w t1  pcap
07 refused              tun     4 c ct0 pcap
08 rst-in-syn-received  veth    4 s s0  pcapng
09 lost-final-ack       qinq    4 w t1  pcap
10 time-wait-reuse      veth    4 c c0  pcap-nano
11 unanswered-syn       veth    6 c c0  pcap
12 time-wait-expiry     veth    4 c c0  pcapng-multi
13 fin-ack-close-v6     veth    6 s s0  pcapng
14 rst-challenge-ack    bridge  4 s s0  pcap
15 half-close-server-first-v6 tun 6 c ct0 pcap
16 orphan-fin-wait-2    veth    4 s s0  pcap
17 close-in-syn-received tun    4 c ct0 pcap
18 rst-in-syn-received-active tun 4 c any sll2
19 stuck-close-wait     veth    4 c c0  pcap
20 stuck-last-ack       veth    4 c c0  pcap
21 unacked-syn-ack      veth    4 c c0  pcap
22 fast-open            veth    4 c c0  pcapng
23 time-wait-assassination tun  4 c ct0 pcap
24 data-after-rst       tun     6 c ct0 pcap
25 one-sided            veth    4 c c0  pcap
26 mid-stream           veth    4 s s0  pcap-nano
27 ack-of-unseen-data   veth    4 c c0  pcap
28 port-reuse-after-reset veth  4 c c0  pcap-nano
29 half-open            veth    4 s s0  pcap
30 syn-in-established   veth    4 c c0  pcap
"

die() { echo "record.sh: $*" >&2; exit 1; }

for t in ip nft tcpdump dumpcap tshark ethtool ss; do
  command -v "$t" >/dev/null || die "missing $t (apt-get install iproute2 nftables tcpdump tshark ethtool)"
done
[ "$(id -u)" = 0 ] || die "must run as root"

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

teardown() {
  local ns
  if [ -n "$RELAY_PID" ]; then kill "$RELAY_PID" 2>/dev/null || true; wait "$RELAY_PID" 2>/dev/null || true; fi
  RELAY_PID=
  for ns in $NS_C $NS_S $NS_W; do ip netns del "$ns" 2>/dev/null || true; done
}
trap teardown EXIT
trap 'exit 130' INT TERM

mkns() {  # mkns NAME FAMILY
  local ns=$1 fam=$2 v6off=1
  [ "$fam" = 6 ] && v6off=0
  ip netns add "$ns"
  nsx "$ns" sysctl -qw \
    net.ipv6.conf.all.disable_ipv6=$v6off net.ipv6.conf.default.disable_ipv6=$v6off \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv6.conf.default.router_solicitations=0 \
    net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1 \
    net.ipv4.tcp_ecn=2 net.ipv4.tcp_syn_retries=6 net.ipv4.tcp_synack_retries=5 \
    net.ipv4.tcp_fin_timeout=60 net.ipv4.tcp_tw_reuse=2 net.ipv4.tcp_fastopen=0
  nsx "$ns" sysctl -qew net.ipv4.tcp_syn_linear_timeouts=4
  nsx "$ns" ip link set lo up
}

quiet_veth() {  # quiet_veth NS DEV [MAC]
  [ -n "${3:-}" ] && nsx "$1" ip link set "$2" address "$3"
  nsx "$1" ethtool -K "$2" tx off rx off tso off gso off gro off >/dev/null 2>&1 || true
  nsx "$1" ip link set "$2" up
}

endpoint_addrs() {  # endpoint_addrs FAMILY: addresses and static neighbours on c0/s0
  local fam=$1
  nsx $NS_C ip addr add 10.77.0.1/24 dev c0
  nsx $NS_S ip addr add 10.77.0.2/24 dev s0
  nsx $NS_C ip neigh replace 10.77.0.2 lladdr 02:77:00:00:00:02 dev c0 nud permanent
  nsx $NS_S ip neigh replace 10.77.0.1 lladdr 02:77:00:00:00:01 dev s0 nud permanent
  if [ "$fam" = 6 ]; then
    nsx $NS_C ip addr add fd77::1/64 dev c0 nodad
    nsx $NS_S ip addr add fd77::2/64 dev s0 nodad
    nsx $NS_C ip neigh replace fd77::2 lladdr 02:77:00:00:00:02 dev c0 nud permanent
    nsx $NS_S ip neigh replace fd77::1 lladdr 02:77:00:00:00:01 dev s0 nud permanent
  fi
}

nft_tables() {
  local ns
  for ns in $NS_C $NS_S; do
    nsx "$ns" nft add table inet rec
    nsx "$ns" nft add chain inet rec out '{ type filter hook output priority 0; policy accept; }'
  done
}

start_relay() {  # start_relay CMD...: runs until teardown, waits for "ready"
  local fifo; fifo=$(mktemp -u); mkfifo "$fifo"
  "$@" >"$fifo" &
  RELAY_PID=$!
  export RELAY_PID   # scenarios 17 and 18 pause the tun relay to hold packets on the wire
  read -r -t 5 line <"$fifo" || die "relay did not start"
  rm -f "$fifo"
  [ "$line" = ready ] || die "relay said: $line"
}

topology() {  # topology KIND FAMILY
  local kind=$1 fam=$2
  mkns $NS_C "$fam"; mkns $NS_S "$fam"
  case $kind in
    veth)
      ip link add c0 netns $NS_C type veth peer name s0 netns $NS_S
      quiet_veth $NS_C c0 02:77:00:00:00:01; quiet_veth $NS_S s0 02:77:00:00:00:02
      endpoint_addrs "$fam" ;;
    bridge|dot1q|qinq)
      mkns $NS_W 4
      ip link add c0 netns $NS_C type veth peer name wc netns $NS_W
      ip link add s0 netns $NS_S type veth peer name ws netns $NS_W
      quiet_veth $NS_C c0 02:77:00:00:00:01; quiet_veth $NS_S s0 02:77:00:00:00:02
      quiet_veth $NS_W wc; quiet_veth $NS_W ws
      endpoint_addrs "$fam"
      if [ "$kind" = bridge ]; then
        nsx $NS_W ip link add br0 type bridge mcast_snooping 0
        nsx $NS_W ip link set wc master br0
        nsx $NS_W ip link set ws master br0
        nsx $NS_W ip link set br0 up
        nsx $NS_W nft add table bridge wire
        nsx $NS_W nft add chain bridge wire drops '{ type filter hook forward priority 0; policy accept; }'
      else
        nsx $NS_W ip link add t1 type veth peer name t2
        quiet_veth $NS_W t1 02:77:00:00:00:f1; quiet_veth $NS_W t2 02:77:00:00:00:f2
        start_relay nsx $NS_W "$PY" "$HERE/scenarios.py" relay-vlan "$kind" wc t1 t2 ws
      fi ;;
    tun)
      nsx $NS_C ip tuntap add dev ct0 mode tun
      nsx $NS_S ip tuntap add dev st0 mode tun
      nsx $NS_C ip addr add 10.77.0.1 peer 10.77.0.2 dev ct0
      nsx $NS_S ip addr add 10.77.0.2 peer 10.77.0.1 dev st0
      if [ "$fam" = 6 ]; then
        nsx $NS_C ip addr add fd77::1 peer fd77::2 dev ct0 nodad
        nsx $NS_S ip addr add fd77::2 peer fd77::1 dev st0 nodad
      fi
      nsx $NS_C ip link set ct0 up; nsx $NS_S ip link set st0 up
      start_relay "$PY" "$HERE/scenarios.py" relay-tun $NS_C ct0 $NS_S st0
      if [ "$fam" = 6 ]; then  # the kernel adds no route to an IPv6 peer of a tun without carrier
        nsx $NS_C ip -6 route replace fd77::2 dev ct0
        nsx $NS_S ip -6 route replace fd77::1 dev st0
      fi ;;
    *) die "unknown topology $kind" ;;
  esac
  nft_tables
  # IPv6 sends a few MLD reports (at random times within ~2 s) when
  # addresses appear; let them pass before capturing so reruns are identical.
  if [ "$fam" = 6 ]; then sleep 2.5; else sleep 0.5; fi
}

run_one() {  # run_one ID NAME TOPO FAMILY CAPNS CAPIF FORMAT
  local id=$1 name=$2 topo=$3 fam=$4 capns=$5 capif=$6 fmt=$7
  local capture_ns; case $capns in c) capture_ns=$NS_C;; s) capture_ns=$NS_S;; w) capture_ns=$NS_W;; esac
  echo "== $id-$name  ($topo, IPv$fam, capture $capns:$capif, $fmt)" >&2
  topology "$topo" "$fam"
  if [ "$name" = unanswered-syn ]; then
    # classic doubling backoff (RFC 6298) instead of Linux 6.5+'s first 4
    # retransmissions at a fixed 1 s (tcp_syn_linear_timeouts)
    nsx $NS_C sysctl -qw net.ipv4.tcp_syn_retries=3
    nsx $NS_C sysctl -qew net.ipv4.tcp_syn_linear_timeouts=0
  fi
  if [ "$name" = orphan-fin-wait-2 ]; then
    nsx $NS_C sysctl -qw net.ipv4.tcp_fin_timeout=3
  fi
  if [ "$name" = fast-open ]; then   # client (1) and server (2) Fast Open
    nsx $NS_C sysctl -qw net.ipv4.tcp_fastopen=3
    nsx $NS_S sysctl -qw net.ipv4.tcp_fastopen=3
  fi
  local f
  f=$("$PY" "$HERE/scenarios.py" run "$name" --out "$OUTDIR/$id-$name" --fmt "$fmt" \
        --cap-ns "$capture_ns" --cap-if "$capif" --family "$fam" --cport $((40000 + 10#$id)))
  capinfos -t -E -T -a -c "$f" 2>/dev/null | sed 's/^/   /' >&2 || true
  teardown
}

if [ "${1:-}" = -o ]; then OUTDIR=$2; shift 2; fi
mkdir -p "$OUTDIR"; OUTDIR=$(cd "$OUTDIR" && pwd)
want=("$@")

while read -r id name topo fam capns capif fmt; do
  [ -z "$id" ] && continue
  if [ ${#want[@]} -gt 0 ]; then
    hit=0; for w in "${want[@]}"; do [ "$w" = "$id" ] || [ "$w" = "$name" ] || [ "$w" = "$id-$name" ] && hit=1; done
    [ $hit = 1 ] || continue
  fi
  run_one "$id" "$name" "$topo" "$fam" "$capns" "$capif" "$fmt"
done <<<"$TABLE"
