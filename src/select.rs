//! Selecting connections: the `--where` expressions of summary, timeline,
//! ladder and report.
//!
//! One small language, close to Wireshark's display filters so that a filter
//! pasted from Wireshark works on connections:
//!
//! ```text
//! expr    := and ( ("or" | "||") and )*
//! and     := unary ( ("and" | "&&") unary )*
//! unary   := ("not" | "!") unary | "(" expr ")" | field op value
//! op      := "==" | "eq" | "!=" | "ne" | "<" | "lt" | "<=" | "le" | ">" | "gt" | ">=" | "ge"
//! ```
//!
//! A field may have several values for one connection (`port`: the client's
//! and the server's; `anomaly`: every anomaly it raised). `==` holds when
//! any value equals, `!=` when none does (as in Wireshark since 3.6, where
//! `ip.addr != X` means "not X at either end"). An address compares with a
//! network too: `ip.addr == 10.0.0.0/8`.

use crate::anomaly::{AnomalyKind, Severity};
use crate::consumer::{ConnectionSummary, Outcome};
use crate::state::TcpState;
use crate::vocab::Role;
use std::fmt;
use std::net::IpAddr;

/// A parsed `--where` expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    expr: Expr,
    text: String,
}

/// A mistake in an expression, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SelectError {
    /// The expression as given.
    pub text: String,
    /// Byte range of the mistake in `text`.
    pub at: (usize, usize),
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SelectError {
    /// The message, the expression, and a caret line under the mistake.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.text[..self.at.0.min(self.text.len())].chars().count();
        let width = self.text[self.at.0.min(self.text.len())..self.at.1.min(self.text.len())]
            .chars()
            .count()
            .max(1);
        write!(
            f,
            "--where: {}\n  {}\n  {}{}",
            self.message,
            self.text,
            " ".repeat(col),
            "^".repeat(width)
        )
    }
}

impl std::error::Error for SelectError {}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Stream,
    Port,
    ClientPort,
    ServerPort,
    Addr,
    ClientAddr,
    ServerAddr,
    State,
    ClientState,
    ServerState,
    Outcome,
    Anomaly,
    Severity,
    Closer,
}

/// Field names, including Wireshark's, and what they mean.
const FIELDS: &[(&str, Field)] = &[
    ("stream", Field::Stream),
    ("tcp.stream", Field::Stream),
    ("port", Field::Port),
    ("tcp.port", Field::Port),
    ("client.port", Field::ClientPort),
    ("server.port", Field::ServerPort),
    ("addr", Field::Addr),
    ("ip", Field::Addr),
    ("ip.addr", Field::Addr),
    ("ipv6.addr", Field::Addr),
    ("client.ip", Field::ClientAddr),
    ("client.addr", Field::ClientAddr),
    ("server.ip", Field::ServerAddr),
    ("server.addr", Field::ServerAddr),
    ("state", Field::State),
    ("client.state", Field::ClientState),
    ("server.state", Field::ServerState),
    ("outcome", Field::Outcome),
    ("anomaly", Field::Anomaly),
    ("severity", Field::Severity),
    ("closer", Field::Closer),
    ("active_closer", Field::Closer),
];

/// Wireshark fields that describe one packet, not a connection.
const PER_PACKET: &[(&str, &str)] = &[
    ("tcp.srcport", "client.port or server.port"),
    ("tcp.dstport", "client.port or server.port"),
    ("ip.src", "client.ip or server.ip"),
    ("ip.dst", "client.ip or server.ip"),
    ("ipv6.src", "client.ip or server.ip"),
    ("ipv6.dst", "client.ip or server.ip"),
    ("tcp.flags", "anomaly or state"),
    ("frame.number", "stream"),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Num(u64),
    Net(IpAddr, u8),
    State(TcpState),
    Outcome(Outcome),
    Anomaly(AnomalyKind),
    Severity(Severity),
    Closer(Option<Role>),
}

