//! Idle connections frozen into bytes.
//!
//! Most connections a tracker holds at any moment are idle, above all the
//! closed ones waiting out TIME_WAIT and the linger period. The replay and
//! analyzers of one take about 2.5 KB in memory, mostly zeros, small
//! counts, and timestamps close to each other. The tracker keeps an idle
//! connection as the bytes of [`Frozen::put`] instead (about 700), and
//! makes it whole again with [`Frozen::take_into`] when a segment, a timer
//! or the end of the capture needs it. The round trip is exact: every
//! field of every type is written and read back, which the
//! [`frozen_struct!`] macro makes the compiler check (it destructures and
//! rebuilds each struct without `..`), and a debug assertion checks on
//! every freeze.
//!
//! The encoding is private to one process and never stored, and made to
//! be quick: an integer is a tag byte (how many bytes follow, or the value
//! itself when under 8) and its significant bytes, written and read as one
//! 8-byte word; an `i64` (a timestamp, mostly) is written as its distance,
//! zigzag-encoded, from the connection's first timestamp or from the one
//! written before it, whichever is smaller (a bit of the tag says which);
//! a sequence number is an integer like the others (five bytes, or one
//! when unused); an RFC rule (`&'static str`) is its index in a table of
//! the rules met so far.

use crate::anomaly::{Anomaly, AnomalyKind};
use crate::state::{Basis, Origin, TcpState};
use crate::vocab::{Role, SeqNumber};
use arrayvec::ArrayVec;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Where a value is written, with the timestamps distances are counted
/// from.
pub(crate) struct Writer {
    buf: Vec<u8>,
    ts0: i64,
    prev: i64,
}

/// Where a value is read from: bytes a [`Writer`] made in this process.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    at: usize,
    ts0: i64,
    prev: i64,
}

/// A value that can be frozen into bytes and made again from them, exactly.
pub(crate) trait Frozen: Sized {
    /// Writes the value.
    fn put(&self, w: &mut Writer);
    /// Reads back a value [`Frozen::put`] wrote.
    fn take(r: &mut Reader) -> Self;
    /// Reads back a value [`Frozen::put`] wrote into `self`, which it
    /// replaces whole: in place, field by field, reusing what `self`
    /// holds (a struct is not built aside and copied in, a list keeps
    /// its allocation).
    #[inline(always)]
    fn take_into(&mut self, r: &mut Reader) {
        *self = Self::take(r);
    }
}

/// The tag byte of an integer: how many bytes follow (0 to 8) in the low
/// four bits, a flag in the fifth (for a timestamp: counted from the one
/// before it rather than from the connection's first) and, when no byte
/// follows, the value itself (0 to 7) in the top three.
const TAG_BYTES: u8 = 15;
const TAG_FLAG: u8 = 16;

impl Writer {
    /// A writer reusing `buf` (cleared), counting timestamps from `ts0`,
    /// which is written first.
    pub(crate) fn new(mut buf: Vec<u8>, ts0: i64) -> Writer {
        buf.clear();
        buf.reserve(4096);
        let mut w = Writer {
            buf,
            ts0: 0,
            prev: ts0,
        };
        w.int(zigzag(ts0), 0);
        w.ts0 = ts0;
        w
    }

    /// The bytes written.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    /// The buffer, to be reused.
    pub(crate) fn into_buf(self) -> Vec<u8> {
        self.buf
    }

    #[inline(always)]
    fn byte(&mut self, b: u8) {
        self.buf.push(b);
    }

    /// An integer: its tag, then its significant bytes, little-endian.
    #[inline(always)]
    fn int(&mut self, v: u64, flag: u8) {
        if v < 8 {
            self.buf.push((v as u8) << 5 | flag);
            return;
        }
        let n = 8 - (v.leading_zeros() / 8) as usize;
        if n < 8 {
            // Tag and value in one word, of which 1 + n bytes are kept.
            let at = self.buf.len();
            self.buf
                .extend_from_slice(&(v << 8 | (n as u8 | flag) as u64).to_le_bytes());
            self.buf.truncate(at + 1 + n);
        } else {
            self.buf.push(8 | flag);
            self.buf.extend_from_slice(&v.to_le_bytes());
        }
    }
}

