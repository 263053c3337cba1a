//! TEMPORARY contract stub: the reader branch replaces this module.
use std::fmt;
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap {
        big_endian: bool,
        nanosecond: bool,
        modified: bool,
    },
    PcapNg,
}
#[derive(Clone, Debug)]
pub struct InterfaceInfo {
    pub id: u32,
    pub link_type: LinkType,
    pub snaplen: u32,
    pub name: Option<String>,
}
#[derive(Clone, Copy, Debug)]
pub struct FrameDesc {
    pub number: u64,
    pub ts_ns: i64,
    pub interface: u32,
    pub link_type: LinkType,
    pub data_start: u32,
    pub caplen: u32,
    pub orig_len: u32,
    pub file_offset: u64,
}
#[derive(Default)]
pub struct Batch {
    frames: Vec<FrameDesc>,
    data: Vec<u8>,
}
impl Batch {
    pub fn new() -> Batch {
        Batch::default()
    }
    pub fn frames(&self) -> &[FrameDesc] {
        &self.frames
    }
    pub fn data(&self) -> &[u8] {
        &self.data
    }
    pub fn frame_bytes(&self, f: &FrameDesc) -> &[u8] {
        &self.data[f.data_start as usize..f.data_start as usize + f.caplen as usize]
    }
}
pub enum Next {
    Frames,
    End,
    Damaged(CaptureError),
}
pub struct CaptureReader {
    name: String,
}
impl CaptureReader {
    pub fn open(path: &Path) -> Result<CaptureReader, CaptureError> {
        Err(CaptureError {
            file: path.display().to_string(),
            frame: None,
            offset: 0,
            kind: CaptureErrorKind::Io("stub".into()),
        })
    }
    pub fn next_batch(&mut self, batch: &mut Batch, _max_frames: usize) -> Next {
        batch.frames.clear();
        Next::End
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn format(&self) -> Format {
        Format::PcapNg
    }
    pub fn interfaces(&self) -> &[InterfaceInfo] {
        &[]
    }
    pub fn bytes_consumed(&self) -> u64 {
        0
    }
    pub fn total_len(&self) -> Option<u64> {
        None
    }
}
#[derive(Debug)]
pub struct CaptureError {
    pub file: String,
    pub frame: Option<u64>,
    pub offset: u64,
    pub kind: CaptureErrorKind,
}
#[derive(Debug)]
pub enum CaptureErrorKind {
    Io(String),
    NotACapture(String),
    Truncated { needed: u64, available: u64 },
    Corrupt(String),
}
impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.file, self.kind)
    }
}
impl std::error::Error for CaptureError {}
