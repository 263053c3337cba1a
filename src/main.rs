//! The `tcpstate` command line: parses arguments, then hands over to the
//! library ([`tcpstate::report`], [`tcpstate::check`]) which does the work
//! and prints.

mod cli;

use clap::{CommandFactory, Parser};
use cli::*;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tcpstate::anomaly::Severity;
use tcpstate::check;
use tcpstate::output::Format;
use tcpstate::output::guard::Guarded;
use tcpstate::output::time::TimeFormat;
use tcpstate::policy::{Layer, Policy, PolicyError};
use tcpstate::report::{self, Order, Settings, Status, StreamFilter};

/// A terminal that can show colours and redraw a progress line.
fn capable_terminal(is_terminal: bool) -> bool {
    is_terminal && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
}

fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

fn engine_options(e: &EngineArgs) -> Result<tcpstate::engine::Options, String> {
    if !(e.msl.is_finite() && e.msl >= 0.0 && e.msl <= 1e9) {
        return Err(format!(
            "--msl {}: expected a number of seconds between 0 and 1e9",
            e.msl
        ));
    }
    let mut engine = tcpstate::engine::Options::default();
    engine.replay.msl_ns = (e.msl * 1e9).round() as i64;
    engine.verify_checksums = e.verify_checksums;
    Ok(engine)
}

fn settings(e: &EngineArgs, d: &DisplayArgs, format: Format) -> Result<Settings, String> {
    let color = match d.color {
        When::Always => true,
        When::Never => false,
        When::Auto => capable_terminal(io::stdout().is_terminal()),
    } && !no_color();
    Ok(Settings {
        engine: engine_options(e)?,
        format,
        color,
        ..Settings::default()
    })
}

/// The policy of `check`: the file's rules overridden by the flags.
fn policy(a: &CheckArgs) -> Result<Policy, PolicyError> {
    let file = match &a.policy {
        Some(p) => Layer::from_file(p)?,
        None => Layer::default(),
    };
    let fail_on = a.fail_on.map(|s| match s {
        SeverityArg::Error => Severity::Error,
        SeverityArg::Warning => Severity::Warning,
        SeverityArg::Info => Severity::Info,
    });
    let expect_closed = if a.expect_closed {
        Some(true)
    } else if a.no_expect_closed {
        Some(false)
    } else {
        None
    };
    let cli = Layer::from_args(fail_on, expect_closed, &a.allow, &a.deny, &a.max)?;
    Ok(Policy::new(file, cli))
}

/// Moves a command written after options to the front, so that
/// `tcpstate -j 4 timeline F` is `tcpstate timeline -j 4 F` (the command's
/// parser then accepts those options, or names the one it does not take).
/// Which options take a value is read from the parser itself.
fn hoist_command(mut args: Vec<OsString>) -> Vec<OsString> {
    let mut cli = Cli::command();
    cli.build();
    let commands: Vec<String> = cli
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let mut longs = Vec::new();
    let mut shorts = Vec::new();
    for c in std::iter::once(&cli).chain(cli.get_subcommands()) {
        for a in c.get_arguments() {
            let takes = a.get_num_args().is_some_and(|n| n.takes_values()) && !a.is_positional();
            if takes {
                longs.extend(a.get_long().map(str::to_string));
                shorts.extend(a.get_short());
            }
        }
    }
    let mut i = 1;
    while i < args.len() {
        let Some(a) = args[i].to_str() else { break };
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            i += if !long.contains('=') && longs.iter().any(|l| l == long) {
                2
            } else {
                1
            };
        } else if a.len() > 1 && a.starts_with('-') {
            // -j4 carries its value; -j takes the next argument.
            let first = a[1..].chars().next();
            i += if a.len() == 2 && first.is_some_and(|c| shorts.contains(&c)) {
                2
            } else {
                1
            };
        } else {
            if i > 1 && commands.iter().any(|c| c == a) {
                let cmd = args.remove(i);
                args.insert(1, cmd);
            }
            break;
        }
    }
    args
}

