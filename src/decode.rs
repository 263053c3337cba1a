//! TEMPORARY contract stub: the reader branch replaces this file with the real decoder.
use crate::capture::LinkType;
use std::net::IpAddr;

pub fn decode(_link: LinkType, _data: &[u8], _orig_len: u32, _verify_checksums: bool) -> Decoded {
    Decoded::Skipped(Skip::UnsupportedLink)
}
pub enum Decoded {
    Tcp(TcpSegment),
    Skipped(Skip),
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Skip {
    UnsupportedLink,
    NotIp,
    NotTcp,
    Fragment,
    TruncatedIpHeader,
    TruncatedTcpHeader,
    Malformed,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    pub urgent_ptr: u16,
    pub header_len: u8,
    pub payload_len: u32,
    pub captured_payload_len: u32,
    pub ip_len: u32,
    pub options: TcpOptions,
    pub checksum: ChecksumStatus,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct TcpFlags(pub u16);
impl TcpFlags {
    pub const FIN: u16 = 0x001;
    pub const SYN: u16 = 0x002;
    pub const RST: u16 = 0x004;
    pub const PSH: u16 = 0x008;
    pub const ACK: u16 = 0x010;
    pub const URG: u16 = 0x020;
    pub const ECE: u16 = 0x040;
    pub const CWR: u16 = 0x080;
    pub const AE: u16 = 0x100;
    pub fn contains(self, f: u16) -> bool {
        self.0 & f == f
    }
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct TcpOptions {
    pub mss: Option<u16>,
    pub window_scale: Option<u8>,
    pub sack_permitted: bool,
    pub timestamps: Option<(u32, u32)>,
    pub sack_blocks: [(u32, u32); 4],
    pub sack_count: u8,
    pub malformed: bool,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ChecksumStatus {
    #[default]
    NotChecked,
    Good,
    Bad,
    Unverifiable,
}
