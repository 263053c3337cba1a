//! Progress on stderr for long runs: shown only on a terminal, only once a
//! run has lasted a second, and erased when it ends.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A running progress display.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts displaying `counter` (bytes read) against `total` bytes.
    pub fn start(counter: Arc<AtomicU64>, total: Option<u64>) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::spawn(move || {
            let start = Instant::now();
            let mut shown = false;
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let elapsed = start.elapsed();
                if elapsed < Duration::from_secs(1) || flag.load(Ordering::Relaxed) {
                    continue;
                }
                let bytes = counter.load(Ordering::Relaxed);
                let rate = bytes as f64 / elapsed.as_secs_f64() / 1e6;
                let line = match total {
                    Some(t) if t > 0 => format!(
                        "tcpstate: {:3.0}% of {:.0} MB read ({rate:.0} MB/s)",
                        100.0 * bytes as f64 / t as f64,
                        t as f64 / 1e6
                    ),
                    _ => format!(
                        "tcpstate: {:.0} MB read ({rate:.0} MB/s)",
                        bytes as f64 / 1e6
                    ),
                };
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r{line}\x1b[K");
                let _ = err.flush();
                shown = true;
            }
            if shown {
                let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
            }
        });
        Progress {
            done,
            thread: Some(thread),
        }
    }

    /// Stops and erases the display.
    pub fn finish(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop();
    }
}
