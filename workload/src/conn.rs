//! One synthetic connection: its addresses, sequence numbers and timing, and
//! the segments of its scenario, planned a chunk (one phase) at a time.
//!
//! Every planned segment carries the states both endpoints are in after it,
//! written down from the scenario's own semantics (RFC 9293), never computed
//! by a state machine. The time model that makes those states exact:
//!
//! * a segment is delivered to its receiver at its capture timestamp, except
//!   when the scenario says it is lost (captured, but never delivered) or that
//!   two segments cross (both are sent before either arrives: they are
//!   delivered right after the later one is sent);
//! * the round-trip time shows as the delay before the server answers (the
//!   capture point is near the client, whose answers take microseconds);
//! * timers run on capture timestamps: TIME_WAIT lasts 2×MSL from the segment
//!   that started (or restarted) it, and both ends of an unanswered SYN give
//!   up R2 after its last SYN (the client's retransmission, and the server's
//!   SYN,ACK answering it).

use crate::rng::Rng;
use crate::state::TcpState as St;
use crate::{Lifecycle, Start};

pub(super) const CLIENT: usize = 0;
pub(super) const SERVER: usize = 1;

pub(super) const FIN: u8 = 0x01;
pub(super) const SYN: u8 = 0x02;
pub(super) const RST: u8 = 0x04;
pub(super) const PSH: u8 = 0x08;
pub(super) const ACK: u8 = 0x10;

/// Which TCP options a segment carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Opt {
    None,
    /// MSS, SACK permitted, timestamps, window scale (Linux's SYN).
    Syn,
    /// The same on a SYN,ACK.
    SynAck,
    /// Timestamps.
    Ts,
    /// Timestamps and one SACK block.
    TsSack(u32, u32),
}

/// One planned segment.
#[derive(Clone, Copy, Debug)]
pub(super) struct Seg {
    /// Capture timestamp, microseconds since the epoch.
    pub at: i64,
    /// `CLIENT` or `SERVER`.
    pub from: u8,
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    pub win: u16,
    pub opt: Opt,
    pub tsval: u32,
    pub tsecr: u32,
    /// Frames of a group that must be captured whole, starting here (0: not
    /// the start of a group). The capture never ends inside a group.
    pub group: u8,
    /// A later frame of a group.
    pub cont: bool,
    /// The states of client and server after this segment.
    pub states: [St; 2],
    /// This segment starts (or restarts) TIME_WAIT for this endpoint.
    pub time_wait: Option<u8>,
    /// A SYN from the client: its R2 restarts here.
    pub syn: bool,
    /// A retransmission.
    pub rexmit: bool,
}

/// Where a connection is in its plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Open,
    Exchange,
    Close,
    Done,
}

/// The 4-tuple and link addresses of a connection.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tuple {
    pub v6: bool,
    /// IPv4 addresses are in the first four bytes.
    pub ip: [[u8; 16]; 2],
    pub port: [u16; 2],
    pub mac: [[u8; 6]; 2],
}

/// What the ground truth records of a connection while it runs.
#[derive(Clone, Copy, Debug)]
pub(super) struct Truth {
    pub states: [St; 2],
    /// When TIME_WAIT (re)started, per endpoint.
    pub time_wait_since: [Option<i64>; 2],
    /// The client's last SYN.
    pub syn_since: Option<i64>,
    pub stream: Option<u64>,
    pub first_frame: u64,
    pub last_frame: u64,
    pub packets: u64,
    pub rexmits: u32,
}

/// Linux's delayed-ACK timeout (µs): a request the server takes longer to
/// answer is acknowledged on its own first.
const DELAYED_ACK: i64 = 40_000;

/// Probability that an exchange loses a data segment after the capture
/// point (captured once, lost, then retransmitted).
const REXMIT_P: f64 = 0.03;

pub(super) struct Conn {
    pub rng: Rng,
    pub life: Lifecycle,
    pub start: Start,
    pub tuple: Tuple,
    pub ttl: [u8; 2],
    pub flow: [u32; 2],
    pub ip_id: [u16; 2],
    snd_nxt: [u32; 2],
    rcv_nxt: [u32; 2],
    ts_base: [u32; 2],
    ts_recent: [u32; 2],
    rtt: i64,
    stack: i64,
    srv: i64,
    gap: i64,
    mss: u32,
    exchanges: u32,
    stage: Stage,
    cur: [St; 2],
    /// Time of the last planned segment (or the start, before any).
    t: i64,
    pub chunk: Vec<Seg>,
    pub pos: usize,
    pub truth: Truth,
    /// The stream of the connection whose 4-tuple this one reopens.
    pub pred: Option<u64>,
    /// The capture ended while its next segment was due.
    pub stalled: bool,
}

