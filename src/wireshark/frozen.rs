//! Wireshark's analysis state as bytes, for an idle connection (see
//! [`crate::frozen`]).

use super::*;
use crate::frozen::{Frozen, Reader, Writer, frozen_struct};

frozen_struct!(Analyzer {
    flows,
    mru_syn,
    first_rtt,
    split,
    counts,
});

frozen_struct!(Flow {
    base,
    win_scale,
    window,
    is_first_ack,
    nextseq,
    nextseq_time,
    maxseqtobeacked,
    lastack,
    lastack_time,
    lastnondupack,
    dupacknum,
    last_flags,
    valid_bif,
    unacked,
});

impl Frozen for Flags {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader) -> Flags {
        Flags(u16::take(r))
    }
}

impl Frozen for Counts {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
    }
    fn take(r: &mut Reader) -> Counts {
        Counts(<[u64; 15]>::take(r))
    }
}
