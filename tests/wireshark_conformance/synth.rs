pub const FIN: u16 = 0x01;
pub const SYN: u16 = 0x02;
pub const RST: u16 = 0x04;
pub const PSH: u16 = 0x08;
pub const ACK: u16 = 0x10;

use crate::common::Rng;

fn sum16(mut acc: u32, bytes: &[u8]) -> u32 {
    for ch in bytes.chunks(2) {
        let w = if ch.len() == 2 {
            u16::from_be_bytes([ch[0], ch[1]])
        } else {
            u16::from_be_bytes([ch[0], 0])
        };
        acc += u32::from(w);
    }
    acc
}

fn fold(mut acc: u32) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An Ethernet frame with an IPv4/TCP packet (checksums right).
#[allow(clippy::too_many_arguments)]
pub fn packet(
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u16,
    win: u16,
    wscale: Option<u8>,
    len: usize,
) -> Vec<u8> {
    let opts: &[u8] = match wscale {
        Some(_) => &[1, 3, 3, 0],
        None => &[],
    };
    let thl = 20 + opts.len();
    let mut tcp = Vec::with_capacity(thl + len);
    tcp.extend_from_slice(&sport.to_be_bytes());
    tcp.extend_from_slice(&dport.to_be_bytes());
    tcp.extend_from_slice(&seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.push(((thl / 4) as u8) << 4 | (flags >> 8) as u8);
    tcp.push(flags as u8);
    tcp.extend_from_slice(&win.to_be_bytes());
    tcp.extend_from_slice(&[0, 0, 0, 0]);
    tcp.extend_from_slice(opts);
    if let Some(s) = wscale {
        tcp[20 + 3] = s;
    }
    tcp.extend(std::iter::repeat_n(b'x', len));
    let mut pseudo = Vec::with_capacity(12);
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 6]);
    pseudo.extend_from_slice(&(tcp.len() as u16).to_be_bytes());
    let ck = fold(sum16(sum16(0, &pseudo), &tcp));
    tcp[16..18].copy_from_slice(&ck.to_be_bytes());

    let total = 20 + tcp.len();
    let mut ip = vec![0x45, 0];
    ip.extend_from_slice(&(total as u16).to_be_bytes());
    ip.extend_from_slice(&[0, 1, 0x40, 0, 64, 6, 0, 0]);
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let ck = fold(sum16(0, &ip));
    ip[10..12].copy_from_slice(&ck.to_be_bytes());

    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&ip);
    f.extend_from_slice(&tcp);
    f
}

