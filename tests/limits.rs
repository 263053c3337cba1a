//! Every size a capture's headers can claim has a bound (README, Limits):
//! here each capture-level bound is tried at the bound and one past it. At
//! the bound the input is read; past it the result is the one the table
//! promises (a damaged-input stop naming frame and offset, or a counted
//! skip), never an allocation of what the header claims. (The nesting bound
//! is tested in tests/decode.rs, the reassembly bounds in src/reassembly.rs.)

use tcpstate::capture::{
    Batch, CaptureReader, MAX_BLOCK_LEN, MAX_CAPLEN, MAX_IF_NAME, MAX_LISTED_INTERFACES,
    MAX_SECTION_INTERFACES, Next,
};

/// Frames read, and the damage if the reader stopped at one.
fn read_all(bytes: Vec<u8>) -> (u64, Option<String>, CaptureReader) {
    let mut r = CaptureReader::from_bytes("limits", bytes).expect("a capture");
    let mut batch = Batch::new();
    let mut frames = 0;
    loop {
        let next = r.next_batch(&mut batch, 4096);
        frames += batch.frames().len() as u64;
        match next {
            Next::Frames => {}
            Next::End => return (frames, None, r),
            Next::Damaged(e) => return (frames, Some(e.to_string()), r),
        }
    }
}

fn pcap_header() -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xA1B2_C3D4u32, 0x0004_0002, 0, 0, MAX_CAPLEN, 1] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

fn pcap_record(out: &mut Vec<u8>, caplen: u32) {
    for v in [1u32, 0, caplen, caplen] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.resize(out.len() + caplen as usize, 0);
}

/// A pcapng block of `block_type` with `body` (padded to 4 bytes).
fn block(out: &mut Vec<u8>, block_type: u32, body: &[u8]) {
    let padded = body.len().div_ceil(4) * 4;
    let len = (12 + padded) as u32;
    out.extend_from_slice(&block_type.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(out.len() + padded - body.len(), 0);
    out.extend_from_slice(&len.to_le_bytes());
}

fn shb(out: &mut Vec<u8>) {
    let mut body = Vec::new();
    body.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&(-1i64).to_le_bytes());
    block(out, 0x0A0D_0D0A, &body);
}

/// An Ethernet interface, with an `if_name` of `name_len` bytes.
fn idb(out: &mut Vec<u8>, name_len: usize) {
    let mut body = Vec::new();
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    if name_len > 0 {
        body.extend_from_slice(&2u16.to_le_bytes());
        body.extend_from_slice(&(name_len as u16).to_le_bytes());
        body.extend(std::iter::repeat_n(b'n', name_len));
        body.resize(body.len().div_ceil(4) * 4, 0);
        body.extend_from_slice(&[0, 0, 0, 0]);
    }
    block(out, 1, &body);
}

/// An Enhanced Packet Block of `caplen` zero bytes on interface `iface`.
fn epb(out: &mut Vec<u8>, iface: u32, caplen: u32) {
    let mut body = Vec::new();
    for v in [iface, 0, 0, caplen, caplen] {
        body.extend_from_slice(&v.to_le_bytes());
    }
    body.resize(body.len() + caplen as usize, 0);
    block(out, 6, &body);
}

#[test]
fn a_pcap_record_of_max_caplen_is_read_and_one_byte_more_is_damage() {
    let mut at = pcap_header();
    pcap_record(&mut at, MAX_CAPLEN);
    assert_eq!(read_all(at).0, 1);

    let mut past = pcap_header();
    pcap_record(&mut past, 10);
    pcap_record(&mut past, MAX_CAPLEN + 1);
    let (frames, damage, _) = read_all(past);
    assert_eq!(frames, 1, "the record before the damage is read");
    let damage = damage.expect("damage");
    assert!(
        damage.contains("frame 2") && damage.contains("offset 50"),
        "{damage}"
    );
    assert!(
        damage.contains(&format!("{MAX_CAPLEN}-byte maximum")),
        "{damage}"
    );
}

#[test]
fn a_pcapng_packet_of_max_caplen_is_read_and_one_byte_more_is_damage() {
    let mut at = Vec::new();
    shb(&mut at);
    idb(&mut at, 0);
    epb(&mut at, 0, MAX_CAPLEN);
    assert_eq!(read_all(at).0, 1);

    let mut past = Vec::new();
    shb(&mut past);
    idb(&mut past, 0);
    epb(&mut past, 0, 10);
    epb(&mut past, 0, MAX_CAPLEN + 1);
    let (frames, damage, _) = read_all(past);
    assert_eq!(frames, 1);
    assert!(damage.expect("damage").contains("frame 2"));
}

