//! The planted ground truth (a TSV sidecar) and the answers check that
//! compares it with `tcpstate summary --format jsonl`.

use crate::state::TcpState;
use crate::{Lifecycle, Start};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, BufRead, Write};
use std::net::IpAddr;

/// The column names of the truth file, in order.
pub const HEADER: &str = "stream\tfirst_frame\tlast_frame\tpackets\tstart\tscenario\tclient_ip\tclient_port\tserver_ip\tserver_port\tclient_state\tserver_state\trexmits";

/// One planted connection: what the generator did and where it left both
/// endpoints when the capture ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planted {
    /// Order of the connection's first frame (0-based): Wireshark's and
    /// tcpstate's stream number.
    pub stream: u64,
    pub first_frame: u64,
    pub last_frame: u64,
    pub packets: u64,
    pub start: Start,
    pub scenario: Lifecycle,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    /// Final states of client and server.
    pub states: [TcpState; 2],
    /// Retransmitted segments.
    pub rexmits: u32,
}

impl Planted {
    /// The group the answers check reports it under: `start/scenario`.
    pub fn group(&self) -> String {
        format!("{}/{}", self.start.name(), self.scenario.name())
    }

    /// Appends one TSV line.
    pub fn write_tsv(&self, out: &mut Vec<u8>) {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            self.stream,
            self.first_frame,
            self.last_frame,
            self.packets,
            self.start.name(),
            self.scenario.name(),
            self.client.0,
            self.client.1,
            self.server.0,
            self.server.1,
            self.states[0].name(),
            self.states[1].name(),
            self.rexmits
        );
    }

    /// Parses one TSV line (not the header).
    pub fn parse_tsv(line: &str) -> Result<Planted, String> {
        let f: Vec<&str> = line.split('\t').collect();
        if f.len() != 13 {
            return Err(format!("expected 13 columns, got {}", f.len()));
        }
        let num = |i: usize| {
            f[i].parse::<u64>()
                .map_err(|e| format!("column {}: {e}", i + 1))
        };
        let ip = |i: usize| {
            f[i].parse::<IpAddr>()
                .map_err(|e| format!("column {}: {e}", i + 1))
        };
        let state = |i: usize| {
            TcpState::from_name(f[i]).ok_or_else(|| format!("column {}: no state {}", i + 1, f[i]))
        };
        Ok(Planted {
            stream: num(0)?,
            first_frame: num(1)?,
            last_frame: num(2)?,
            packets: num(3)?,
            start: Start::from_name(f[4]).ok_or_else(|| format!("unknown start {}", f[4]))?,
            scenario: Lifecycle::from_name(f[5])
                .ok_or_else(|| format!("unknown scenario {}", f[5]))?,
            client: (ip(6)?, num(7)? as u16),
            server: (ip(8)?, num(9)? as u16),
            states: [state(10)?, state(11)?],
            rexmits: num(12)? as u32,
        })
    }
}

/// Reads a truth file.
pub fn read_truth(r: impl BufRead) -> io::Result<Vec<Planted>> {
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        if line.is_empty() || line.starts_with("stream\t") || line.starts_with('#') {
            continue;
        }
        out.push(Planted::parse_tsv(&line).map_err(|e| {
            io::Error::new(io::ErrorKind::InvalidData, format!("line {}: {e}", i + 1))
        })?);
    }
    Ok(out)
}

/// One connection as tcpstate reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observed {
    pub stream: u64,
    pub first_frame: u64,
    pub client: (IpAddr, u16),
    pub server: (IpAddr, u16),
    pub states: [TcpState; 2],
}

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type")]
    kind: String,
    stream: Option<u64>,
    first_frame: Option<u64>,
    client: Option<Ep>,
    server: Option<Ep>,
    final_state: Option<Pair>,
}

#[derive(Deserialize)]
struct Ep {
    ip: IpAddr,
    port: u16,
}

#[derive(Deserialize)]
struct Pair {
    client: String,
    server: String,
}