impl<'a> Reader<'a> {
    /// A reader of what a [`Writer`] wrote.
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        let mut r = Reader {
            buf,
            at: 0,
            ts0: 0,
            prev: 0,
        };
        r.ts0 = unzigzag(r.int().0);
        r.prev = r.ts0;
        r
    }

    /// Whether every byte was read.
    pub(crate) fn is_done(&self) -> bool {
        self.at == self.buf.len()
    }

    #[inline(always)]
    fn byte(&mut self) -> u8 {
        let b = self.buf[self.at];
        self.at += 1;
        b
    }

    /// What [`Writer::int`] wrote, and its flag: read as one word with its
    /// tag when it fits in eight bytes and eight are left.
    #[inline(always)]
    fn int(&mut self) -> (u64, bool) {
        if let Some(w) = self.buf.get(self.at..self.at + 8) {
            let word = u64::from_le_bytes(w.try_into().unwrap_or([0; 8]));
            let t = word as u8;
            let n = (t & TAG_BYTES) as usize;
            if n == 0 {
                self.at += 1;
                return ((t >> 5) as u64, t & TAG_FLAG != 0);
            }
            if n < 8 {
                self.at += 1 + n;
                let v = (word >> 8) & (u64::MAX >> (64 - 8 * n));
                return (v, t & TAG_FLAG != 0);
            }
        }
        self.int_slow()
    }

    #[inline(never)]
    fn int_slow(&mut self) -> (u64, bool) {
        let t = self.byte();
        let flag = t & TAG_FLAG != 0;
        let n = (t & TAG_BYTES) as usize;
        if n == 0 {
            return ((t >> 5) as u64, flag);
        }
        let v = match self.buf.get(self.at..self.at + 8) {
            Some(b) => {
                let word = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                word & (u64::MAX >> (64 - 8 * n))
            }
            None => {
                let mut b = [0u8; 8];
                b[..n].copy_from_slice(&self.buf[self.at..self.at + n]);
                u64::from_le_bytes(b)
            }
        };
        self.at += n;
        (v, flag)
    }
}

#[inline(always)]
fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

#[inline(always)]
fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

impl Frozen for bool {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        w.byte(*self as u8);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> bool {
        r.byte() != 0
    }
}

impl Frozen for u8 {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        w.byte(*self);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> u8 {
        r.byte()
    }
}

impl Frozen for i8 {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        w.byte(*self as u8);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> i8 {
        r.byte() as i8
    }
}

/// Unsigned integers (frame numbers, counts, byte counts, sentinels): as
/// themselves, in as many bytes as they need (a frame number takes three
/// up to 16 million frames).
macro_rules! frozen_uint {
    ($($t:ty),*) => {$(
        impl Frozen for $t {
            #[inline(always)]
            fn put(&self, w: &mut Writer) {
                w.int(*self as u64, 0);
            }
            #[inline(always)]
            fn take(r: &mut Reader) -> $t {
                r.int().0 as $t
            }
        }
    )*};
}

frozen_uint!(u16, u32, u64, usize);

/// Timestamps, durations and sentinels: as their distance from the
/// connection's first timestamp or from the one written before (often the
/// same, or close), whichever is smaller: a few bytes where the timestamp
/// would take eight.
impl Frozen for i64 {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        let first = zigzag(self.wrapping_sub(w.ts0));
        let before = zigzag(self.wrapping_sub(w.prev));
        if before < first {
            w.int(before, TAG_FLAG);
        } else {
            w.int(first, 0);
        }
        w.prev = *self;
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> i64 {
        let v = match r.int() {
            (d, false) => r.ts0.wrapping_add(unzigzag(d)),
            (d, true) => r.prev.wrapping_add(unzigzag(d)),
        };
        r.prev = v;
        v
    }
}

/// Sequence numbers: as integers (most are spread over the whole space and
/// take five bytes; the unused ones, zero, one).
impl Frozen for SeqNumber {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        w.int(self.0 as u64, 0);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> SeqNumber {
        SeqNumber(r.int().0 as u32)
    }
}

