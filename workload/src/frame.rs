//! Packet bytes (built with etherparse) and the capture container (written
//! with pcap-file), into one reused buffer: nothing is allocated per packet.

use crate::Format;
use crate::conn::{ACK, Conn, FIN, Opt, PSH, RST, SYN, Seg};
use etherparse::{
    EtherType, Ethernet2Header, IpNumber, Ipv4Header, Ipv6FlowLabel, Ipv6Header, TcpHeader,
    TcpOptionElement,
};
use pcap_file::pcap::{PcapHeader, PcapWriter, RawPcapPacket};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::{DataLink, Endianness, PcapError, TsResolution};
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

/// Payload bytes: the generator sends zeros (only the first few bytes of a
/// payload survive the snapshot length anyway).
static ZEROS: [u8; 2048] = [0; 2048];

/// A writer that counts the bytes through it.
pub(super) struct Counted<W: Write> {
    inner: W,
    pub count: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.count += buf.len() as u64;
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Sink<W: Write> {
    Pcap(PcapWriter<Counted<W>>),
    PcapNg(PcapNgWriter<Counted<W>>),
}

/// Writes frames into a pcap or pcapng stream.
pub(super) struct Frames<W: Write> {
    sink: Sink<W>,
    buf: Vec<u8>,
    snaplen: usize,
}

fn io_err(e: PcapError) -> io::Error {
    match e {
        PcapError::IoError(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

impl<W: Write> Frames<W> {
    pub(super) fn new(w: W, format: Format, snaplen: u32) -> io::Result<Frames<W>> {
        let w = Counted { inner: w, count: 0 };
        let sink = match format {
            Format::Pcap => {
                let header = PcapHeader {
                    version_major: 2,
                    version_minor: 4,
                    ts_correction: 0,
                    ts_accuracy: 0,
                    snaplen,
                    datalink: DataLink::ETHERNET,
                    ts_resolution: TsResolution::MicroSecond,
                    endianness: Endianness::Little,
                };
                Sink::Pcap(PcapWriter::with_header(w, header).map_err(io_err)?)
            }
            Format::PcapNg => {
                let mut ng =
                    PcapNgWriter::with_endianness(w, Endianness::Little).map_err(io_err)?;
                let idb = InterfaceDescriptionBlock {
                    linktype: DataLink::ETHERNET,
                    snaplen,
                    // Nanosecond timestamps: pcap-file writes EPB times in
                    // nanoseconds, so the interface must say so.
                    options: vec![InterfaceDescriptionOption::IfTsResol(9)],
                };
                ng.write_pcapng_block(idb).map_err(io_err)?;
                Sink::PcapNg(ng)
            }
        };
        Ok(Frames {
            sink,
            buf: Vec::with_capacity(256),
            snaplen: snaplen as usize,
        })
    }

    /// Builds and writes one segment of `c`.
    pub(super) fn write(&mut self, c: &mut Conn, s: &Seg) -> io::Result<()> {
        let orig_len = build(&mut self.buf, c, s, self.snaplen);
        let data = &self.buf[..];
        match &mut self.sink {
            Sink::Pcap(p) => {
                let packet = RawPcapPacket {
                    ts_sec: (s.at / 1_000_000) as u32,
                    ts_frac: (s.at % 1_000_000) as u32,
                    incl_len: data.len() as u32,
                    orig_len,
                    data: Cow::Borrowed(data),
                };
                p.write_raw_packet(&packet).map_err(io_err)?;
            }
            Sink::PcapNg(p) => {
                let epb = EnhancedPacketBlock {
                    interface_id: 0,
                    timestamp: Duration::from_micros(s.at as u64),
                    original_len: orig_len,
                    data: Cow::Borrowed(data),
                    options: Vec::new(),
                };
                p.write_pcapng_block(epb).map_err(io_err)?;
            }
        }
        Ok(())
    }

    /// Flushes; returns the writer and the bytes written.
    pub(super) fn finish(self) -> io::Result<(W, u64)> {
        let mut w = match self.sink {
            Sink::Pcap(p) => p.into_writer(),
            Sink::PcapNg(p) => p.into_inner(),
        };
        w.flush()?;
        Ok((w.inner, w.count))
    }
}

/// Builds the frame of segment `s` into `buf`, cut to `snaplen`; returns its
/// length on the wire.
fn build(buf: &mut Vec<u8>, c: &mut Conn, s: &Seg, snaplen: usize) -> u32 {
    buf.clear();
    let from = s.from as usize;
    let to = 1 - from;
    let t = &c.tuple;
    let mut tcp = TcpHeader::new(t.port[from], t.port[to], s.seq, s.win);
    tcp.acknowledgment_number = s.ack;
    tcp.fin = s.flags & FIN != 0;
    tcp.syn = s.flags & SYN != 0;
    tcp.rst = s.flags & RST != 0;
    tcp.psh = s.flags & PSH != 0;
    tcp.ack = s.flags & ACK != 0;
    let mss = if t.v6 { 1440 } else { 1460 };
    let ts = TcpOptionElement::Timestamp(s.tsval, s.tsecr);
    let set = match s.opt {
        Opt::None => Ok(()),
        Opt::Syn | Opt::SynAck => tcp.set_options(&[
            TcpOptionElement::MaximumSegmentSize(mss),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            ts,
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
        ]),
        Opt::Ts => tcp.set_options(&[TcpOptionElement::Noop, TcpOptionElement::Noop, ts]),
        Opt::TsSack(l, r) => tcp.set_options(&[
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
            ts,
            TcpOptionElement::Noop,
            TcpOptionElement::Noop,
            TcpOptionElement::SelectiveAcknowledgement((l, r), [None, None, None]),
        ]),
    };
    set.expect("the options fit a TCP header");
    let payload = &ZEROS[..s.len as usize];
    let tcp_len = tcp.header_len() + payload.len();
    let eth = Ethernet2Header {
        source: t.mac[from],
        destination: t.mac[to],
        ether_type: if t.v6 {
            EtherType::IPV6
        } else {
            EtherType::IPV4
        },
    };
    eth.write(buf).expect("writing to a Vec");
    if t.v6 {
        let ip = Ipv6Header {
            traffic_class: 0,
            flow_label: Ipv6FlowLabel::try_new(c.flow[from]).expect("20 bits"),
            payload_length: tcp_len as u16,
            next_header: IpNumber::TCP,
            hop_limit: c.ttl[from],
            source: t.ip[from],
            destination: t.ip[to],
        };
        tcp.checksum = tcp
            .calc_checksum_ipv6(&ip, payload)
            .expect("segment size fits");
        ip.write(buf).expect("writing to a Vec");
    } else {
        let ip4 = |a: &[u8; 16]| [a[0], a[1], a[2], a[3]];
        let mut ip = Ipv4Header::new(
            tcp_len as u16,
            c.ttl[from],
            IpNumber::TCP,
            ip4(&t.ip[from]),
            ip4(&t.ip[to]),
        )
        .expect("segment size fits");
        ip.identification = c.ip_id[from];
        c.ip_id[from] = c.ip_id[from].wrapping_add(1);
        ip.dont_fragment = true;
        tcp.checksum = tcp
            .calc_checksum_ipv4(&ip, payload)
            .expect("segment size fits");
        ip.write(buf).expect("writing to a Vec");
    }
    tcp.write(buf).expect("writing to a Vec");
    let wire = buf.len() + payload.len();
    let captured = wire.min(snaplen);
    buf.resize(captured, 0);
    wire as u32
}