#[derive(Clone, Debug, PartialEq)]
enum Expr {
    Or(Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Test(Field, Op, Value),
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Op(Op),
    And,
    Or,
    Not,
    Open,
    Close,
}

fn lex(text: &str) -> Result<Vec<(Tok, usize, usize)>, SelectError> {
    let err = |a, b, m: String| SelectError {
        text: text.to_string(),
        at: (a, b),
        message: m,
    };
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        let two = |s: &[u8]| b[i..].starts_with(s);
        let tok = if c.is_ascii_whitespace() {
            i += 1;
            continue;
        } else if two(b"==") {
            i += 2;
            Tok::Op(Op::Eq)
        } else if two(b"!=") {
            i += 2;
            Tok::Op(Op::Ne)
        } else if two(b"<=") {
            i += 2;
            Tok::Op(Op::Le)
        } else if two(b">=") {
            i += 2;
            Tok::Op(Op::Ge)
        } else if two(b"&&") {
            i += 2;
            Tok::And
        } else if two(b"||") {
            i += 2;
            Tok::Or
        } else if c == b'<' {
            i += 1;
            Tok::Op(Op::Lt)
        } else if c == b'>' {
            i += 1;
            Tok::Op(Op::Gt)
        } else if c == b'!' {
            i += 1;
            Tok::Not
        } else if c == b'(' {
            i += 1;
            Tok::Open
        } else if c == b')' {
            i += 1;
            Tok::Close
        } else if c == b'"' || c == b'\'' {
            let end = text[i + 1..]
                .find(c as char)
                .ok_or_else(|| err(i, text.len(), "unterminated string".into()))?;
            let s = text[i + 1..i + 1 + end].to_string();
            i += end + 2;
            Tok::Str(s)
        } else if c == b'=' {
            return Err(err(i, i + 1, "`=` is not an operator: use `==`".into()));
        } else if c.is_ascii_alphanumeric() || b"_.:-/".contains(&c) {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b"_.:-/".contains(&b[i])) {
                i += 1;
            }
            let w = &text[start..i];
            match w.to_ascii_lowercase().as_str() {
                "and" => Tok::And,
                "or" => Tok::Or,
                "not" => Tok::Not,
                "eq" => Tok::Op(Op::Eq),
                "ne" => Tok::Op(Op::Ne),
                "lt" => Tok::Op(Op::Lt),
                "le" => Tok::Op(Op::Le),
                "gt" => Tok::Op(Op::Gt),
                "ge" => Tok::Op(Op::Ge),
                _ => Tok::Word(w.to_string()),
            }
        } else {
            let ch = text[i..].chars().next().unwrap_or(' ');
            return Err(err(
                i,
                i + ch.len_utf8(),
                format!("unexpected character `{ch}`"),
            ));
        };
        out.push((tok, start, i));
    }
    Ok(out)
}

struct Parser<'a> {
    text: &'a str,
    toks: Vec<(Tok, usize, usize)>,
    pos: usize,
}

