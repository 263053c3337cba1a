//! Zeek's `history`: one letter per event, upper case for the originator
//! (see the module docs of [`crate::zeek`] for the letters and when each
//! repeats), and the role flips (`^`) that swap originator and responder.

use super::*;

pub(super) const HIST_SYN: u32 = 0x1;
pub(super) const HIST_FIN: u32 = 0x2;
pub(super) const HIST_RST: u32 = 0x4;
pub(super) const HIST_FIN_RST: u32 = 0x8;
pub(super) const HIST_DATA: u32 = 0x10;
pub(super) const HIST_ACK: u32 = 0x20;
pub(super) const HIST_MULTI_FLAG: u32 = 0x40;

impl ZeekConn {
    pub(super) fn cased(&self, e: usize, code: u8) -> char {
        if self.is_orig(e) {
            code as char
        } else {
            code.to_ascii_lowercase() as char
        }
    }

    /// Records a once-per-side letter; true if it was already recorded.
    pub(super) fn check_history(&mut self, e: usize, mask: u32, code: u8) -> bool {
        let mask = if self.is_orig(e) { mask } else { mask << 16 };
        if self.hist_seen & mask == 0 {
            self.hist_seen |= mask;
            let c = self.cased(e, code);
            self.history.push(c);
            false
        } else {
            true
        }
    }

    pub(super) fn add_history(&mut self, e: usize, code: u8) {
        let c = self.cased(e, code);
        self.history.push(c);
    }

    pub(super) fn event(&mut self, e: usize, what: Event) {
        let (i, code) = match what {
            Event::Checksum => (0, b'C'),
            Event::Retransmission => (1, b'T'),
            Event::ZeroWindow => (2, b'W'),
            Event::Gap => (3, b'G'),
        };
        if self.ep[e].events[i].hit() {
            self.add_history(e, code);
        }
    }

    pub(super) fn update_history(&mut self, e: usize, f: TcpFlags, rel_seq: u64, len: u32) {
        let (syn, fin, rst) = (
            f.contains(TcpFlags::SYN),
            f.contains(TcpFlags::FIN),
            f.contains(TcpFlags::RST),
        );
        let bits = u8::from(syn) + u8::from(fin) + u8::from(rst);
        if bits > 1 {
            if fin && rst {
                self.check_history(e, HIST_FIN_RST, b'I');
            } else {
                self.check_history(e, HIST_MULTI_FLAG, b'Q');
            }
        } else if bits == 1 {
            if syn {
                let code = if f.contains(TcpFlags::ACK) {
                    b'H'
                } else {
                    b'S'
                };
                if self.check_history(e, HIST_SYN, code) && rel_seq != self.ep[e].hist_last_syn {
                    self.add_history(e, code);
                }
                self.ep[e].hist_last_syn = rel_seq;
            }
            if fin {
                // A FIN's position is after its data.
                let at = rel_seq.wrapping_add(u64::from(len));
                if self.check_history(e, HIST_FIN, b'F') && at != self.ep[e].hist_last_fin {
                    self.add_history(e, b'F');
                }
                self.ep[e].hist_last_fin = at;
            }
            if rst {
                if self.check_history(e, HIST_RST, b'R') && rel_seq != self.ep[e].hist_last_rst {
                    self.add_history(e, b'R');
                }
                self.ep[e].hist_last_rst = rel_seq;
            }
        } else if len > 0 {
            self.check_history(e, HIST_DATA, b'D');
        } else if f.contains(TcpFlags::ACK) {
            self.check_history(e, HIST_ACK, b'A');
        }
    }

    // ---- roles ----

    /// Swaps originator and responder (Zeek's `FlipRoles`): the letters
    /// already recorded keep their case, `^` is appended.
    pub(super) fn flip_roles(&mut self) {
        self.orig ^= 1;
        self.first_packet_seen = ((self.first_packet_seen & ORIG_SEEN) << 1)
            | ((self.first_packet_seen & RESP_SEEN) >> 1);
        self.is_partial = false;
        self.history.push('^');
    }

    /// A connection whose only letter is the originator's SYN,ACK, followed
    /// by an ACK or data: the SYN was missed and the SYN,ACK's sender is the
    /// responder. The history becomes `^h`.
    ///
    /// Zeek makes the SYN,ACK's sender the responder from the start (its
    /// source port is a likely server port), so that SYN,ACK went through
    /// `UpdateInactiveState` as the responder's: a SYN from the responder
    /// makes it ESTABLISHED. The responder is put where that left it, so
    /// that the originator's ACK then finds it ESTABLISHED and establishes
    /// the originator too (not PARTIAL): S1 while open, as Zeek logs.
    pub(super) fn flip_missed_syn(&mut self) {
        self.flip_roles();
        self.history.clear();
        self.history.push_str("^h");
        self.hist_seen = ((self.hist_seen & 0xffff) << 16) | (self.hist_seen >> 16);
        let r = self.orig ^ 1;
        if self.ep[r].state == EndpointState::SynAckSent {
            self.set_state(r, EndpointState::Established);
        }
    }
}