impl Conn {
    /// A connection whose first segment is due at `start_at`, planning into
    /// `chunk` (a recycled buffer).
    pub(super) fn new(
        mut rng: Rng,
        life: Lifecycle,
        start: Start,
        tuple: Tuple,
        start_at: i64,
        chunk: Vec<Seg>,
    ) -> Conn {
        let v6 = tuple.v6;
        let rtt = rng.log_uniform(100.0, 50_000.0) as i64;
        let hops = rng.range(2, 20) as u8;
        let mut c = Conn {
            life,
            start,
            tuple,
            ttl: [64, 64 - hops],
            flow: [rng.next_u32() & 0xf_ffff, rng.next_u32() & 0xf_ffff],
            ip_id: [rng.next_u32() as u16, rng.next_u32() as u16],
            snd_nxt: [rng.next_u32(), rng.next_u32()],
            rcv_nxt: [0, 0],
            ts_base: [rng.next_u32(), rng.next_u32()],
            ts_recent: [0, 0],
            rtt,
            stack: rng.range(8, 80),
            srv: rng.log_uniform(30.0, 1_000_000.0) as i64,
            gap: rng.log_uniform(12.0, 1_200.0) as i64,
            mss: if v6 { 1428 } else { 1448 },
            exchanges: rng.geometric(6.7),
            stage: Stage::Open,
            cur: [St::Closed, St::Listen],
            t: start_at - 1,
            chunk,
            pos: 0,
            truth: Truth {
                states: [St::Closed, St::Listen],
                time_wait_since: [None, None],
                syn_since: None,
                stream: None,
                first_frame: 0,
                last_frame: 0,
                packets: 0,
                rexmits: 0,
            },
            pred: None,
            stalled: false,
            rng,
        };
        c.chunk.clear();
        c
    }

    /// The client's next sequence number (for choosing a reopening ISN).
    pub(super) fn client_snd_nxt(&self) -> u32 {
        self.snd_nxt[CLIENT]
    }

    /// Sets the client's ISN (a reopening SYN must use a new, larger one).
    pub(super) fn set_client_isn(&mut self, isn: u32) {
        self.snd_nxt[CLIENT] = isn;
    }

    /// Plans the next phase into `chunk`; false when the plan is over.
    pub(super) fn next_chunk(&mut self) -> bool {
        self.chunk.clear();
        self.pos = 0;
        loop {
            match self.stage {
                Stage::Open => self.open(),
                Stage::Exchange => {
                    if self.exchanges == 0 {
                        self.stage = Stage::Close;
                    } else {
                        self.exchanges -= 1;
                        let lead = self.think();
                        self.exchange(lead);
                    }
                }
                Stage::Close => {
                    self.close();
                    self.stage = Stage::Done;
                }
                Stage::Done => return false,
            }
            if !self.chunk.is_empty() {
                return true;
            }
        }
    }

    /// Applies a captured segment to the truth.
    pub(super) fn record(&mut self, s: &Seg, frame: u64) {
        let t = &mut self.truth;
        t.states = s.states;
        if let Some(r) = s.time_wait {
            t.time_wait_since[r as usize] = Some(s.at);
        }
        if s.syn {
            t.syn_since = Some(s.at);
        }
        if s.rexmit {
            t.rexmits += 1;
        }
        if t.packets == 0 {
            t.first_frame = frame;
        }
        t.packets += 1;
        t.last_frame = frame;
    }

    // ---- timing ----------------------------------------------------------

    /// The client's idle time before its next request (or close).
    fn think(&mut self) -> i64 {
        (self.rng.exp(1.5e6) as i64).clamp(1_000, 30_000_000)
    }

    /// A retransmission timeout (Linux: at least 200 ms, plus the RTT).
    fn rto(&mut self) -> i64 {
        200_000 + self.rtt + self.rng.range(0, 20_000)
    }

    /// How long an application takes to close after its peer's FIN.
    fn app(&mut self) -> i64 {
        self.rng.log_uniform(20.0, 50_000.0) as i64
    }

    // ---- segments ----------------------------------------------------------

    fn window(&self, from: usize, syn: bool) -> u16 {
        match (syn, from) {
            (true, CLIENT) => 64_240,
            (true, _) => 65_160,
            (false, CLIENT) => 2_048,
            (false, _) => 501,
        }
    }