impl Frozen for IpAddr {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        match self {
            IpAddr::V4(a) => {
                w.byte(4);
                w.buf.extend_from_slice(&a.octets());
            }
            IpAddr::V6(a) => {
                w.byte(6);
                w.buf.extend_from_slice(&a.octets());
            }
        }
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> IpAddr {
        let n = if r.byte() == 4 { 4 } else { 16 };
        let b = &r.buf[r.at..r.at + n];
        r.at += n;
        if n == 4 {
            IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
        } else {
            let mut o = [0u8; 16];
            o.copy_from_slice(b);
            IpAddr::V6(Ipv6Addr::from(o))
        }
    }
}

impl Frozen for String {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.len().put(w);
        w.buf.extend_from_slice(self.as_bytes());
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> String {
        let mut s = String::new();
        s.take_into(r);
        s
    }
    fn take_into(&mut self, r: &mut Reader) {
        let n = usize::take(r);
        self.clear();
        self.push_str(&String::from_utf8_lossy(&r.buf[r.at..r.at + n]));
        r.at += n;
    }
}

impl<T: Frozen> Frozen for Option<T> {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.put(w);
            }
        }
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> Option<T> {
        (r.byte() != 0).then(|| T::take(r))
    }
    #[inline(always)]
    fn take_into(&mut self, r: &mut Reader) {
        match (r.byte() != 0, self.as_mut()) {
            (true, Some(v)) => v.take_into(r),
            (true, None) => *self = Some(T::take(r)),
            (false, _) => *self = None,
        }
    }
}

impl<T: Frozen> Frozen for Box<T> {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> Box<T> {
        Box::new(T::take(r))
    }
    fn take_into(&mut self, r: &mut Reader) {
        (**self).take_into(r);
    }
}

impl<T: Frozen> Frozen for Vec<T> {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.len().put(w);
        self.iter().for_each(|v| v.put(w));
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> Vec<T> {
        let n = usize::take(r);
        (0..n).map(|_| T::take(r)).collect()
    }
    fn take_into(&mut self, r: &mut Reader) {
        let n = usize::take(r);
        self.clear();
        self.extend((0..n).map(|_| T::take(r)));
    }
}

impl<T: Frozen> Frozen for VecDeque<T> {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.len().put(w);
        self.iter().for_each(|v| v.put(w));
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> VecDeque<T> {
        let n = usize::take(r);
        (0..n).map(|_| T::take(r)).collect()
    }
    fn take_into(&mut self, r: &mut Reader) {
        let n = usize::take(r);
        self.clear();
        self.extend((0..n).map(|_| T::take(r)));
    }
}

impl<T: Frozen, const N: usize> Frozen for ArrayVec<T, N> {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.len().put(w);
        self.iter().for_each(|v| v.put(w));
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> ArrayVec<T, N> {
        let n = usize::take(r);
        // At most N were written.
        (0..n).map(|_| T::take(r)).collect()
    }
}

impl<T: Frozen, const N: usize> Frozen for [T; N] {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.iter().for_each(|v| v.put(w));
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> [T; N] {
        // `from_fn` calls in index order.
        std::array::from_fn(|_| T::take(r))
    }
    #[inline(always)]
    fn take_into(&mut self, r: &mut Reader) {
        self.iter_mut().for_each(|v| v.take_into(r));
    }
}

impl<A: Frozen, B: Frozen> Frozen for (A, B) {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> (A, B) {
        let a = A::take(r);
        (a, B::take(r))
    }
    #[inline(always)]
    fn take_into(&mut self, r: &mut Reader) {
        self.0.take_into(r);
        self.1.take_into(r);
    }
}

/// An RFC rule: its index in the table of rules met so far (see [`rules`]).
impl Frozen for &'static str {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        rules::index(self).put(w);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> &'static str {
        rules::rule(u32::take(r))
    }
}

/// The RFC rules a transition can cite are string constants of
/// [`crate::state::step`], a few dozen. Each gets a number the first time
/// it is frozen, in a table shared by the process (behind a lock, taken
/// only for a rule a thread has not met yet); each thread keeps a copy of
/// what it has looked up.
mod rules {
    use std::cell::RefCell;
    use std::sync::Mutex;

    static TABLE: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

    type Seen = hashbrown::HashMap<(usize, usize), u32, foldhash::fast::FixedState>;

