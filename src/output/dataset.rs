//! Results as a dataset: where each capture's files go, and how they are
//! written so that a reader never takes a half-written file for a whole one.
//!
//! With several captures (or `--hive`), `-o DIR` gets one Hive-style
//! partition per capture, `DIR/capture=NAME/connections.parquet`, so that
//! Spark, DuckDB, Trino or Polars read `DIR` as one table with a `capture`
//! column and can prune by it. NAME is the capture's name as given, escaped
//! ([`partition_name`]); the exact name is in every row's `file` column.
//!
//! Every file is written under a temporary name beginning with `.` in its
//! own directory (readers skip such names: Spark and Hive skip names
//! beginning with `.` or `_`), flushed to disk, then renamed over the final
//! name, and the directory is flushed too: the final name only ever holds a
//! whole file.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Escaped names longer than this are shortened (a file name may have at
/// most 255 bytes).
const MAX_NAME: usize = 200;

/// The partition directory of capture `name`: `capture=` and the name with
/// every byte other than ASCII letters, digits, `.`, `_` and `-` written as
/// `%XX` (upper-case hex, as Hive and Spark escape partition values and
/// unescape them when they read), so that `/` never nests directories and
/// two names never share a directory. A name whose escaped form exceeds 200
/// bytes keeps its first 160 and ends with `~` and 16 hex digits of a
/// 64-bit FNV-1a hash of the whole name (`~` is escaped everywhere else).
/// The same name always gives the same directory, on every machine.
pub fn partition_name(name: &[u8]) -> String {
    let mut out = String::with_capacity(name.len() + 16);
    for &b in name {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.len() > MAX_NAME {
        let mut cut = 160;
        // Never cut inside a %XX.
        while out.as_bytes()[cut - 1] == b'%' || out.as_bytes()[cut - 2] == b'%' {
            cut -= 1;
        }
        out.truncate(cut);
        out.push_str(&format!("~{:016x}", fnv1a(name)));
    }
    format!("capture={out}")
}

/// 64-bit FNV-1a: small, fixed, the same everywhere.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The bytes of a path as given (on Unix, exactly; elsewhere its text).
pub fn path_bytes(p: &Path) -> Vec<u8> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        p.as_os_str().as_bytes().to_vec()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().into_owned().into_bytes()
    }
}

/// A file being written under a temporary name; [`Pending::commit`] puts it
/// in place, dropping it without that removes it.
#[derive(Debug)]
pub struct Pending {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

impl Pending {
    /// Creates the temporary file for `dest` in `dest`'s directory
    /// (created if needed).
    pub fn create(dest: &Path) -> io::Result<(Pending, File)> {
        static N: AtomicU64 = AtomicU64::new(0);
        let dir = dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(
            ".{name}.tmp-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let file = File::create(&tmp)?;
        Ok((
            Pending {
                tmp,
                dest: dest.to_path_buf(),
                done: false,
            },
            file,
        ))
    }

    /// Flushes `file` (the one [`Pending::create`] gave) to disk, renames it
    /// over the final name, and flushes the directory.
    pub fn commit(mut self, file: File) -> io::Result<()> {
        file.sync_all()?;
        drop(file);
        std::fs::rename(&self.tmp, &self.dest)?;
        self.done = true;
        let dir = self.dest.parent().unwrap_or(Path::new("."));
        // A directory cannot be opened for syncing everywhere; the rename
        // is done either way.
        if let Ok(d) = File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        }) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_are_safe_and_distinct() {
        assert_eq!(partition_name(b"a.pcap"), "capture=a.pcap");
        assert_eq!(
            partition_name(b"testdata/real/01-x y.pcap"),
            "capture=testdata%2Freal%2F01-x%20y.pcap"
        );
        assert_eq!(partition_name(b"../a=b%"), "capture=..%2Fa%3Db%25");
        assert_eq!(partition_name("é".as_bytes()), "capture=%C3%A9");
        assert_ne!(partition_name(b"a/b"), partition_name(b"a%2Fb"));
        for n in [&b"a/b"[..], b"a:b", b"a\nb", b"..", b"x~y"] {
            let p = partition_name(n);
            assert!(!p[8..].contains(['/', '\\', '\n', ':', '=', '~']), "{p}");
        }
    }

    #[test]
    fn long_names_are_shortened_deterministically() {
        let long = vec![b'/'; 300];
        let p = partition_name(&long);
        assert!(p.len() <= 8 + 160 + 17, "{}", p.len());
        assert_eq!(p, partition_name(&long));
        let mut other = long.clone();
        other[299] = b'x';
        assert_ne!(p, partition_name(&other));
        // Never cut inside an escape.
        assert!(p[8..].split('~').next().unwrap().ends_with("%2F"));
        // The hash is FNV-1a's (its published value for "a").
        assert_eq!(fnv1a(b"a"), 0xaf63dc4c8601ec8c);
    }

    #[test]
    fn a_file_is_in_place_only_once_committed() {
        let dir = std::env::temp_dir().join(format!("tcpstate-dataset-{}", std::process::id()));
        let dest = dir.join("capture=x").join("connections.parquet");
        let (p, f) = Pending::create(&dest).unwrap();
        std::io::Write::write_all(&mut &f, b"half").unwrap();
        assert!(!dest.exists());
        drop((p, f)); // a failure: the temporary file goes
        assert_eq!(
            std::fs::read_dir(dest.parent().unwrap()).unwrap().count(),
            0
        );
        let (p, f) = Pending::create(&dest).unwrap();
        std::io::Write::write_all(&mut &f, b"whole").unwrap();
        p.commit(f).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert_eq!(
            std::fs::read_dir(dest.parent().unwrap()).unwrap().count(),
            1
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