#[test]
fn a_block_of_max_block_len_is_read_and_a_longer_claim_is_damage() {
    // An unknown block type of exactly the maximum length: skipped, and the
    // packet after it is read.
    let mut at = Vec::new();
    shb(&mut at);
    idb(&mut at, 0);
    block(&mut at, 0x0BAD, &vec![0u8; MAX_BLOCK_LEN as usize - 12]);
    epb(&mut at, 0, 60);
    let (frames, damage, _) = read_all(at);
    assert_eq!((frames, damage), (1, None));

    // A header that claims 4 bytes more (the bytes are not there: the claim
    // alone is refused, before any of it is read or allocated).
    let mut past = Vec::new();
    shb(&mut past);
    idb(&mut past, 0);
    epb(&mut past, 0, 60);
    let at_offset = past.len();
    past.extend_from_slice(&0x0BADu32.to_le_bytes());
    past.extend_from_slice(&(MAX_BLOCK_LEN + 4).to_le_bytes());
    past.resize(past.len() + 64, 0);
    let (frames, damage, _) = read_all(past);
    assert_eq!(frames, 1);
    let damage = damage.expect("damage");
    assert!(damage.contains(&format!("offset {at_offset}")), "{damage}");
}

#[test]
fn a_section_of_max_interfaces_is_read_and_one_more_is_damage() {
    let mut at = Vec::new();
    shb(&mut at);
    for _ in 0..MAX_SECTION_INTERFACES {
        idb(&mut at, 0);
    }
    // A packet on the last interface of the section.
    epb(&mut at, MAX_SECTION_INTERFACES as u32 - 1, 60);
    let (frames, damage, r) = read_all(at);
    assert_eq!((frames, damage), (1, None));
    assert_eq!(r.interfaces().len(), MAX_LISTED_INTERFACES);
    assert_eq!(
        r.unlisted_interfaces(),
        (MAX_SECTION_INTERFACES - MAX_LISTED_INTERFACES) as u64
    );

    let mut past = Vec::new();
    shb(&mut past);
    for _ in 0..=MAX_SECTION_INTERFACES {
        idb(&mut past, 0);
    }
    epb(&mut past, 0, 60);
    let (frames, damage, _) = read_all(past);
    assert_eq!(frames, 0);
    let damage = damage.expect("damage");
    assert!(
        damage.contains(&format!("more than {MAX_SECTION_INTERFACES} interfaces")),
        "{damage}"
    );
}

/// 2,000 interfaces with 60 KB names, spread over sections as a long
/// capture restarted by dumpcap would have them: the names kept are cut, the
/// list is bounded, and every packet is still read.
#[test]
fn interface_metadata_is_bounded_whatever_the_file_claims() {
    let mut bytes = Vec::new();
    for section in 0..2_000u32 {
        if section % 2 == 0 {
            shb(&mut bytes);
        }
        idb(&mut bytes, 60_000);
        epb(&mut bytes, section % 2, 60);
    }
    let (frames, damage, r) = read_all(bytes);
    assert_eq!((frames, damage), (2_000, None));
    let names: usize = r
        .interfaces()
        .iter()
        .filter_map(|i| i.name.as_ref())
        .map(|n| n.len())
        .sum();
    assert_eq!(r.interfaces().len(), 2_000);
    assert_eq!(names, 2_000 * MAX_IF_NAME);

    // Past the listed bound, the list stops growing and counts the rest.
    let mut bytes = Vec::new();
    for _ in 0..MAX_LISTED_INTERFACES + 10 {
        shb(&mut bytes);
        idb(&mut bytes, 16);
        epb(&mut bytes, 0, 60);
    }
    let (frames, _, r) = read_all(bytes);
    assert_eq!(frames, MAX_LISTED_INTERFACES as u64 + 10);
    assert_eq!(r.interfaces().len(), MAX_LISTED_INTERFACES);
    assert_eq!(r.unlisted_interfaces(), 10);
    // Global ids keep counting past the list, as Wireshark numbers them.
    assert_eq!(
        r.interfaces().last().map(|i| i.id),
        Some(MAX_LISTED_INTERFACES as u32 - 1)
    );
}