    /// Plans a segment from `from` at `delay` µs after the previous one, with
    /// sequence number `seq`. With `deliver`, the receiver gets it at once.
    /// The segment records `self.cur` as the states after it.
    fn emit(
        &mut self,
        from: usize,
        delay: i64,
        flags: u8,
        seq: u32,
        len: u32,
        deliver: bool,
    ) -> &mut Seg {
        let at = self.t + delay.max(1);
        self.t = at;
        let to = 1 - from;
        let syn = flags & SYN != 0;
        let rst = flags & RST != 0;
        let span = if rst {
            0
        } else {
            len + u32::from(syn) + u32::from(flags & FIN != 0)
        };
        let tsval = self.ts_base[from].wrapping_add((at / 1000) as u32);
        let ack = if flags & ACK != 0 {
            self.rcv_nxt[from]
        } else {
            0
        };
        let tsecr = if flags & ACK != 0 {
            self.ts_recent[from]
        } else {
            0
        };
        let end = seq.wrapping_add(span);
        if !rst && (end.wrapping_sub(self.snd_nxt[from]) as i32) > 0 {
            self.snd_nxt[from] = end;
        }
        if deliver && !rst {
            if syn || self.rcv_nxt[to] == seq {
                self.rcv_nxt[to] = end;
            }
            self.ts_recent[to] = tsval;
        }
        let opt = if rst {
            Opt::None
        } else if syn && flags & ACK != 0 {
            Opt::SynAck
        } else if syn {
            Opt::Syn
        } else {
            Opt::Ts
        };
        let win = if rst { 0 } else { self.window(from, syn) };
        self.chunk.push(Seg {
            at,
            from: from as u8,
            flags,
            seq,
            ack,
            len,
            win,
            opt,
            tsval,
            tsecr,
            group: 0,
            cont: false,
            states: self.cur,
            time_wait: None,
            syn: false,
            rexmit: false,
        });
        self.chunk.last_mut().expect("just pushed")
    }

    /// Plans a new segment (next sequence number), delivered, after which
    /// the endpoints are in `states`.
    fn send(&mut self, from: usize, delay: i64, flags: u8, len: u32, states: [St; 2]) -> &mut Seg {
        self.cur = states;
        let seq = self.snd_nxt[from];
        self.emit(from, delay, flags, seq, len, true)
    }

    /// A pure ACK from `from`, delivered, states unchanged.
    fn ack(&mut self, from: usize, delay: i64) -> &mut Seg {
        let states = self.cur;
        self.send(from, delay, ACK, 0, states)
    }

    // ---- phases ------------------------------------------------------------

    fn open(&mut self) {
        match self.start {
            Start::MidStream => {
                // Joined while open: both established, everything delivered.
                self.cur = [St::Established, St::Established];
                self.rcv_nxt = [self.snd_nxt[SERVER], self.snd_nxt[CLIENT]];
                let now = (self.t / 1000) as u32;
                self.ts_recent = [
                    self.ts_base[SERVER].wrapping_add(now),
                    self.ts_base[CLIENT].wrapping_add(now),
                ];
                self.exchanges = self.exchanges.max(1);
                let lead = self.rng.range(1, 1_000);
                if self.rng.chance(0.3) {
                    // The capture starts inside a response.
                    self.exchanges -= 1;
                    self.response(lead, false);
                }
                self.stage = Stage::Exchange;
            }
            Start::Syn | Start::Reuse => match self.life {
                Lifecycle::Refused => {
                    self.cur = [St::SynSent, St::Closed];
                    let isn = self.snd_nxt[CLIENT];
                    let s = self.emit(CLIENT, 1, SYN, isn, 0, true);
                    s.group = 2;
                    s.syn = true;
                    // RFC 9293 3.10.7.1: CLOSED answers <SEQ=0><ACK=ISN+1><CTL=RST,ACK>.
                    self.cur = [St::Closed, St::Closed];
                    let delay = self.rtt + self.rng.range(5, 60);
                    let s = self.emit(SERVER, delay, RST | ACK, 0, 0, true);
                    s.cont = true;
                    self.stage = Stage::Done;
                }
                Lifecycle::Unanswered => {
                    // A filter on the server's side drops every SYN,ACK it
                    // sends, before the capture point (as in
                    // testdata/real/11-unanswered-syn): the listening server
                    // gets each SYN (RFC 9293 3.10.7.2: LISTEN -> SYN-RECEIVED)
                    // and treats the repeated ones as duplicates, which it
                    // answers with SYN,ACKs nobody sees. Linux backs off 1, 2,
                    // 4 ... s between the client's retransmissions.
                    let retries = self.rng.pick(&[20, 20, 15, 15, 10, 10, 10]) as u32;
                    self.cur = [St::SynSent, St::SynReceived];
                    let isn = self.snd_nxt[CLIENT];
                    for i in 0..=retries {
                        let delay = if i == 0 { 1 } else { 1_000_000 << (i - 1) };
                        let s = self.emit(CLIENT, delay, SYN, isn, 0, false);
                        s.syn = true;
                        s.rexmit = i > 0;
                    }
                    self.stage = Stage::Done;
                }
                _ => {
                    self.handshake();
                    self.stage = Stage::Exchange;
                    // The first request follows the handshake at once.
                    if self.exchanges > 0 {
                        self.exchanges -= 1;
                        let lead = self.stack;
                        self.exchange(lead);
                    }
                }
            },
        }
    }

