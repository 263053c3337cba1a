//! The report and the SVGs in a real browser: headless Chromium (Debian's
//! `chromium`, installed by .ci/run) opens each, light and dark, with no
//! network; any console message fails (the page writes none), and the
//! screenshots are kept in `target/screenshots/` (CI output).

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn out_dir() -> PathBuf {
    let d = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
        .join("screenshots");
    std::fs::create_dir_all(&d).expect("screenshot directory");
    d
}

/// Opens `page` headless and saves a screenshot; returns the console lines.
fn open(page: &Path, shot: &Path, size: (u32, u32), dark: bool) -> Vec<String> {
    let profile = std::env::temp_dir().join(format!(
        "tcpstate-chromium-{}-{}",
        std::process::id(),
        shot.file_stem().unwrap().to_string_lossy()
    ));
    let mut cmd = Command::new("chromium");
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .arg(format!("--window-size={},{}", size.0, size.1))
    .arg(format!("--screenshot={}", shot.display()));
    if dark {
        cmd.arg("--force-dark-mode")
            .arg("--blink-settings=preferredColorScheme=0");
    }
    let out = cmd
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (apt-get install chromium)");
    std::fs::remove_dir_all(&profile).ok();
    assert!(
        shot.exists(),
        "no screenshot of {}: {}",
        page.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(str::to_string)
        .collect()
}

fn tool() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tcpstate"))
}

#[test]
#[ignore = "needs chromium"]
fn the_report_and_the_svgs_open_without_console_errors() {
    let dir = out_dir();
    let report = dir.join("report.html");
    let st = tool()
        .arg("report")
        .arg(repo().join("testdata/real"))
        .arg("-o")
        .arg(&report)
        .status()
        .unwrap();
    assert!(st.success());
    let ladder = dir.join("ladder-09.svg");
    let st = tool()
        .arg("ladder")
        .arg(repo().join("testdata/real/09-lost-final-ack.pcap"))
        .args(["-s", "0", "-o"])
        .arg(&ladder)
        .status()
        .unwrap();
    assert!(st.success());
    let mut console = Vec::new();
    for (page, name, size) in [
        (&report, "report", (1280, 2400)),
        (&ladder, "ladder-09", (1100, 620)),
    ] {
        for dark in [false, true] {
            let shot = dir.join(format!(
                "{name}-{}.png",
                if dark { "dark" } else { "light" }
            ));
            console.extend(open(page, &shot, size, dark));
        }
    }
    eprintln!("screenshots in {}", dir.display());
    assert!(
        console.is_empty(),
        "console messages:\n{}",
        console.join("\n")
    );
}