/// Reads the connection objects of `tcpstate summary --format jsonl`.
pub fn read_summary_jsonl(r: impl BufRead) -> io::Result<Vec<Observed>> {
    let bad = |i: usize, e: String| {
        io::Error::new(io::ErrorKind::InvalidData, format!("line {}: {e}", i + 1))
    };
    let mut out = Vec::new();
    for (i, line) in r.lines().enumerate() {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| bad(i, e.to_string()))?;
        if l.kind != "connection" {
            continue;
        }
        let (Some(stream), Some(first_frame), Some(c), Some(s), Some(fs)) =
            (l.stream, l.first_frame, l.client, l.server, l.final_state)
        else {
            return Err(bad(i, "connection object without its fields".into()));
        };
        let state = |n: &str| TcpState::from_name(n).ok_or_else(|| bad(i, format!("state {n}")));
        out.push(Observed {
            stream,
            first_frame,
            client: (c.ip, c.port),
            server: (s.ip, s.port),
            states: [state(&fs.client)?, state(&fs.server)?],
        });
    }
    Ok(out)
}

/// The answers check of one group of planted connections.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub planted: u64,
    pub matched: u64,
    /// Found, with other final states.
    pub wrong: u64,
    /// Not reported by tcpstate (no connection with this first frame and 4-tuple).
    pub missing: u64,
    /// `(planted client/server, reported client/server)` → count.
    pub confusions: BTreeMap<(String, String), u64>,
    /// A few mismatching connections, described.
    pub examples: Vec<String>,
}

/// The answers check of a whole capture.
#[derive(Clone, Debug, Default)]
pub struct Check {
    /// By `start/scenario`.
    pub groups: BTreeMap<String, Group>,
    /// Connections tcpstate reported that were never planted.
    pub extra: u64,
    /// Matched connections whose stream number differs from the planted one.
    pub stream_mismatches: u64,
    /// Matched connections whose client and server tcpstate swapped.
    pub roles_swapped: u64,
}

const EXAMPLES: usize = 3;

fn pair(s: [TcpState; 2]) -> String {
    format!("{}/{}", s[0].name(), s[1].name())
}

impl Check {
    /// Matches every planted connection with tcpstate's (by first frame,
    /// then 4-tuple) and compares final states.
    pub fn new(planted: &[Planted], observed: &[Observed]) -> Check {
        let mut by_frame: HashMap<u64, &Observed> = HashMap::with_capacity(observed.len());
        for o in observed {
            by_frame.insert(o.first_frame, o);
        }
        let mut check = Check::default();
        let mut used = 0u64;
        for p in planted {
            let g = check.groups.entry(p.group()).or_default();
            g.planted += 1;
            let found = by_frame.get(&p.first_frame).copied().filter(|o| {
                (o.client == p.client && o.server == p.server)
                    || (o.client == p.server && o.server == p.client)
            });
            let Some(o) = found else {
                g.missing += 1;
                if g.examples.len() < EXAMPLES {
                    g.examples.push(format!(
                        "stream {} (frame {}, {}:{} -> {}:{}): not reported",
                        p.stream, p.first_frame, p.client.0, p.client.1, p.server.0, p.server.1
                    ));
                }
                continue;
            };
            used += 1;
            if o.stream != p.stream {
                check.stream_mismatches += 1;
            }
            let got = if o.client == p.client {
                o.states
            } else {
                check.roles_swapped += 1;
                [o.states[1], o.states[0]]
            };
            if got == p.states {
                g.matched += 1;
                continue;
            }
            g.wrong += 1;
            *g.confusions.entry((pair(p.states), pair(got))).or_default() += 1;
            if g.examples.len() < EXAMPLES {
                g.examples.push(format!(
                    "stream {} (frames {}-{}, {} packets, {}:{} -> {}:{}): planted {}, tcpstate {}",
                    p.stream,
                    p.first_frame,
                    p.last_frame,
                    p.packets,
                    p.client.0,
                    p.client.1,
                    p.server.0,
                    p.server.1,
                    pair(p.states),
                    pair(got)
                ));
            }
        }
        check.extra = observed.len() as u64 - used;
        check
    }

    pub fn planted(&self) -> u64 {
        self.groups.values().map(|g| g.planted).sum()
    }

    pub fn matched(&self) -> u64 {
        self.groups.values().map(|g| g.matched).sum()
    }

    /// Connections whose final states differ or that were not reported.
    pub fn mismatches(&self) -> u64 {
        self.groups.values().map(|g| g.wrong + g.missing).sum()
    }

    /// Every planted connection was found with its planted final states,
    /// with its planted stream number, and nothing else was reported.
    pub fn all_match(&self) -> bool {
        self.mismatches() == 0 && self.extra == 0 && self.stream_mismatches == 0
    }