    fn handshake(&mut self) {
        let s = self.send(CLIENT, 1, SYN, 0, [St::SynSent, St::SynReceived]);
        s.syn = true;
        let delay = self.rtt + self.rng.range(5, 60);
        self.send(
            SERVER,
            delay,
            SYN | ACK,
            0,
            [St::Established, St::SynReceived],
        );
        let delay = self.stack;
        self.send(CLIENT, delay, ACK, 0, [St::Established, St::Established]);
    }

    /// A request from the client and the server's response.
    fn exchange(&mut self, lead: i64) {
        let lose = self.rng.chance(REXMIT_P);
        let lose_request = lose && self.rng.chance(0.3);
        let len = self.rng.log_uniform(20.0, 1_400.0) as u32;
        let seq = self.snd_nxt[CLIENT];
        self.emit(CLIENT, lead, PSH | ACK, seq, len, !lose_request);
        if lose_request {
            let rto = self.rto();
            self.emit(CLIENT, rto, PSH | ACK, seq, len, true).rexmit = true;
        }
        let mut lead = self.rtt + self.srv;
        if self.srv > DELAYED_ACK {
            // A slow answer: the server's delayed ACK goes out first.
            self.ack(SERVER, self.rtt + DELAYED_ACK);
            lead = self.srv - DELAYED_ACK;
        }
        self.response(lead, lose && !lose_request);
    }

    /// The server's response, `lead` µs after the previous segment, with the
    /// client's ACKs (every second segment). With `lose`, one segment is lost
    /// after the capture point: the client's duplicate ACKs (with SACK on
    /// IPv4) follow, then the retransmission.
    fn response(&mut self, lead: i64, lose: bool) {
        let m = 1 + self.rng.geometric(1.8).min(39);
        let last_len = self.rng.range(1, i64::from(self.mss)) as u32;
        let lost = lose.then(|| self.rng.below(u64::from(m)) as u32);
        let mut hole: Option<(u32, u32)> = None;
        let mut dupacks = 0;
        // Delayed ACKs acknowledge every second segment; in quick-ACK mode
        // (Linux, e.g. after idle) every one.
        let quick = self.rng.chance(0.3);
        for k in 0..m {
            let last = k + 1 == m;
            let len = if last { last_len } else { self.mss };
            let flags = if last { PSH | ACK } else { ACK };
            let delay = if k == 0 { lead } else { self.gap };
            let seq = self.snd_nxt[SERVER];
            let is_lost = lost == Some(k);
            self.emit(SERVER, delay, flags, seq, len, !is_lost);
            if is_lost {
                hole = Some((seq, len));
                continue;
            }
            if let Some((hs, hl)) = hole {
                // Out of order: buffered, answered by a duplicate ACK.
                let high = seq.wrapping_add(len);
                let v6 = self.tuple.v6;
                let delay = self.stack;
                let s = self.ack(CLIENT, delay);
                if !v6 {
                    // (IPv6 with SACK would not fit the 96-byte snapshot.)
                    s.opt = Opt::TsSack(hs.wrapping_add(hl), high);
                }
                dupacks += 1;
            } else if quick || k % 2 == 1 || last {
                let delay = self.stack;
                self.ack(CLIENT, delay);
            }
        }
        if let Some((hs, hl)) = hole {
            let wait = if dupacks >= 3 { self.rtt } else { self.rto() };
            let flags = if hs.wrapping_add(hl) == self.snd_nxt[SERVER] {
                PSH | ACK
            } else {
                ACK
            };
            self.emit(SERVER, wait, flags, hs, hl, true).rexmit = true;
            // The client had buffered everything after the hole.
            self.rcv_nxt[CLIENT] = self.snd_nxt[SERVER];
            let delay = self.stack;
            self.ack(CLIENT, delay);
        }
    }