    thread_local! {
        /// This thread's copy: the index of each rule by (address, length),
        /// and the table.
        static LOCAL: RefCell<(Seen, Vec<&'static str>)> =
            RefCell::new((Seen::default(), Vec::new()));
    }

    pub(super) fn index(rule: &'static str) -> u32 {
        let key = (rule.as_ptr() as usize, rule.len());
        LOCAL.with_borrow_mut(|(seen, _)| {
            if let Some(&i) = seen.get(&key) {
                return i;
            }
            let mut table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
            let i = match table.iter().position(|&r| r == rule) {
                Some(i) => i,
                None => {
                    table.push(rule);
                    table.len() - 1
                }
            } as u32;
            seen.insert(key, i);
            i
        })
    }

    pub(super) fn rule(i: u32) -> &'static str {
        LOCAL.with_borrow_mut(|(_, copy)| {
            if let Some(r) = copy.get(i as usize) {
                return *r;
            }
            let table = TABLE.lock().unwrap_or_else(|e| e.into_inner());
            copy.clone_from(&table);
            // Only indexes `index` gave are frozen.
            copy.get(i as usize).copied().unwrap_or("")
        })
    }
}

/// Implements [`Frozen`] for a struct by writing and reading its fields in
/// the order listed. Every field must be listed: the struct is destructured
/// and built again without `..`, so the compiler rejects a missing one.
macro_rules! frozen_struct {
    ($ty:ident { $($f:ident),* $(,)? }) => {
        impl $crate::frozen::Frozen for $ty {
            fn put(&self, w: &mut $crate::frozen::Writer) {
                let $ty { $($f),* } = self;
                $( $crate::frozen::Frozen::put($f, w); )*
            }
            fn take(r: &mut $crate::frozen::Reader) -> $ty {
                $ty { $( $f: $crate::frozen::Frozen::take(r) ),* }
            }
            fn take_into(&mut self, r: &mut $crate::frozen::Reader) {
                let $ty { $($f),* } = self;
                $( $crate::frozen::Frozen::take_into($f, r); )*
            }
        }
    };
}
pub(crate) use frozen_struct;

/// Implements [`Frozen`] for an enum without fields, as one byte: its
/// variants must be listed in declaration order from 0 (checked at compile
/// time), and all of them (the match in `put` is exhaustive).
macro_rules! frozen_enum {
    ($ty:ident { $($v:ident),* $(,)? }) => {
        impl $crate::frozen::Frozen for $ty {
            fn put(&self, w: &mut $crate::frozen::Writer) {
                const ALL: &[$ty] = &[$($ty::$v),*];
                const _: () = {
                    let mut i = 0;
                    while i < ALL.len() {
                        assert!(ALL[i] as usize == i);
                        i += 1;
                    }
                };
                match self {
                    $( $ty::$v => {} )*
                }
                $crate::frozen::Frozen::put(&(*self as u8), w);
            }
            fn take(r: &mut $crate::frozen::Reader) -> $ty {
                const ALL: &[$ty] = &[$($ty::$v),*];
                let b: u8 = $crate::frozen::Frozen::take(r);
                ALL[b as usize]
            }
        }
    };
}
pub(crate) use frozen_enum;

frozen_enum!(TcpState {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
});
frozen_enum!(Origin { Active, Passive });
frozen_enum!(Basis {
    Sent,
    Received,
    Inferred,
    Timer,
    Revised,
});
frozen_enum!(Role { Client, Server });
frozen_struct!(Anomaly {
    kind,
    frame,
    endpoint,
    values,
});

