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
    pub const FIN: TcpFlags = TcpFlags(0x001);
    pub const SYN: TcpFlags = TcpFlags(0x002);
    pub const RST: TcpFlags = TcpFlags(0x004);
    pub const PSH: TcpFlags = TcpFlags(0x008);
    pub const ACK: TcpFlags = TcpFlags(0x010);
    pub const URG: TcpFlags = TcpFlags(0x020);
    pub const ECE: TcpFlags = TcpFlags(0x040);
    pub const CWR: TcpFlags = TcpFlags(0x080);
    pub const AE: TcpFlags = TcpFlags(0x100);
    pub const fn contains(self, f: TcpFlags) -> bool {
        f.0 != 0 && self.0 & f.0 == f.0
    }
}
impl std::ops::BitOr for TcpFlags {
    type Output = TcpFlags;
    fn bitor(self, rhs: TcpFlags) -> TcpFlags {
        TcpFlags(self.0 | rhs.0)
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