impl Parser<'_> {
    fn err(&self, at: (usize, usize), message: String) -> SelectError {
        SelectError {
            text: self.text.to_string(),
            at,
            message,
        }
    }

    fn here(&self) -> (usize, usize) {
        match self.toks.get(self.pos) {
            Some(&(_, a, b)) => (a, b),
            None => (self.text.len(), self.text.len() + 1),
        }
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn or(&mut self) -> Result<Expr, SelectError> {
        let mut e = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            e = Expr::Or(Box::new(e), Box::new(self.and()?));
        }
        Ok(e)
    }

    fn and(&mut self) -> Result<Expr, SelectError> {
        let mut e = self.unary()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            e = Expr::And(Box::new(e), Box::new(self.unary()?));
        }
        Ok(e)
    }

    fn unary(&mut self) -> Result<Expr, SelectError> {
        match self.peek() {
            Some(Tok::Not) => {
                self.pos += 1;
                Ok(Expr::Not(Box::new(self.unary()?)))
            }
            Some(Tok::Open) => {
                let open = self.here();
                self.pos += 1;
                let e = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(self.err(open, "this `(` is never closed".into()));
                }
                self.pos += 1;
                Ok(e)
            }
            Some(Tok::Word(_)) => self.test(),
            None => Err(self.err(self.here(), "expected a test such as `port == 443`".into())),
            Some(_) => Err(self.err(self.here(), "expected a field name".into())),
        }
    }

    fn test(&mut self) -> Result<Expr, SelectError> {
        let at = self.here();
        let Some(Tok::Word(name)) = self.peek().cloned() else {
            return Err(self.err(at, "expected a field name".into()));
        };
        self.pos += 1;
        let lower = name.to_ascii_lowercase();
        let field = match FIELDS.iter().find(|(n, _)| *n == lower) {
            Some(&(_, f)) => f,
            None => {
                if let Some((_, alt)) = PER_PACKET.iter().find(|(n, _)| *n == lower) {
                    return Err(self.err(
                        at,
                        format!("`{name}` describes a packet, not a connection: use {alt}"),
                    ));
                }
                let best = FIELDS
                    .iter()
                    .map(|(n, _)| (strsim::jaro_winkler(n, &lower), *n))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let hint = match best {
                    Some((score, n)) if score > 0.8 => format!(", did you mean `{n}`?"),
                    _ => String::new(),
                };
                return Err(self.err(
                    at,
                    format!("unknown field `{name}`{hint} (fields: {})", field_list()),
                ));
            }
        };
        let op_at = self.here();
        let op = match self.peek() {
            Some(Tok::Op(op)) => *op,
            _ => {
                return Err(self.err(
                    op_at,
                    format!("expected an operator (== != < <= > >=) after `{name}`"),
                ));
            }
        };
        self.pos += 1;
        let v_at = self.here();
        let raw = match self.peek() {
            Some(Tok::Word(w)) | Some(Tok::Str(w)) => w.clone(),
            _ => return Err(self.err(v_at, format!("expected a value for `{name}`"))),
        };
        self.pos += 1;
        let value = value(field, &raw).map_err(|m| self.err(v_at, m))?;
        let ordered = matches!(value, Value::Num(_) | Value::Severity(_) | Value::State(_));
        if !matches!(op, Op::Eq | Op::Ne) && !ordered {
            return Err(self.err(
                op_at,
                format!("`{name}` can only be compared with == or !="),
            ));
        }
        Ok(Expr::Test(field, op, value))
    }
}

fn field_list() -> String {
    let mut names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
    names.dedup();
    names.join(", ")
}

fn value(field: Field, raw: &str) -> Result<Value, String> {
    let upper = raw.to_ascii_uppercase().replace('-', "_");
    match field {
        Field::Stream | Field::Port | Field::ClientPort | Field::ServerPort => raw
            .parse::<u64>()
            .map(Value::Num)
            .map_err(|_| format!("`{raw}` is not a number")),
        Field::Addr | Field::ClientAddr | Field::ServerAddr => {
            let (ip, bits) = match raw.split_once('/') {
                Some((ip, bits)) => (ip, Some(bits)),
                None => (raw, None),
            };
            let ip: IpAddr = ip
                .parse()
                .map_err(|_| format!("`{raw}` is not an IP address or network"))?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            let bits = match bits {
                None => max,
                Some(b) => b
                    .parse::<u8>()
                    .ok()
                    .filter(|&b| b <= max)
                    .ok_or_else(|| format!("`/{b}`: a prefix length is 0 to {max}"))?,
            };
            Ok(Value::Net(ip, bits))
        }
        Field::State | Field::ClientState | Field::ServerState => {
            let name = match upper.as_str() {
                "ESTAB" => "ESTABLISHED",
                "SYN_RECV" => "SYN_RECEIVED",
                "FIN_WAIT1" => "FIN_WAIT_1",
                "FIN_WAIT2" => "FIN_WAIT_2",
                s => s,
            };
            TcpState::from_name(name).map(Value::State).ok_or_else(|| {
                let all: Vec<&str> = TcpState::ALL.iter().map(|s| s.name()).collect();
                format!("`{raw}` is not a state ({})", all.join(", "))
            })
        }
        Field::Outcome => OUTCOMES
            .iter()
            .find(|o| o.name() == raw.to_ascii_lowercase())
            .map(|&o| Value::Outcome(o))
            .ok_or_else(|| {
                let all: Vec<&str> = OUTCOMES.iter().map(|o| o.name()).collect();
                format!("`{raw}` is not an outcome ({})", all.join(", "))
            }),
        Field::Anomaly => AnomalyKind::ALL
            .iter()
            .find(|k| k.id() == raw.to_ascii_lowercase())
            .map(|&k| Value::Anomaly(k))
            .ok_or_else(|| {
                let best = AnomalyKind::ALL
                    .iter()
                    .map(|k| (strsim::jaro_winkler(k.id(), raw), k.id()))
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match best {
                    Some((s, id)) if s > 0.8 => {
                        format!("no anomaly `{raw}`: did you mean `{id}`? (`tcpstate anomalies` lists them)")
                    }
                    _ => format!("no anomaly `{raw}` (`tcpstate anomalies` lists them)"),
                }
            }),
        Field::Severity => match raw.to_ascii_lowercase().as_str() {
            "error" => Ok(Value::Severity(Severity::Error)),
            "warning" => Ok(Value::Severity(Severity::Warning)),
            "info" => Ok(Value::Severity(Severity::Info)),
            _ => Err(format!("`{raw}` is not a severity (error, warning, info)")),
        },
        Field::Closer => match raw.to_ascii_lowercase().as_str() {
            "client" => Ok(Value::Closer(Some(Role::Client))),
            "server" => Ok(Value::Closer(Some(Role::Server))),
            "none" => Ok(Value::Closer(None)),
            _ => Err(format!("`{raw}` is not a closer (client, server, none)")),
        },
    }
}

