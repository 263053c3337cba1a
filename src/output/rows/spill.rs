//! Rows waiting for stream order may spill to a temporary file: a compact
//! binary form, read back only by this process.

use super::names::{BASES, CONN_STATES, ROLES, flag_name};
use super::{AnomalyRow, ConnectionRow, Endpoint, IcmpRow, TransitionRow, TunnelRow, ZeekPiece};
use crate::anomaly::AnomalyKind;
use crate::output::order::Spill;
use crate::select::OUTCOMES;
use crate::state::TcpState;
use crate::vocab::Role;
use crate::wireshark::Flag;
use std::net::IpAddr;

struct Enc<'a>(&'a mut Vec<u8>);

impl Enc<'_> {
    fn u(&mut self, n: u64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn i(&mut self, n: i64) {
        self.0.extend_from_slice(&n.to_le_bytes());
    }
    fn b(&mut self, x: u8) {
        self.0.push(x);
    }
    fn s(&mut self, s: &str) {
        self.u(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
    fn opt_i(&mut self, n: Option<i64>) {
        self.b(u8::from(n.is_some()));
        self.i(n.unwrap_or(0));
    }
    fn opt_small(&mut self, n: Option<usize>) {
        self.b(n.map_or(u8::MAX, |n| n as u8));
    }
    fn ip(&mut self, ip: IpAddr) {
        self.s(&ip.to_string());
    }
}

struct Dec<'a>(&'a [u8]);

impl Dec<'_> {
    fn take(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.0.len());
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    fn u(&mut self) -> u64 {
        let mut b = [0u8; 8];
        let t = self.take(8);
        b[..t.len()].copy_from_slice(t);
        u64::from_le_bytes(b)
    }
    fn i(&mut self) -> i64 {
        self.u() as i64
    }
    fn b(&mut self) -> u8 {
        self.take(1).first().copied().unwrap_or(0)
    }
    fn s(&mut self) -> String {
        let n = usize::try_from(self.u()).unwrap_or(usize::MAX);
        String::from_utf8_lossy(self.take(n)).into_owned()
    }
    fn opt_i(&mut self) -> Option<i64> {
        let some = self.b() == 1;
        let n = self.i();
        some.then_some(n)
    }
    fn opt_small(&mut self) -> Option<usize> {
        let n = self.b();
        (n != u8::MAX).then_some(usize::from(n))
    }
    fn ip(&mut self) -> IpAddr {
        self.s()
            .parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }
}

fn index_of<T: PartialEq>(all: &[T], x: &T) -> usize {
    all.iter().position(|y| y == x).unwrap_or(0)
}

fn nth<T: Copy>(all: &[T], i: usize) -> T {
    all.get(i).copied().unwrap_or(all[0])
}

fn enc_state(e: &mut Enc, s: TcpState) {
    e.b(index_of(&TcpState::ALL, &s) as u8);
}

fn dec_state(d: &mut Dec) -> TcpState {
    nth(&TcpState::ALL, usize::from(d.b()))
}

impl Spill for ConnectionRow {
    fn size(&self) -> usize {
        std::mem::size_of::<ConnectionRow>()
            + self.zeek_pieces.len() * 64
            + self
                .anomalies
                .iter()
                .map(|a| a.description.len() + 48)
                .sum::<usize>()
            + self.lifecycle.len() * std::mem::size_of::<TransitionRow>()
            + self.analysis_counts.len() * 16
    }

    fn encode(&self, out: &mut Vec<u8>) {
        let mut e = Enc(out);
        e.u(self.stream);
        for ep in [self.client, self.server] {
            e.ip(ep.ip);
            e.u(u64::from(ep.port));
        }
        e.b(u8::from(self.roles_guessed));
        e.b(u8::from(self.mid_stream));
        e.u(self.first_frame);
        e.u(self.last_frame);
        e.i(self.start_ns);
        e.i(self.duration_ns);
        for n in self.packets.iter().chain(&self.bytes) {
            e.u(*n);
        }
        for s in self.initial_state.iter().chain(&self.final_state) {
            enc_state(&mut e, *s);
        }
        for u in self.final_state_uncertain {
            e.opt_small(u.map(|s| index_of(&TcpState::ALL, &s)));
        }
        e.opt_small(self.active_closer.map(Role::index));
        e.b(index_of(&OUTCOMES, &self.outcome) as u8);
        e.u(self.zeek_pieces.len() as u64);
        for z in &self.zeek_pieces {
            e.u(z.first_frame);
            e.b(index_of(&CONN_STATES, &z.conn_state) as u8);
            e.s(&z.history);
            e.u(z.missed_bytes);
            e.u(z.last_frame);
        }
        e.u(self.anomalies.len() as u64);
        for a in &self.anomalies {
            e.u(index_of(AnomalyKind::ALL, &a.id) as u64);
            e.u(a.frame);
            e.opt_small(a.endpoint.map(Role::index));
            e.s(&a.description);
        }
        e.u(self.anomalies_dropped);
        e.u(self.lifecycle.len() as u64);
        for t in &self.lifecycle {
            e.u(t.frame);
            e.i(t.ts_ns);
            e.b(t.endpoint.index() as u8);
            enc_state(&mut e, t.from);
            enc_state(&mut e, t.to);
            e.b(index_of(&BASES, &t.basis) as u8);
        }
        e.u(self.analysis_counts.len() as u64);
        for (f, n) in &self.analysis_counts {
            e.b(*f as u8);
            e.u(*n);
        }
        e.u(self.revisions);
        e.u(self.tunnels.len() as u64);
        for t in &self.tunnels {
            e.u(t.path.len() as u64);
            for k in &t.path {
                e.s(k);
            }
            e.b(t.depth);
            e.ip(t.src);
            e.ip(t.dst);
            e.opt_i(t.id.map(i64::from));
            e.u(t.packets);
        }
        e.u(self.icmp_errors.len() as u64);
        for x in &self.icmp_errors {
            e.u(x.frame);
            e.b(x.version);
            e.b(x.icmp_type);
            e.b(x.code);
            e.s(&x.description);
            e.ip(x.from);
            e.b(x.about.index() as u8);
            e.u(x.flags.len() as u64);
            for f in &x.flags {
                e.s(f);
            }
            e.u(u64::from(x.seq));
        }
        e.opt_i(self.initial_rtt_ns);
    }

