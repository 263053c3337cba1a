//! Zeek's bookkeeping as bytes, for an idle connection (see
//! [`crate::frozen`]).

use super::*;
use crate::frozen::{frozen_enum, frozen_struct};

frozen_struct!(Zeek { done, cur });

frozen_struct!(ZeekConn {
    ep,
    orig,
    start_ns,
    last_ns,
    last_active,
    first_frame,
    last_frame,
    history,
    hist_seen,
    missed_bytes,
    is_partial,
    first_packet_seen,
    is_active,
    close_deferred,
    deferred_gen_event,
    inactivity_timeout,
    inactivity_at,
    timers,
    now,
});

frozen_struct!(Endpoint {
    addr,
    port,
    state,
    prev_state,
    start_seq,
    last_seq,
    ack_seq,
    seq_wraps,
    ack_wraps,
    fin_cnt,
    fin_seq,
    did_close,
    hist_last_syn,
    hist_last_fin,
    hist_last_rst,
    events,
    done_something,
    pkts,
    ip_bytes,
    reasm,
});

frozen_struct!(Scaled { count, threshold });

frozen_enum!(EndpointState {
    Inactive,
    SynSent,
    SynAckSent,
    Partial,
    Established,
    Closed,
    Reset,
});
frozen_enum!(Timer {
    Expire,
    Attempt,
    Delete,
});