/// Every outcome, for parsing.
pub const OUTCOMES: [Outcome; 8] = [
    Outcome::Closed,
    Outcome::Closing,
    Outcome::HalfClosed,
    Outcome::Reset,
    Outcome::Refused,
    Outcome::Unanswered,
    Outcome::Incomplete,
    Outcome::Open,
];

fn in_net(a: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (a, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let m = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(bits))
            };
            u32::from(a) & m == u32::from(n) & m
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let m = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(bits))
            };
            u128::from(a) & m == u128::from(n) & m
        }
        _ => false,
    }
}

fn compare<T: PartialOrd>(a: T, op: Op, b: T) -> bool {
    match op {
        Op::Eq => a == b,
        Op::Ne => a != b,
        Op::Lt => a < b,
        Op::Le => a <= b,
        Op::Gt => a > b,
        Op::Ge => a >= b,
    }
}

/// `==`, `<`, ...: any value of the field satisfies it; `!=`: none equals.
fn any_or_none<T: PartialOrd + Copy>(values: &[T], op: Op, b: T) -> bool {
    if op == Op::Ne {
        !values.contains(&b)
    } else {
        values.iter().any(|&a| compare(a, op, b))
    }
}

impl Selection {
    /// Parses an expression; the error points at the mistake.
    pub fn parse(text: &str) -> Result<Selection, SelectError> {
        let toks = lex(text)?;
        let mut p = Parser { text, toks, pos: 0 };
        let expr = p.or()?;
        if p.pos < p.toks.len() {
            let at = p.here();
            let msg = match p.peek() {
                Some(Tok::Close) => "this `)` closes nothing".to_string(),
                _ => "expected `and`, `or` or the end of the expression".to_string(),
            };
            return Err(p.err(at, msg));
        }
        Ok(Selection {
            expr,
            text: text.to_string(),
        })
    }

    /// The expression as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether connection `conn` (Wireshark's `tcp.stream` `stream`) is
    /// selected.
    pub fn matches(&self, stream: u64, conn: &ConnectionSummary) -> bool {
        eval(&self.expr, stream, conn)
    }

    /// Whether `subject` (Wireshark's `tcp.stream` `stream`) is selected:
    /// [`Selection::matches`] for anything that says what a selection
    /// looks at (a row of results read back).
    pub fn matches_subject(&self, stream: u64, subject: &dyn Subject) -> bool {
        eval(&self.expr, stream, subject)
    }

    /// The streams the expression names when it only tests `tcp.stream ==`
    /// joined by `or`: such a selection is known before the replay.
    pub fn only_streams(&self) -> Option<Vec<u64>> {
        fn walk(e: &Expr, out: &mut Vec<u64>) -> bool {
            match e {
                Expr::Or(a, b) => walk(a, out) && walk(b, out),
                Expr::Test(Field::Stream, Op::Eq, Value::Num(n)) => {
                    out.push(*n);
                    true
                }
                _ => false,
            }
        }
        let mut v = Vec::new();
        walk(&self.expr, &mut v).then(|| {
            v.sort_unstable();
            v.dedup();
            v
        })
    }
}