    fn decode(bytes: &[u8]) -> ConnectionRow {
        let mut d = Dec(bytes);
        let stream = d.u();
        let mut ends = [Endpoint {
            ip: IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            port: 0,
        }; 2];
        for ep in &mut ends {
            ep.ip = d.ip();
            ep.port = d.u() as u16;
        }
        let roles_guessed = d.b() == 1;
        let mid_stream = d.b() == 1;
        let first_frame = d.u();
        let last_frame = d.u();
        let start_ns = d.i();
        let duration_ns = d.i();
        let packets = [d.u(), d.u()];
        let bytes = [d.u(), d.u()];
        let initial_state = [dec_state(&mut d), dec_state(&mut d)];
        let final_state = [dec_state(&mut d), dec_state(&mut d)];
        let final_state_uncertain = [
            d.opt_small().map(|i| nth(&TcpState::ALL, i)),
            d.opt_small().map(|i| nth(&TcpState::ALL, i)),
        ];
        let active_closer = d.opt_small().map(|i| nth(&ROLES, i));
        let outcome = nth(&OUTCOMES, usize::from(d.b()));
        // Lengths are capped by what is left, so a damaged spill cannot ask
        // for a huge allocation.
        let count = |d: &mut Dec| (d.u() as usize).min(d.0.len());
        let n = count(&mut d);
        let zeek_pieces = (0..n)
            .map(|_| ZeekPiece {
                first_frame: d.u(),
                conn_state: nth(&CONN_STATES, usize::from(d.b())),
                history: d.s(),
                missed_bytes: d.u(),
                last_frame: d.u(),
            })
            .collect();
        let n = count(&mut d);
        let anomalies = (0..n)
            .map(|_| AnomalyRow {
                id: nth(AnomalyKind::ALL, d.u() as usize),
                frame: d.u(),
                endpoint: d.opt_small().map(|i| nth(&ROLES, i)),
                description: d.s(),
            })
            .collect();
        let anomalies_dropped = d.u();
        let n = count(&mut d);
        let lifecycle = (0..n)
            .map(|_| TransitionRow {
                frame: d.u(),
                ts_ns: d.i(),
                endpoint: nth(&ROLES, usize::from(d.b())),
                from: dec_state(&mut d),
                to: dec_state(&mut d),
                basis: nth(&BASES, usize::from(d.b())),
            })
            .collect();
        let n = count(&mut d);
        let analysis_counts = (0..n)
            .map(|_| (nth(&Flag::ALL, usize::from(d.b())), d.u()))
            .collect();
        ConnectionRow {
            stream,
            client: ends[0],
            server: ends[1],
            roles_guessed,
            mid_stream,
            first_frame,
            last_frame,
            start_ns,
            duration_ns,
            packets,
            bytes,
            initial_state,
            final_state,
            final_state_uncertain,
            active_closer,
            outcome,
            zeek_pieces,
            anomalies,
            anomalies_dropped,
            lifecycle,
            analysis_counts,
            revisions: d.u(),
            tunnels: {
                let n = count(&mut d);
                (0..n)
                    .map(|_| {
                        let k = count(&mut d);
                        TunnelRow {
                            path: (0..k).map(|_| d.s()).collect(),
                            depth: d.b(),
                            src: d.ip(),
                            dst: d.ip(),
                            id: d.opt_i().and_then(|x| u32::try_from(x).ok()),
                            packets: d.u(),
                        }
                    })
                    .collect()
            },
            icmp_errors: {
                let n = count(&mut d);
                (0..n)
                    .map(|_| IcmpRow {
                        frame: d.u(),
                        version: d.b(),
                        icmp_type: d.b(),
                        code: d.b(),
                        description: d.s(),
                        from: d.ip(),
                        about: nth(&ROLES, usize::from(d.b())),
                        flags: {
                            let k = count(&mut d);
                            (0..k).filter_map(|_| flag_name(&d.s()).ok()).collect()
                        },
                        seq: d.u() as u32,
                    })
                    .collect()
            },
            initial_rtt_ns: d.opt_i(),
        }
    }
}