#[test]
fn an_option_longer_than_its_block_is_read_leniently_not_trusted() {
    // if_name claiming 60,000 bytes in a block of a few: the interface is
    // read from its fixed fields (as Wireshark reads it) and packets on it
    // are read.
    let mut bytes = Vec::new();
    shb(&mut bytes);
    let mut body = Vec::new();
    body.extend_from_slice(&1u16.to_le_bytes());
    body.extend_from_slice(&0u16.to_le_bytes());
    body.extend_from_slice(&0u32.to_le_bytes());
    body.extend_from_slice(&2u16.to_le_bytes());
    body.extend_from_slice(&60_000u16.to_le_bytes());
    body.extend_from_slice(b"eth0");
    block(&mut bytes, 1, &body);
    epb(&mut bytes, 0, 60);
    let (frames, damage, r) = read_all(bytes);
    assert_eq!((frames, damage), (1, None));
    assert_eq!(r.interfaces().len(), 1);
    assert_eq!(r.interfaces()[0].link_type.0, 1);
    assert_eq!(
        r.interfaces()[0].name,
        None,
        "a name that does not fit is not invented"
    );
}

// Clock abuse: timestamps that go backwards, jump by decades, or leave the
// range of 64-bit nanoseconds. The capture clock and connection times
// follow src/clock.rs's rule (a jump of more than a day counts once the next
// frame confirms it); timestamps beyond 2262 are reported, not clamped
// silently (tests/cli.rs, timestamps_beyond_2262_are_reported_not_silently_clamped).

mod common;

use common::{ACK, FIN_ACK, Ladder, SYN, SYN_ACK};
use tcpstate::state::TcpState::*;

const YEARS_50_MS: u64 = 50 * 365 * 86_400 * 1000;

/// One frame stamped 50 years ahead, in the middle of a handshake: no timer
/// fires (the SYN is not taken for unanswered, the handshake completes as
/// one connection), and the connection lasts its 3 ms.
#[test]
fn one_frame_decades_ahead_expires_nothing_and_stretches_nothing() {
    let run = Ladder::new()
        .client(SYN, 1000, 0)
        .then(SynSent, SynReceived)
        .udp(YEARS_50_MS)
        .server(SYN_ACK, 5000, 1001)
        .at_ms(1)
        .then(Established, SynReceived)
        .client(ACK, 1001, 5001)
        .at_ms(2)
        .then(Established, Established)
        .client(FIN_ACK, 1001, 5001)
        .at_ms(3)
        .then(FinWait1, CloseWait)
        .run();
    assert_eq!(run.totals.connections, 1);
    assert_eq!(run.totals.timestamps.ignored, 1);
    assert_eq!(run.totals.timestamps.first_ignored, Some(2));
    let c = run.stream(0);
    assert_eq!(c.last_ts - c.first_ts, 3_000_000, "3 ms, not 50 years");
}

/// Merged captures go backwards a little: the states are the segments',
/// and the duration is from the earliest to the latest frame, never
/// negative.
#[test]
fn timestamps_going_backwards_keep_states_and_a_true_duration() {
    let run = Ladder::new()
        .client(SYN, 1000, 0)
        .at_ms(10_000)
        .then(SynSent, SynReceived)
        .server(SYN_ACK, 5000, 1001)
        .at_ms(9_000)
        .then(Established, SynReceived)
        .client(ACK, 1001, 5001)
        .at_ms(10_002)
        .then(Established, Established)
        .run();
    assert_eq!(run.totals.connections, 1);
    assert_eq!(run.totals.timestamps.ignored, 0, "a second back is real");
    let c = run.stream(0);
    assert_eq!(c.last_ts - c.first_ts, 2_000_000, "10.000 s to 10.002 s");
}

/// A real jump (the next frame confirms it) does move the clock: the
/// half-open connection's timers fire then (an event row, both ends
/// CLOSED), and the SYN after it opens a new connection, as after a long
/// pause.
#[test]
fn a_confirmed_jump_of_decades_moves_the_clock() {
    let run = Ladder::new()
        .client(SYN, 1000, 0)
        .then(SynSent, SynReceived)
        .udp(YEARS_50_MS)
        .udp(YEARS_50_MS + 1)
        .event(Closed, Closed)
        .client(SYN, 2000, 0)
        .at_ms(YEARS_50_MS + 2)
        .then(SynSent, SynReceived)
        .run();
    assert_eq!(run.totals.connections, 2);
}