/// What a selection looks at in one connection: its [`ConnectionSummary`],
/// or a row of results read back (`crate::output::rows::ConnectionRow`).
pub trait Subject {
    /// Client and server: address, port, final state.
    fn ends(&self) -> [(IpAddr, u16, TcpState); 2];
    /// How it ended.
    fn outcome(&self) -> Outcome;
    /// Its anomalies' ids and severities, in order.
    fn anomalies(&self) -> Vec<(AnomalyKind, Severity)>;
    /// Who sent the first FIN.
    fn closer(&self) -> Option<Role>;
}

impl Subject for ConnectionSummary {
    fn ends(&self) -> [(IpAddr, u16, TcpState); 2] {
        self.ends.each_ref().map(|e| (e.addr, e.port, e.state))
    }
    fn outcome(&self) -> Outcome {
        self.outcome
    }
    fn anomalies(&self) -> Vec<(AnomalyKind, Severity)> {
        self.anomalies
            .iter()
            .map(|a| (a.kind, a.kind.severity()))
            .collect()
    }
    fn closer(&self) -> Option<Role> {
        self.active_closer
    }
}

fn eval(e: &Expr, stream: u64, c: &dyn Subject) -> bool {
    match e {
        Expr::Or(a, b) => eval(a, stream, c) || eval(b, stream, c),
        Expr::And(a, b) => eval(a, stream, c) && eval(b, stream, c),
        Expr::Not(a) => !eval(a, stream, c),
        Expr::Test(field, op, v) => test(*field, *op, v, stream, c),
    }
}

fn test(field: Field, op: Op, v: &Value, stream: u64, c: &dyn Subject) -> bool {
    let [cl, sv] = c.ends();
    match (field, v) {
        (Field::Stream, Value::Num(n)) => compare(stream, op, *n),
        (Field::Port, Value::Num(n)) => any_or_none(&[u64::from(cl.1), u64::from(sv.1)], op, *n),
        (Field::ClientPort, Value::Num(n)) => compare(u64::from(cl.1), op, *n),
        (Field::ServerPort, Value::Num(n)) => compare(u64::from(sv.1), op, *n),
        (Field::Addr | Field::ClientAddr | Field::ServerAddr, Value::Net(net, bits)) => {
            let addrs: &[IpAddr] = match field {
                Field::ClientAddr => &[cl.0],
                Field::ServerAddr => &[sv.0],
                _ => &[cl.0, sv.0],
            };
            let hit = addrs.iter().any(|&a| in_net(a, *net, *bits));
            if op == Op::Ne { !hit } else { hit }
        }
        (Field::State, Value::State(s)) => any_or_none(&[cl.2, sv.2], op, *s),
        (Field::ClientState, Value::State(s)) => compare(cl.2, op, *s),
        (Field::ServerState, Value::State(s)) => compare(sv.2, op, *s),
        (Field::Outcome, Value::Outcome(o)) => {
            let eq = c.outcome() == *o;
            if op == Op::Ne { !eq } else { eq }
        }
        (Field::Anomaly, Value::Anomaly(k)) => {
            let hit = c.anomalies().iter().any(|a| a.0 == *k);
            if op == Op::Ne { !hit } else { hit }
        }
        (Field::Severity, Value::Severity(s)) => {
            let sev: Vec<Severity> = c.anomalies().iter().map(|a| a.1).collect();
            any_or_none(&sev, op, *s)
        }
        (Field::Closer, Value::Closer(r)) => {
            let eq = c.closer() == *r;
            if op == Op::Ne { !eq } else { eq }
        }
        _ => false,
    }
}

/// The streams a per-segment command (timeline) shows: those of `-s`
/// narrowed by the `--where` selection `sel`, replayed with `engine`. A selection that needs the
/// replay's verdicts (states, anomalies, ...) costs a first pass over the
/// capture, so the capture must be a file.
pub fn narrow_streams(
    file: &std::path::Path,
    streams: Option<Vec<u64>>,
    sel: Option<&Selection>,
    engine: &crate::engine::Options,
) -> Result<Option<Vec<u64>>, String> {
    let Some(sel) = sel else {
        return Ok(streams);
    };
    let keep = |v: Vec<u64>| match &streams {
        Some(s) => v.into_iter().filter(|x| s.contains(x)).collect(),
        None => v,
    };
    if let Some(v) = sel.only_streams() {
        return Ok(Some(keep(v)));
    }
    if file.as_os_str() == "-" {
        return Err(format!(
            "--where '{}' needs a first pass over the capture: give a file, not standard input",
            sel.text()
        ));
    }
    Ok(Some(keep(matching_streams(file, sel, engine)?)))
}