/// Whether standard output was open when the program started. A stdout
/// closed before the start (`>&-`) must be an error, not output silently
/// dropped; but Rust's runtime reopens a closed standard descriptor on
/// /dev/null, read-write, before `main`. A shell's `>/dev/null` opens it
/// write-only, so /dev/null open read-write on stdout is taken as closed.
fn stdout_is_open() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    // SAFETY: fcntl(F_GETFL) only reads the descriptor's flags.
    let flags = unsafe { libc::fcntl(libc::STDOUT_FILENO, libc::F_GETFL) };
    if flags < 0 {
        return false;
    }
    if flags & libc::O_ACCMODE != libc::O_RDWR {
        return true;
    }
    let out = io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .and_then(|f| f.metadata());
    match (out, std::fs::metadata("/dev/null")) {
        (Ok(o), Ok(n)) => !(o.dev() == n.dev() && o.ino() == n.ino()),
        _ => true,
    }
}

fn main() -> ExitCode {
    if !stdout_is_open() {
        eprintln!("tcpstate: standard output is closed: nothing could be written");
        return ExitCode::from(Status::InputProblem as u8);
    }
    let cli = Cli::parse_from(hoist_command(std::env::args_os().collect()));
    let stdout = io::stdout();
    let mut out = Guarded::new(io::BufWriter::with_capacity(1 << 20, stdout.lock()));
    let status = run(cli, &mut out);
    let status = match out.finish() {
        // A closed pipe (`| head`) ends the output quietly; the status stays
        // what the analysis found.
        Some(e) if e.kind() == io::ErrorKind::BrokenPipe => status,
        Some(e) => {
            eprintln!("tcpstate: cannot write the output: {e}");
            status.max(Status::InputProblem)
        }
        None => status,
    };
    ExitCode::from(status as u8)
}

fn usage(e: impl std::fmt::Display) -> Status {
    eprintln!("tcpstate: {e}");
    Status::InputProblem
}

