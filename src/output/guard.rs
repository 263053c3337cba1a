//! Standard output that cannot turn a verdict into success.
//!
//! A command's exit status says what it found: `check`'s verdict, or that an
//! input could not be read. If writing the output fails (`| head -1` closed
//! the pipe, `> /dev/full`), the work must still finish so that the status,
//! the JUnit report and the lines on stderr are the same as with a working
//! output. [`Guarded`] therefore never returns a write error: it keeps the
//! first one, drops everything written after it, and lets the caller ask at
//! the end ([`Guarded::error`]).

use std::io::{self, Write};

/// A writer that records its first error instead of returning it.
#[derive(Debug)]
pub struct Guarded<W: Write> {
    inner: W,
    error: Option<io::Error>,
}

impl<W: Write> Guarded<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Guarded<W> {
        Guarded { inner, error: None }
    }

    /// Whether writing has failed (everything since was dropped).
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// Flushes, then returns the first error writing or flushing met.
    pub fn finish(mut self) -> Option<io::Error> {
        let _ = self.flush();
        self.error
    }

    /// The first error met so far, if any.
    pub fn error(&self) -> Option<&io::Error> {
        self.error.as_ref()
    }

    fn keep<T>(&mut self, r: io::Result<T>, dropped: T) -> io::Result<T> {
        match r {
            Ok(v) => Ok(v),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                self.error = Some(e);
                Ok(dropped)
            }
        }
    }
}

impl<W: Write> Write for Guarded<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.error.is_some() {
            return Ok(buf.len());
        }
        let r = self.inner.write(buf);
        self.keep(r, buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        let r = self.inner.write_all(buf);
        self.keep(r, ())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.error.is_some() {
            return Ok(());
        }
        let r = self.inner.flush();
        self.keep(r, ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Accepts `room` bytes, then fails like a closed pipe.
    struct Pipe {
        room: usize,
        got: Vec<u8>,
    }

    impl Write for Pipe {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn the_first_error_is_kept_and_later_writes_are_dropped() {
        let mut g = Guarded::new(Pipe {
            room: 4,
            got: Vec::new(),
        });
        g.write_all(b"abc").unwrap();
        g.write_all(b"defgh").unwrap();
        assert!(g.failed());
        g.write_all(b"more").unwrap();
        assert_eq!(g.inner.got, b"abcd");
        let e = g.finish().expect("the error is reported at the end");
        assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
    }

    #[test]
    fn a_working_output_reports_nothing() {
        let mut g = Guarded::new(Vec::new());
        g.write_all(b"row\n").unwrap();
        assert!(!g.failed());
        assert!(g.finish().is_none());
    }
}