    fn close(&mut self) {
        use St::*;
        let idle = self.think();
        match self.life {
            Lifecycle::ClientClose | Lifecycle::LostFinalAck => {
                self.send(CLIENT, idle, FIN | ACK, 0, [FinWait1, CloseWait]);
                let d = self.rtt;
                self.send(SERVER, d, ACK, 0, [FinWait2, CloseWait]);
                let d = self.app();
                let s = self.send(SERVER, d, FIN | ACK, 0, [TimeWait, LastAck]);
                s.time_wait = Some(CLIENT as u8);
                if self.life == Lifecycle::LostFinalAck {
                    // The client's ACK is lost before the capture point: not
                    // captured, not delivered. The server retransmits its FIN;
                    // TIME_WAIT acknowledges it and restarts 2×MSL
                    // (RFC 9293 3.10.7.4, eighth check).
                    let fin_seq = self.snd_nxt[SERVER].wrapping_sub(1);
                    let d = self.rto();
                    let s = self.emit(SERVER, d, FIN | ACK, fin_seq, 0, true);
                    s.time_wait = Some(CLIENT as u8);
                    s.rexmit = true;
                }
                let d = self.stack;
                self.send(CLIENT, d, ACK, 0, [TimeWait, Closed]);
            }
            Lifecycle::ClientCloseFinAck => {
                self.send(CLIENT, idle, FIN | ACK, 0, [FinWait1, CloseWait]);
                // The server's FIN acknowledges the client's: FIN-WAIT-1
                // goes straight to TIME-WAIT.
                let d = self.rtt;
                let s = self.send(SERVER, d, FIN | ACK, 0, [TimeWait, LastAck]);
                s.time_wait = Some(CLIENT as u8);
                let d = self.stack;
                self.send(CLIENT, d, ACK, 0, [TimeWait, Closed]);
            }
            Lifecycle::ServerClose | Lifecycle::Reopened => {
                self.send(SERVER, idle, FIN | ACK, 0, [CloseWait, FinWait1]);
                let d = self.stack;
                self.send(CLIENT, d, ACK, 0, [CloseWait, FinWait2]);
                let d = self.app();
                let s = self.send(CLIENT, d, FIN | ACK, 0, [LastAck, TimeWait]);
                s.time_wait = Some(SERVER as u8);
                let d = self.rtt;
                self.send(SERVER, d, ACK, 0, [Closed, TimeWait]);
            }
            Lifecycle::ServerCloseFinAck => {
                self.send(SERVER, idle, FIN | ACK, 0, [CloseWait, FinWait1]);
                let d = self.stack + self.app();
                let s = self.send(CLIENT, d, FIN | ACK, 0, [LastAck, TimeWait]);
                s.time_wait = Some(SERVER as u8);
                let d = self.rtt;
                self.send(SERVER, d, ACK, 0, [Closed, TimeWait]);
            }
            Lifecycle::HalfClose => {
                // The client shuts down its sending side; the server goes on
                // sending, then closes too.
                self.send(CLIENT, idle, FIN | ACK, 0, [FinWait1, CloseWait]);
                let d = self.rtt;
                self.send(SERVER, d, ACK, 0, [FinWait2, CloseWait]);
                for _ in 0..self.rng.range(1, 3) {
                    let lead = self.rng.log_uniform(1_000.0, 2_000_000.0) as i64;
                    self.response(lead, false);
                }
                let d = self.app();
                let s = self.send(SERVER, d, FIN | ACK, 0, [TimeWait, LastAck]);
                s.time_wait = Some(CLIENT as u8);
                let d = self.stack;
                self.send(CLIENT, d, ACK, 0, [TimeWait, Closed]);
            }
            Lifecycle::SimultaneousClose => {
                // Both FINs are sent before either arrives; each then
                // acknowledges the other's (RFC 9293 Figure 13).
                let x = self.rng.below(2) as usize;
                let y = 1 - x;
                let mut states = [Established; 2];
                states[x] = FinWait1;
                self.cur = states;
                let seq = self.snd_nxt[x];
                let s = self.emit(x, idle, FIN | ACK, seq, 0, false);
                s.group = 2;
                let (x_fin, x_ts) = (s.seq, s.tsval);
                self.cur = [Closing, Closing];
                let seq = self.snd_nxt[y];
                let d = self.rng.range(1, (self.rtt / 2).max(2));
                let s = self.emit(y, d, FIN | ACK, seq, 0, false);
                s.cont = true;
                let (y_fin, y_ts) = (s.seq, s.tsval);
                // Both FINs arrive now.
                self.rcv_nxt[y] = x_fin.wrapping_add(1);
                self.ts_recent[y] = x_ts;
                self.rcv_nxt[x] = y_fin.wrapping_add(1);
                self.ts_recent[x] = y_ts;
                let a = self.rng.below(2) as usize;
                let b = 1 - a;
                let mut states = [Closing; 2];
                states[b] = TimeWait;
                let d = self.stack;
                let s = self.send(a, d, ACK, 0, states);
                s.time_wait = Some(b as u8);
                let d = self.rng.range(1, self.rtt.max(2));
                let s = self.send(b, d, ACK, 0, [TimeWait, TimeWait]);
                s.time_wait = Some(a as u8);
            }
            Lifecycle::ClientReset | Lifecycle::ServerReset => {
                // ABORT (RFC 9293 3.10.5): <SEQ=SND.NXT><CTL=RST>, with ACK
                // as Linux sends it, or without as the RFC writes it. The
                // receiver gets it at RCV.NXT and closes.
                let x = if self.life == Lifecycle::ClientReset {
                    CLIENT
                } else {
                    SERVER
                };
                let flags = if self.rng.chance(0.5) { RST | ACK } else { RST };
                self.send(x, idle, flags, 0, [Closed, Closed]);
            }
            Lifecycle::Refused | Lifecycle::Unanswered => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tuple() -> Tuple {
        Tuple {
            v6: false,
            ip: [[10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0; 16]],
            port: [40000, 80],
            mac: [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]],
        }
    }

    fn plan(life: Lifecycle, start: Start, seed: u64) -> Vec<Seg> {
        let mut c = Conn::new(Rng::new(seed), life, start, tuple(), 1_000_000, Vec::new());
        let mut all = Vec::new();
        while c.next_chunk() {
            all.extend_from_slice(&c.chunk);
        }
        all
    }

    #[test]
    fn plans_are_in_time_order_and_end_where_their_scenario_says() {
        use St::*;
        let ends = [
            (Lifecycle::ClientClose, [TimeWait, Closed]),
            (Lifecycle::ClientCloseFinAck, [TimeWait, Closed]),
            (Lifecycle::ServerClose, [Closed, TimeWait]),
            (Lifecycle::ServerCloseFinAck, [Closed, TimeWait]),
            (Lifecycle::HalfClose, [TimeWait, Closed]),
            (Lifecycle::SimultaneousClose, [TimeWait, TimeWait]),
            (Lifecycle::ClientReset, [Closed, Closed]),
            (Lifecycle::ServerReset, [Closed, Closed]),
            (Lifecycle::Refused, [Closed, Closed]),
            (Lifecycle::Unanswered, [SynSent, SynReceived]),
            (Lifecycle::LostFinalAck, [TimeWait, Closed]),
        ];
        for seed in 0..50 {
            for (life, end) in ends {
                let segs = plan(life, Start::Syn, seed);
                assert!(segs.windows(2).all(|w| w[0].at < w[1].at), "{life:?}");
                assert_eq!(segs.last().unwrap().states, end, "{life:?} seed {seed}");
                let opens = segs.iter().filter(|s| s.group > 1).count();
                let conts = segs.iter().filter(|s| s.cont).count();
                assert_eq!(opens, conts, "{life:?}");
            }
        }
    }

    #[test]
    fn acknowledgments_never_run_ahead_of_what_was_sent() {
        for seed in 0..200 {
            let segs = plan(Lifecycle::ClientClose, Start::Syn, seed);
            let mut sent_end = [None::<u32>; 2];
            for s in &segs {
                let from = s.from as usize;
                if s.flags & ACK != 0 && s.flags & SYN == 0 {
                    if let Some(e) = sent_end[1 - from] {
                        assert!((e.wrapping_sub(s.ack) as i32) >= 0, "seed {seed}: {s:?}");
                    }
                }
                let span = s.len + u32::from(s.flags & SYN != 0) + u32::from(s.flags & FIN != 0);
                let end = s.seq.wrapping_add(span);
                sent_end[from] = Some(match sent_end[from] {
                    Some(e) if (e.wrapping_sub(end) as i32) > 0 => e,
                    _ => end,
                });
            }
        }
    }
}