/// The streams of a capture that `sel` selects (one pass of the replay).
pub fn matching_streams(
    file: &std::path::Path,
    sel: &Selection,
    engine: &crate::engine::Options,
) -> Result<Vec<u64>, String> {
    struct Pick<'a>(&'a Selection, Vec<u64>);
    impl crate::engine::Consumer for Pick<'_> {
        fn capture_start(&mut self, _: i64) {}
        fn segments(&mut self, _: &[crate::engine::SegmentRecord]) -> std::io::Result<()> {
            Ok(())
        }
        fn connections(&mut self, rs: &[crate::engine::ConnectionRecord]) -> std::io::Result<()> {
            self.1.extend(
                rs.iter()
                    .filter(|r| self.0.matches(r.stream, r))
                    .map(|r| r.stream),
            );
            Ok(())
        }
    }
    let reader = crate::capture::CaptureReader::open(file).map_err(|e| e.to_string())?;
    let mut pick = Pick(sel, Vec::new());
    crate::engine::analyze(reader, engine, &mut pick, None).map_err(|e| e.to_string())?;
    let mut v = pick.1;
    v.sort_unstable();
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> SelectError {
        Selection::parse(text).expect_err(text)
    }

    #[test]
    fn wireshark_filters_parse() {
        for f in [
            "tcp.stream eq 3",
            "ip.addr == 10.0.0.1",
            "tcp.port == 443",
            "ip.addr == 10.0.0.0/8 && !(tcp.port == 22)",
            "ipv6.addr == fd77::1",
            "anomaly == rst-in-syn-received",
            "server.state == CLOSE_WAIT and port == 443",
            "severity >= warning or outcome == reset",
            "closer == server",
        ] {
            Selection::parse(f).unwrap_or_else(|e| panic!("{f}: {e}"));
        }
    }

    #[test]
    fn only_stream_tests_are_known_before_the_replay() {
        let s = Selection::parse("tcp.stream eq 3 or stream == 1").unwrap();
        assert_eq!(s.only_streams(), Some(vec![1, 3]));
        let s = Selection::parse("tcp.stream eq 3 and port == 1").unwrap();
        assert_eq!(s.only_streams(), None);
    }

    #[test]
    fn errors_point_at_the_mistake() {
        let e = err("anomaly == rst-in-syn-recieved");
        assert_eq!(e.at, (11, 30));
        assert!(
            e.message.contains("did you mean `rst-in-syn-received`"),
            "{e}"
        );
        let e = err("port == 443 and sever == error");
        assert_eq!(&e.text[e.at.0..e.at.1], "sever");
        assert!(e.message.contains("`severity`"), "{e}");
        let e = err("port = 443");
        assert_eq!(e.at, (5, 6));
        let e = err("(port == 1");
        assert_eq!(e.at, (0, 1));
        let e = err("port == 1)");
        assert_eq!(e.at, (9, 10));
        let e = err("outcome > reset");
        assert_eq!(&e.text[e.at.0..e.at.1], ">");
        let e = err("ip.src == 10.0.0.1");
        assert!(e.message.contains("client.ip"), "{e}");
        let e = err("port ==");
        assert_eq!(e.at.0, 7);
        let shown = err("port == x").to_string();
        assert!(shown.ends_with("\n  port == x\n          ^"), "{shown}");
    }

    #[test]
    fn networks_contain_their_addresses() {
        let a = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(in_net(a("10.1.2.3"), a("10.0.0.0"), 8));
        assert!(!in_net(a("11.1.2.3"), a("10.0.0.0"), 8));
        assert!(in_net(a("11.1.2.3"), a("10.0.0.0"), 0));
        assert!(in_net(a("fd77::2"), a("fd77::"), 64));
        assert!(!in_net(a("fd77::2"), a("10.0.0.0"), 0));
    }

    #[test]
    fn not_equal_means_at_neither_end() {
        assert!(any_or_none(&[1, 2], Op::Eq, 2));
        assert!(!any_or_none(&[1, 2], Op::Ne, 2));
        assert!(any_or_none(&[1, 2], Op::Ne, 3));
        assert!(any_or_none(&[1, 5], Op::Gt, 4));
    }
}