/// A nanosecond pcap file (link type Ethernet).
pub fn pcap(frames: &[(i64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (ts, f) in frames {
        out.extend_from_slice(&((ts / 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((ts % 1_000_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

/// The frames of a file written by [`pcap`].
pub fn frames(file: &[u8]) -> Vec<(i64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 24;
    let word = |i: usize| u32::from_le_bytes(file[i..i + 4].try_into().unwrap());
    while at + 16 <= file.len() {
        let ts = i64::from(word(at)) * 1_000_000_000 + i64::from(word(at + 4));
        let len = word(at + 8) as usize;
        out.push((ts, file[at + 16..at + 16 + len].to_vec()));
        at += 16 + len;
    }
    out
}

/// One end of a generated conversation.
#[derive(Clone, Copy)]
struct End {
    addr: [u8; 4],
    port: u16,
    isn: u32,
    /// Next sequence number to send.
    nxt: u32,
    /// Last acknowledgment and window sent.
    ack: u32,
    win: u16,
}

struct Gen {
    rng: Rng,
    t: i64,
    backwards: bool,
    frames: Vec<(i64, Vec<u8>)>,
}

impl Gen {
    fn emit(&mut self, s: &End, r: &End, seq: u32, flags: u16, len: u32, ws: Option<u8>) {
        let ack = s.ack;
        let p = packet(
            s.addr,
            r.addr,
            s.port,
            r.port,
            seq,
            ack,
            flags,
            s.win,
            ws,
            len as usize,
        );
        self.frames.push((self.t, p));
    }

    fn tick(&mut self) {
        let step = self.rng.pick(&[
            50_000i64,
            500_000,
            1_000_000,
            2_000_000,
            2_900_000,
            4_000_000,
            10_000_000,
            19_000_000,
            30_000_000,
            200_000_000,
            1_000_000_000,
        ]);
        self.t += step;
        if self.backwards && self.rng.chance(8) {
            self.t -= self.rng.pick(&[500_000, 3_000_000, 50_000_000]);
        }
    }

    /// One event on conversation `(a, b)`, sent by `a` (and maybe
    /// answered by `b`).
    fn event(&mut self, a: &mut End, b: &mut End) {
        let rng = &mut self.rng;
        // What the sender acknowledges: usually everything of the peer.
        a.ack = match rng.below(100) {
            0..=84 => b.nxt,
            85..=91 => a.ack,
            92..=95 => b.nxt.wrapping_add(rng.pick(&[1, 100, 5000])),
            _ => b.nxt.wrapping_sub(rng.pick(&[1, 100])),
        };
        if rng.chance(12) {
            a.win = rng.pick(&[0, 0, 1, 10, 100, 1000, 8192, 65535]);
        }
        let ws = rng.chance(50).then(|| rng.pick(&[0u8, 1, 3, 7, 14, 15]));
        let lens = [1u32, 1, 2, 10, 100, 536, 1460];
        match rng.below(100) {
            0..=4 => {
                // SYN, often with a new ISN (a new stream, or a reuse).
                if rng.chance(50) {
                    let fresh = rng.next() as u32;
                    a.isn = rng.pick(&[0, 1000, u32::MAX - 40, fresh]);
                }
                if rng.chance(40) {
                    a.ack = 0;
                }
                a.nxt = a.isn.wrapping_add(1);
                self.emit(a, b, a.isn, SYN, 0, ws);
            }
            5..=8 => {
                if rng.chance(30) {
                    a.isn = rng.next() as u32;
                }
                a.nxt = a.isn.wrapping_add(1);
                self.emit(a, b, a.isn, SYN | ACK, 0, ws);
            }
            9..=44 => {
                // Data, sometimes exactly filling the peer's window.
                let fill = b.ack.wrapping_add(u32::from(b.win)).wrapping_sub(a.nxt);
                let len = if rng.chance(15) && (1..3000).contains(&fill) {
                    fill
                } else {
                    rng.pick(&lens)
                };
                let seq = a.nxt;
                a.nxt = a.nxt.wrapping_add(len);
                self.emit(a, b, seq, PSH | ACK, len, None);
            }
            45..=62 => {
                let seq = a.nxt;
                self.emit(a, b, seq, ACK, 0, None);
            }
            63..=68 => {
                // Resend something sent before.
                let back = rng.pick(&[1u32, 10, 100, 1460, 3000]);
                let len = rng.pick(&lens);
                let seq = a.nxt.wrapping_sub(back);
                self.emit(a, b, seq, PSH | ACK, len, None);
            }
            69..=72 => {
                // A hole: the segment before was not captured.
                a.nxt = a.nxt.wrapping_add(rng.pick(&[1u32, 100, 1460]));
                let len = rng.pick(&lens);
                let seq = a.nxt;
                a.nxt = a.nxt.wrapping_add(len);
                self.emit(a, b, seq, PSH | ACK, len, None);
            }
            73..=75 => {
                // Keep-alive, and maybe its answer.
                let len = rng.below(2) as u32;
                let seq = a.nxt.wrapping_sub(1);
                self.emit(a, b, seq, ACK, len, None);
                if self.rng.chance(70) {
                    self.tick();
                    let seq = b.nxt;
                    self.emit(b, a, seq, ACK, 0, None);
                }
            }
            76..=79 => {
                // The peer closes its window; a probe; its answer.
                b.win = 0;
                b.ack = a.nxt;
                let seq = b.nxt;
                self.emit(b, a, seq, ACK, 0, None);
                self.tick();
                let seq = a.nxt;
                self.emit(a, b, seq, PSH | ACK, 1, None);
                if self.rng.chance(30) {
                    a.nxt = a.nxt.wrapping_add(1);
                    b.ack = a.nxt;
                }
                self.tick();
                let seq = b.nxt;
                self.emit(b, a, seq, ACK, 0, None);
            }
            80..=84 => {
                // Duplicate ACKs from the peer, then a quick resend.
                let hole = a.nxt.wrapping_sub(rng.pick(&[100u32, 536, 1460]));
                b.ack = hole;
                for _ in 0..self.rng.pick(&[1, 2, 3, 4]) {
                    self.tick_small();
                    let seq = b.nxt;
                    self.emit(b, a, seq, ACK, 0, None);
                }
                self.tick_small();
                let len = self.rng.pick(&[100u32, 536]);
                self.emit(a, b, hole, PSH | ACK, len, None);
            }
            85..=88 => {
                let seq = a.nxt;
                a.nxt = a.nxt.wrapping_add(1);
                self.emit(a, b, seq, FIN | ACK, 0, None);
            }
            89..=91 => {
                let seq = if rng.chance(80) {
                    a.nxt
                } else {
                    rng.next() as u32
                };
                let f = if rng.chance(50) { RST } else { RST | ACK };
                self.emit(a, b, seq, f, 0, None);
            }
            92..=94 => {
                // Odd combinations.
                let f = rng.pick(&[0, FIN, SYN | FIN, SYN | RST, FIN | PSH | ACK, PSH]);
                let len = rng.pick(&[0u32, 0, 10]);
                let seq = a.nxt;
                self.emit(a, b, seq, f, len, None);
            }
            _ => {
                // A pure window change.
                a.win = rng.pick(&[1, 100, 1000, 2000, 65535]);
                let seq = a.nxt;
                self.emit(a, b, seq, ACK, 0, None);
            }
        }
    }

    fn tick_small(&mut self) {
        self.t += self.rng.pick(&[100_000i64, 1_000_000, 5_000_000]);
    }
}

/// A capture of two conversations to one server, `n` events long.
pub fn capture(seed: u64, n: usize, backwards: bool) -> Vec<u8> {
    let mut g = Gen {
        rng: Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
        t: 1_700_000_000_000_000_000,
        backwards,
        frames: Vec::new(),
    };
    let server = [10, 0, 0, 2];
    let mut ends: Vec<(End, End)> = [[10, 0, 0, 1], [10, 0, 0, 3]]
        .into_iter()
        .map(|client| {
            let isn = g.rng.pick(&[0, 1000, u32::MAX - 20]);
            let c = End {
                addr: client,
                port: 40000,
                isn,
                nxt: isn,
                ack: 0,
                win: 1000,
            };
            let isn = g.rng.next() as u32;
            let s = End {
                addr: server,
                port: 80,
                isn,
                nxt: isn,
                ..c
            };
            (c, s)
        })
        .collect();
    for _ in 0..n {
        let i = g.rng.below(ends.len() as u64) as usize;
        g.tick();
        let (c, s) = &mut ends[i];
        if g.rng.chance(50) {
            g.event(c, s);
        } else {
            g.event(s, c);
        }
    }
    pcap(&g.frames)
}