fn run(cli: Cli, out: &mut dyn Write) -> Status {
    let mut err = io::stderr();
    let command = match cli.command {
        Some(c) => c,
        None => {
            if cli.summary.files.is_empty() {
                return usage("no capture given (try `tcpstate --help`)");
            }
            Command::Summary(cli.summary)
        }
    };
    let (engine, display) = match &command {
        Command::Summary(a) => (&a.engine, &a.display),
        Command::Timeline(a) => (&a.engine, &a.display),
        Command::Check(a) => (&a.engine, &a.display),
        Command::Report(a) => (&a.engine, &a.display),
        Command::Ladder(a) => (&a.engine, &a.display),
        Command::Netstat(a) => (&a.engine, &a.display),
        Command::Anomalies(a) => {
            let mut buf = Vec::new();
            match a.format {
                CheckFormat::Text => check::render::catalog_text(&mut buf),
                CheckFormat::Json => check::render::catalog_json(&mut buf),
            }
            let _ = out.write_all(&buf);
            return Status::Ok;
        }
    };
    let format = match &command {
        Command::Summary(a) => match a.format {
            SummaryFormat::Text => Format::Text,
            SummaryFormat::Json => Format::Json,
            SummaryFormat::Jsonl => Format::Jsonl,
            SummaryFormat::Zeek => Format::Zeek,
            SummaryFormat::Parquet => Format::Jsonl,
        },
        Command::Timeline(a) => match a.format {
            TimelineFormat::Text => Format::Text,
            TimelineFormat::Json => Format::Json,
            TimelineFormat::Jsonl | TimelineFormat::Parquet => Format::Jsonl,
        },
        Command::Report(a) => match a.format {
            ReportFormat::Html => Format::Text,
            ReportFormat::Json => Format::Json,
        },
        Command::Netstat(a) => match a.format {
            NetstatFormat::Text => Format::Text,
            NetstatFormat::Jsonl => Format::Jsonl,
        },
        _ => Format::Text,
    };
    // -o names a directory for Parquet; every other format goes to stdout.
    let parquet = match &command {
        Command::Summary(a) => Some((a.format == SummaryFormat::Parquet, &a.results)),
        Command::Timeline(a) => Some((a.format == TimelineFormat::Parquet, &a.results)),
        _ => None,
    };
    let parquet_dir = match parquet {
        Some((true, r)) => match &r.output {
            Some(dir) => Some((dir.clone(), r.hive)),
            None => {
                return usage("--format parquet writes files: name their directory with -o DIR");
            }
        },
        Some((false, r)) if r.output.is_some() || r.hive => {
            return usage(
                "-o and --hive go with --format parquet (other formats write to standard output)",
            );
        }
        _ => None,
    };
    if parquet_dir.is_some() && !cfg!(feature = "parquet") {
        return usage(tcpstate::output::NO_PARQUET);
    }
    let mut settings = match settings(engine, display, format) {
        Ok(s) => s,
        Err(e) => return usage(e),
    };
    let select = match &command {
        Command::Summary(a) => a.select.as_deref(),
        Command::Timeline(a) => a.select.as_deref(),
        Command::Report(a) => a.select.as_deref(),
        Command::Ladder(a) => a.select.as_deref(),
        _ => None,
    };
    if let Some(text) = select {
        match tcpstate::select::Selection::parse(text) {
            Ok(s) => settings.select = Some(std::sync::Arc::new(s)),
            Err(e) => return usage(e),
        }
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = engine.threads {
        pool = pool.num_threads(n.max(1));
    }
    if let Err(e) = pool.build_global() {
        return usage(format!("cannot start worker threads: {e}"));
    }
    let files: &[PathBuf] = match &command {
        Command::Summary(a) => &a.files,
        Command::Timeline(a) => &a.files,
        Command::Check(a) => &a.files,
        Command::Report(a) => &a.inputs,
        Command::Ladder(a) => std::slice::from_ref(&a.file),
        Command::Netstat(a) => std::slice::from_ref(&a.file),
        Command::Anomalies(_) => &[],
    };
    if let Err(e) = report::check_inputs(files) {
        return usage(e);
    }
    let show_progress = match display.progress {
        When::Always => true,
        When::Never => false,
        When::Auto => capable_terminal(io::stderr().is_terminal()),
    };
    let progress = show_progress.then(|| {
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        settings.progress = Some(counter.clone());
        let total: Option<u64> = files
            .iter()
            .map(|f| {
                std::fs::metadata(f)
                    .ok()
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
            })
            .sum();
        tcpstate::output::progress::Progress::start(counter, total)
    });
    let result = match &command {
        Command::Summary(a) => {
            settings.time_format = summary_time(a.time_format);
            settings.order = match a.order {
                OrderArg::Stream => Order::Stream,
                OrderArg::Completion => Order::Completion,
            };
            match &parquet_dir {
                Some((dir, hive)) => write_parquet(&a.files, None, &settings, dir, *hive, &mut err),
                None => report::summary(&a.files, &settings, out, &mut err),
            }
        }
        Command::Timeline(a) => {
            settings.time_format = timeline_time(a.time_format);
            let filter = StreamFilter {
                streams: (!a.streams.is_empty()).then(|| a.streams.clone()),
            };
            match &parquet_dir {
                Some((dir, hive)) => {
                    write_parquet(&a.files, Some(&filter), &settings, dir, *hive, &mut err)
                }
                None => report::timeline(&a.files, &filter, &settings, out, &mut err),
            }
        }
        Command::Check(a) => match policy(a) {
            Err(e) => Ok(usage(e)),
            Ok(policy) => {
                let opts = check::Options {
                    engine: settings.engine.clone(),
                    format: match a.format {
                        CheckFormat::Json => check::Format::Json,
                        CheckFormat::Text => check::Format::Text,
                    },
                    color: settings.color,
                    junit: a.junit.clone(),
                    progress: settings.progress.clone(),
                };
                check::run(&a.files, &policy, &opts, out, &mut err)
            }
        },
        Command::Report(a) => {
            let opts = tcpstate::aggregate::Options {
                ladders: a.ladders,
                output: a.output.clone(),
                diagram: a.diagram.clone(),
            };
            tcpstate::aggregate::run(&a.inputs, &opts, &settings, out, &mut err)
        }
        Command::Ladder(a) => {
            let opts = tcpstate::ladder::Options {
                stream: a.stream,
                output: a.output.clone(),
                width: io::stdout().is_terminal().then(terminal_width).flatten(),
            };
            tcpstate::ladder::run(&a.file, &opts, &settings, out, &mut err)
        }
        Command::Netstat(a) => match netstat_options(a) {
            Ok(opts) => tcpstate::netstat::run(&a.file, &opts, &settings, out, &mut err),
            Err(e) => Ok(usage(e)),
        },
        Command::Anomalies(_) => unreachable!("handled above"),
    };
    if let Some(p) = progress {
        p.finish();
    }
    match result {
        Ok(status) => status,
        // Only stderr can fail here (stdout never returns errors): nothing
        // more can be said.
        Err(_) => Status::InputProblem,
    }
}

/// `--format parquet`: summary rows (no `filter`) or timeline rows.
#[cfg(feature = "parquet")]
fn write_parquet(
    files: &[PathBuf],
    filter: Option<&StreamFilter>,
    settings: &Settings,
    dir: &std::path::Path,
    hive: bool,
    err: &mut dyn Write,
) -> io::Result<Status> {
    use tcpstate::report::parquet;
    match filter {
        None => parquet::summary(files, settings, dir, hive, err),
        Some(f) => parquet::timeline(files, f, settings, dir, hive, err),
    }
}

#[cfg(not(feature = "parquet"))]
fn write_parquet(
    _: &[PathBuf],
    _: Option<&StreamFilter>,
    _: &Settings,
    _: &std::path::Path,
    _: bool,
    err: &mut dyn Write,
) -> io::Result<Status> {
    writeln!(err, "tcpstate: {}", tcpstate::output::NO_PARQUET)?;
    Ok(Status::InputProblem)
}

/// The width of the terminal on standard output, if it says.
fn terminal_width() -> Option<usize> {
    // SAFETY: TIOCGWINSZ only fills the winsize it is given.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut ws) };
    (r == 0 && ws.ws_col > 0).then_some(usize::from(ws.ws_col))
}

fn netstat_options(a: &NetstatArgs) -> Result<tcpstate::netstat::Options, String> {
    use tcpstate::netstat::{Moment, Options, parse_interval, parse_time};
    let at = match (&a.at, a.frame) {
        (Some(t), _) => Some(parse_time(t)?),
        (None, Some(f)) => Some(Moment::Frame(f)),
        (None, None) => None,
    };
    let every_ns = a.every.as_deref().map(parse_interval).transpose()?;
    Ok(Options {
        at,
        every_ns,
        all: a.all,
    })
}

fn summary_time(t: SummaryTime) -> TimeFormat {
    match t {
        SummaryTime::R => TimeFormat::Relative,
        SummaryTime::A => TimeFormat::Absolute,
        SummaryTime::Ad => TimeFormat::AbsoluteDate,
        SummaryTime::Adoy => TimeFormat::AbsoluteDoy,
        SummaryTime::E => TimeFormat::Epoch,
        SummaryTime::U => TimeFormat::Utc,
        SummaryTime::Ud => TimeFormat::UtcDate,
        SummaryTime::Udoy => TimeFormat::UtcDoy,
    }
}

fn timeline_time(t: TimelineTime) -> TimeFormat {
    match t {
        TimelineTime::R => TimeFormat::Relative,
        TimelineTime::A => TimeFormat::Absolute,
        TimelineTime::Ad => TimeFormat::AbsoluteDate,
        TimelineTime::Adoy => TimeFormat::AbsoluteDoy,
        TimelineTime::D => TimeFormat::Delta,
        TimelineTime::Dd => TimeFormat::DeltaDisplayed,
        TimelineTime::E => TimeFormat::Epoch,
        TimelineTime::U => TimeFormat::Utc,
        TimelineTime::Ud => TimeFormat::UtcDate,
        TimelineTime::Udoy => TimeFormat::UtcDoy,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hoisted(args: &[&str]) -> Vec<String> {
        hoist_command(args.iter().map(OsString::from).collect())
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect()
    }

    #[test]
    fn a_command_after_options_moves_to_the_front() {
        assert_eq!(
            hoisted(&["tcpstate", "-j", "4", "timeline", "F"]),
            ["tcpstate", "timeline", "-j", "4", "F"]
        );
        assert_eq!(
            hoisted(&[
                "tcpstate",
                "--msl=5",
                "-j4",
                "--verify-checksums",
                "check",
                "F"
            ]),
            [
                "tcpstate",
                "check",
                "--msl=5",
                "-j4",
                "--verify-checksums",
                "F"
            ]
        );
        assert_eq!(
            hoisted(&["tcpstate", "-f", "json", "anomalies"]),
            ["tcpstate", "anomalies", "-f", "json"]
        );
    }

    #[test]
    fn files_and_option_values_are_never_taken_for_commands() {
        // A capture named like a command, as the value of an option or after
        // the first file, stays where it is.
        for args in [
            &["tcpstate", "F", "timeline"][..],
            &["tcpstate", "--junit", "check", "F"],
            &["tcpstate", "--", "timeline"],
            &["tcpstate", "timeline", "F"],
        ] {
            assert_eq!(hoisted(args), args);
        }
    }

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }
}
