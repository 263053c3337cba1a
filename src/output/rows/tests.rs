use super::ConnectionRow;
use crate::capture::CaptureReader;
use crate::engine::{self, Collector, Options};
use crate::output::order::Spill;
use serde_json::Value;

fn rows(file: &str) -> (Vec<ConnectionRow>, Vec<u8>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let reader = CaptureReader::open(&path).expect("opens");
    let mut c = Collector::default();
    engine::analyze(reader, &Options::default(), &mut c, None).expect("analyses");
    let mut json = Vec::new();
    let rows = c
        .by_stream()
        .into_iter()
        .map(|r| {
            crate::output::json::connection(&mut json, None, r);
            json.push(b'\n');
            ConnectionRow::from_record(r)
        })
        .collect();
    (rows, json)
}

#[test]
fn rows_read_back_from_json_and_from_a_spill_are_the_rows_written() {
    for f in [
        "testdata/real/09-lost-final-ack.pcap",
        "testdata/real/04-simultaneous-open.pcap",
        "testdata/real/11-unanswered-syn.pcap",
        "testdata/real/15-half-close-server-first-v6.pcap",
    ] {
        let (rows, json) = rows(f);
        assert!(!rows.is_empty(), "{f}");
        for (row, line) in rows.iter().zip(json.split(|&b| b == b'\n')) {
            let v: Value = serde_json::from_slice(line).expect("JSON");
            assert_eq!(&ConnectionRow::from_json(&v).expect("parses"), row, "{f}");
            let mut b = Vec::new();
            row.encode(&mut b);
            assert_eq!(&ConnectionRow::decode(&b), row, "{f}");
        }
    }
}

#[test]
fn a_damaged_spill_decodes_without_panicking() {
    let (rows, _) = rows("testdata/real/09-lost-final-ack.pcap");
    let mut b = Vec::new();
    rows[0].encode(&mut b);
    for cut in 0..b.len() {
        let _ = ConnectionRow::decode(&b[..cut]);
    }
    let mut junk = vec![0xff; 64];
    junk[0] = 7;
    let _ = ConnectionRow::decode(&junk);
}

#[test]
fn bad_json_is_an_error_naming_the_key() {
    let (_, json) = rows("testdata/real/09-lost-final-ack.pcap");
    let line = json.split(|&b| b == b'\n').next().unwrap();
    let mut v: Value = serde_json::from_slice(line).unwrap();
    v["outcome"] = "exploded".into();
    assert_eq!(
        ConnectionRow::from_json(&v).unwrap_err(),
        "unknown outcome `exploded`"
    );
    v.as_object_mut().unwrap().remove("lifecycle");
    v["outcome"] = "closed".into();
    assert_eq!(
        ConnectionRow::from_json(&v).unwrap_err(),
        "`lifecycle` is missing"
    );
}