    /// Every disagreement: `(group, planted, reported, count)`.
    pub fn disagreements(&self) -> Vec<(String, String, String, u64)> {
        let mut v = Vec::new();
        for (name, g) in &self.groups {
            for ((p, o), n) in &g.confusions {
                v.push((name.clone(), p.clone(), o.clone(), *n));
            }
            if g.missing > 0 {
                v.push((name.clone(), "any".into(), "missing".into(), g.missing));
            }
        }
        v
    }

    /// A table per group, then the mismatches with examples.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<34} {:>9} {:>9} {:>7} {:>7}",
            "start/scenario", "planted", "matched", "wrong", "missing"
        );
        for (name, g) in &self.groups {
            let _ = writeln!(
                s,
                "{:<34} {:>9} {:>9} {:>7} {:>7}",
                name, g.planted, g.matched, g.wrong, g.missing
            );
        }
        let _ = writeln!(
            s,
            "{:<34} {:>9} {:>9} {:>7} {:>7}",
            "total",
            self.planted(),
            self.matched(),
            self.groups.values().map(|g| g.wrong).sum::<u64>(),
            self.groups.values().map(|g| g.missing).sum::<u64>()
        );
        let _ = writeln!(
            s,
            "unplanted connections reported: {}; stream numbers differing: {}; roles swapped: {}",
            self.extra, self.stream_mismatches, self.roles_swapped
        );
        for (name, g) in &self.groups {
            if g.wrong + g.missing == 0 {
                continue;
            }
            let _ = writeln!(
                s,
                "\n{name}: {} of {} differ",
                g.wrong + g.missing,
                g.planted
            );
            for ((p, o), n) in &g.confusions {
                let _ = writeln!(s, "  planted {p:<28} tcpstate {o:<28} x{n}");
            }
            for e in &g.examples {
                let _ = writeln!(s, "  e.g. {e}");
            }
        }
        let _ = writeln!(
            s,
            "\nanswers: {}",
            if self.all_match() {
                "all match".to_string()
            } else {
                format!("{} of {} differ", self.mismatches(), self.planted())
            }
        );
        s
    }
}

/// Writes the truth header.
pub(super) fn write_header(out: &mut impl Write) -> io::Result<()> {
    writeln!(out, "{HEADER}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_round_trips() {
        let p = Planted {
            stream: 3,
            first_frame: 17,
            last_frame: 99,
            packets: 12,
            start: Start::Reuse,
            scenario: Lifecycle::SimultaneousClose,
            client: ("fd00:20::5".parse().unwrap(), 40001),
            server: ("198.18.0.9".parse().unwrap(), 443),
            states: [TcpState::TimeWait, TcpState::Closed],
            rexmits: 2,
        };
        let mut v = Vec::new();
        p.write_tsv(&mut v);
        let line = String::from_utf8(v).unwrap();
        assert_eq!(
            line.trim_end().split('\t').count(),
            HEADER.split('\t').count()
        );
        assert_eq!(Planted::parse_tsv(line.trim_end()).unwrap(), p);
    }

    #[test]
    fn the_check_matches_by_first_frame_and_counts_confusions() {
        let p = |stream, frame, states| Planted {
            stream,
            first_frame: frame,
            last_frame: frame + 3,
            packets: 4,
            start: Start::Syn,
            scenario: Lifecycle::ClientClose,
            client: ("10.0.0.1".parse().unwrap(), 40000 + stream as u16),
            server: ("10.0.0.2".parse().unwrap(), 80),
            states,
            rexmits: 0,
        };
        use TcpState::*;
        let planted = [p(0, 1, [TimeWait, Closed]), p(1, 2, [Closed, Closed])];
        let o = |x: &Planted, states| Observed {
            stream: x.stream,
            first_frame: x.first_frame,
            client: x.client,
            server: x.server,
            states,
        };
        let observed = [
            o(&planted[0], [TimeWait, Closed]),
            o(&planted[1], [TimeWait, Closed]),
        ];
        let c = Check::new(&planted, &observed);
        assert_eq!((c.planted(), c.matched(), c.mismatches()), (2, 1, 1));
        assert_eq!(
            c.disagreements(),
            [(
                "syn/client-close".to_string(),
                "CLOSED/CLOSED".to_string(),
                "TIME_WAIT/CLOSED".to_string(),
                1
            )]
        );
        assert!(c.render().contains("1 of 2 differ"));
    }
}
