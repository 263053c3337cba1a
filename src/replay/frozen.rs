//! The replay's state as bytes, for an idle connection (see
//! [`crate::frozen`]).

use super::*;
use crate::frozen::{frozen_enum, frozen_struct};

frozen_struct!(Connection {
    ep,
    roles_guessed,
    mid_stream,
    initial_state,
    first_frame,
    last_frame,
    first_ts,
    last_ts,
    last_clock,
    packets,
    payload_bytes,
    active_closer,
    icmp_refused,
    reset_by,
    reset_frame,
    once,
    rtt_ns,
    half_open,
    anomalies,
    anomalies_dropped,
    lifecycle,
    revisions,
    pending,
    pending_anomalies,
    finished,
});

frozen_struct!(Endpoint {
    addr,
    port,
    state,
    origin,
    base,
    isn,
    isn_hint,
    snd_nxt,
    fin,
    last_fin_frame,
    first_fin_ts,
    fin_acked,
    syn_frame,
    last_syn_frame,
    syn_acked,
    wscale_offered,
    rcv_wnd,
    seen,
    rcv_nxt,
    peer_fin_processed,
    held_fin,
    unconfirmed,
    fin_receipt,
    last_receipt,
    last_receipt_ts,
    syn_count,
    first_syn_ts,
    last_syn_ts,
    state_since,
    state_frame,
    max_ack_sent,
    last_pure_ack,
    dup_acks,
    held,
    held_count,
    listener,
    carried,
    fin_in,
    time_wait_since,
    data_after_close,
    last_bad_ack,
    assumed,
    time_wait_deadline,
    handshake_deadline,
});

frozen_struct!(Transition {
    endpoint,
    from,
    to,
    basis,
    rule,
    frame,
    ts,
});

frozen_struct!(Receipt {
    frame,
    state_before,
    origin_before,
    rcv_nxt_before,
    wants_ack,
    carried_data,
});

frozen_struct!(Unconfirmed {
    control,
    ack_end,
    state_before,
    origin_before,
    rcv_nxt_before,
    frame,
});

frozen_struct!(Assumed {
    control,
    ack_end,
    frame,
    state_before,
});

frozen_enum!(Control { Syn, Fin });
frozen_enum!(Sent { Syn, Fin });
