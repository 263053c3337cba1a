//! Capture reading: pcap and pcapng files (memory-mapped) or standard input
//! (read in chunks), framed into batches of [`FrameDesc`]s.
//!
//! CONTRACT (used by the engine; keep these types and signatures stable):
//! see the helper brief. Implementation to be filled in.

/// A link-layer header type, as a `LINKTYPE_*` value of the tcpdump.org registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkType(pub u32);
