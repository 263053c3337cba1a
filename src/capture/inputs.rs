//! The inputs named on the command line: files, standard input, and
//! directories, which are read recursively.
//!
//! In a directory, captures are recognised by their content (a pcap or
//! pcapng magic number, possibly inside gzip, zstd or lz4), never by their
//! name; every other file is skipped, and the skipped files of a directory
//! are reported in one note. The files of a directory come in sorted path
//! order (component by component), so the output does not depend on the
//! order the file system lists them in. Symbolic links are followed; a
//! directory reached twice (a link loop) is read once.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::compress::{self, Decompressed};

/// What the arguments expand to.
#[derive(Debug, Default)]
pub struct Inputs {
    /// The inputs to analyse, in order: each argument in turn, a directory
    /// replaced by the captures under it.
    pub files: Vec<PathBuf>,
    /// One note per directory that held other files (not an error).
    pub notes: Vec<String>,
    /// Directories that could not be read, or held no capture at all.
    pub problems: Vec<String>,
}

/// Names listed in a note before "and N more".
const NOTE_NAMES: usize = 5;

/// Expands `args`: a directory becomes the captures found under it, any
/// other argument (a file, `-`, a path that does not exist) stays as given.
pub fn expand(args: &[PathBuf]) -> Inputs {
    let mut out = Inputs::default();
    for arg in args {
        if arg.as_os_str() == "-" || !arg.is_dir() {
            out.files.push(arg.clone());
            continue;
        }
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        let mut unreadable = Vec::new();
        walk(arg, &mut found, &mut seen, &mut unreadable);
        found.sort();
        let mut skipped = Vec::new();
        for f in found {
            match is_capture(&f) {
                Ok(true) => out.files.push(f),
                Ok(false) => skipped.push(f),
                Err(e) => unreadable.push(format!("{}: {e}", f.display())),
            }
        }
        let dir = arg.display();
        if !out.files.iter().any(|f| f.starts_with(arg)) {
            // One line says it all: no capture, and what else was there.
            out.problems.extend(unreadable);
            out.problems.push(format!(
                "{dir}: no pcap or pcapng capture in this directory{}",
                match skipped.len() {
                    0 => String::new(),
                    n => format!(" ({n} other file{})", if n == 1 { "" } else { "s" }),
                }
            ));
            continue;
        }
        if !skipped.is_empty() {
            let names: Vec<String> = skipped
                .iter()
                .take(NOTE_NAMES)
                .map(|p| p.strip_prefix(arg).unwrap_or(p).display().to_string())
                .collect();
            let more = skipped.len().saturating_sub(NOTE_NAMES);
            out.notes.push(format!(
                "{dir}: {} file{} skipped, not a capture: {}{}",
                skipped.len(),
                if skipped.len() == 1 { "" } else { "s" },
                names.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
        out.problems.extend(unreadable);
    }
    out
}

/// Every file under `dir`, following links; directories already seen (by
/// their canonical path) are not read again.
fn walk(dir: &Path, files: &mut Vec<PathBuf>, seen: &mut HashSet<PathBuf>, errs: &mut Vec<String>) {
    match dir.canonicalize() {
        Ok(c) => {
            if !seen.insert(c) {
                return;
            }
        }
        Err(e) => {
            errs.push(format!("{}: {e}", dir.display()));
            return;
        }
    }
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errs.push(format!("{}: {e}", dir.display()));
            return;
        }
    };
    for entry in entries {
        let path = match entry {
            Ok(e) => e.path(),
            Err(e) => {
                errs.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        // Follows links: a link to a directory is walked (once), a link
        // to a file is a file.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_dir() => walk(&path, files, seen, errs),
            Ok(m) if m.is_file() => files.push(path),
            Ok(_) => {} // sockets, devices, FIFOs: never read from a directory
            Err(e) => errs.push(format!("{}: {e}", path.display())),
        }
    }
}

/// Whether the file starts like a capture: a pcap or pcapng magic number,
/// directly or inside a compressed stream.
pub fn is_capture(path: &Path) -> std::io::Result<bool> {
    let mut head = [0u8; 8];
    let n = read_head(&mut std::fs::File::open(path)?, &mut head)?;
    let head = &head[..n];
    if starts_like_capture(head) {
        return Ok(true);
    }
    let Some(c) = compress::detect(head) else {
        return Ok(false);
    };
    let mut d = Decompressed::spawn(c, Box::new(std::fs::File::open(path)?))?;
    let mut inner = [0u8; 8];
    // A compressed file whose start cannot be decompressed is not taken
    // for a capture.
    let n = read_head(&mut d, &mut inner).unwrap_or(0);
    Ok(starts_like_capture(&inner[..n]))
}

fn read_head(r: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The magic numbers of pcap (both byte orders, micro- and nanosecond,
/// the modified format) and of a pcapng section header block.
fn starts_like_capture(head: &[u8]) -> bool {
    const PCAP: [u32; 3] = [0xA1B2_C3D4, 0xA1B2_3C4D, 0xA1B2_CD34];
    let Some(m) = head.get(..4) else {
        return false;
    };
    let be = u32::from_be_bytes([m[0], m[1], m[2], m[3]]);
    m == [0x0A, 0x0D, 0x0D, 0x0A] || PCAP.contains(&be) || PCAP.contains(&be.swap_bytes())
}