/// Anomaly kinds: their index in [`AnomalyKind::ALL`], the catalog order
/// the enum is declared in (checked at compile time).
impl Frozen for AnomalyKind {
    #[inline(always)]
    fn put(&self, w: &mut Writer) {
        const _: () = {
            let mut i = 0;
            while i < AnomalyKind::ALL.len() {
                assert!(AnomalyKind::ALL[i] as usize == i);
                i += 1;
            }
        };
        (*self as u16).put(w);
    }
    #[inline(always)]
    fn take(r: &mut Reader) -> AnomalyKind {
        AnomalyKind::ALL[u16::take(r) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Frozen + PartialEq + std::fmt::Debug>(v: T, ts0: i64) -> usize {
        let mut w = Writer::new(Vec::new(), ts0);
        v.put(&mut w);
        let n = w.bytes().len();
        let mut r = Reader::new(w.bytes());
        assert_eq!(T::take(&mut r), v);
        assert!(r.is_done());
        n
    }

    #[test]
    fn integers_round_trip_at_their_limits_whatever_the_base() {
        for t0 in [0, 1, -1, i64::MIN, i64::MAX, 1_700_000_000_000_000_000] {
            for v in [
                0,
                1,
                7,
                8,
                255,
                256,
                1 << 32,
                1 << 63,
                u64::MAX - 1,
                u64::MAX,
            ] {
                round_trip(v, t0);
                round_trip(Some(v), t0);
            }
            for v in [
                0,
                -1,
                1,
                i64::MIN,
                i64::MIN + 1,
                i64::MAX,
                t0,
                t0.wrapping_add(1),
            ] {
                round_trip(v, t0);
            }
            for v in [0u32, 1, u32::MAX] {
                round_trip(v, t0);
                round_trip(SeqNumber(v), t0);
            }
            round_trip(u16::MAX, t0);
            round_trip(-1i8, t0);
            round_trip(usize::MAX, t0);
        }
    }

    #[test]
    fn small_values_and_times_near_the_first_take_few_bytes() {
        let t0 = 1_700_000_000_000_000_000i64;
        // The base itself: a tag and eight bytes.
        let header = round_trip(0u8, t0) - 1;
        assert_eq!(header, 9);
        assert_eq!(round_trip(7u64, t0) - header, 1);
        assert_eq!(round_trip(8u64, t0) - header, 2);
        assert_eq!(round_trip(1000u64, t0) - header, 3);
        assert_eq!(round_trip(u64::MAX, t0) - header, 9);
        assert_eq!(round_trip(t0, t0) - header, 1);
        assert_eq!(round_trip(t0 - 3, t0) - header, 1);
        // 10 ms later: 2 × 10^7 zigzagged, four bytes and a tag.
        assert_eq!(round_trip(t0 + 10_000_000, t0) - header, 5);
        assert_eq!(round_trip(t0 + 10_000, t0) - header, 3);
        assert_eq!(round_trip(None::<u64>, t0) - header, 1);
        assert_eq!(round_trip(SeqNumber(u32::MAX), t0) - header, 5);
        assert_eq!(round_trip(SeqNumber(0), t0) - header, 1);
        // A timestamp next to the one before takes a byte, however far
        // both are from the first.
        let later = t0 + 3_600_000_000_000;
        assert_eq!(round_trip((later, later + 2), t0) - header, 7 + 1);
        assert_eq!(round_trip((later, Some(later)), t0) - header, 7 + 2);
    }

    #[test]
    fn composite_values_round_trip() {
        round_trip(String::from("ShADadFf"), 0);
        round_trip(String::new(), 0);
        round_trip(vec![(1u64, 2u64), (3, 4)], 0);
        round_trip(VecDeque::from([5i64, -6]), 0);
        round_trip([Some(TcpState::TimeWait), None], 0);
        round_trip(
            [
                IpAddr::from([10, 0, 0, 1]),
                IpAddr::from([0xfe80, 0, 0, 0, 0, 0, 0, 1]),
            ],
            0,
        );
        let mut a: ArrayVec<Role, 2> = ArrayVec::new();
        a.push(Role::Server);
        round_trip(a, 0);
        for k in AnomalyKind::ALL {
            round_trip(*k, 0);
        }
        for s in TcpState::ALL {
            round_trip(s, 0);
        }
    }

    #[test]
    fn rules_round_trip_across_threads() {
        let rules = ["RFC 9293 3.10.7.4: a", "RFC 9293 3.10.7.4: b"];
        let mut w = Writer::new(Vec::new(), 0);
        rules[1].put(&mut w);
        rules[0].put(&mut w);
        let bytes = w.into_buf();
        let back = std::thread::spawn(move || {
            let mut r = Reader::new(&bytes);
            [<&str>::take(&mut r), <&str>::take(&mut r)]
        })
        .join()
        .expect("no panic");
        assert_eq!(back, [rules[1], rules[0]]);
    }
}
