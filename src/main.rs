//! The `tcpstate` command line: parses arguments, then hands over to the
//! library ([`tcpstate::report`]) which does the work and prints.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use tcpstate::anomaly::Severity;
use tcpstate::check;
use tcpstate::output::Format;
use tcpstate::policy::{Layer, Policy, PolicyError};
use tcpstate::report::{self, Settings, Status};

const EXIT_CODES: &str = "\
Exit status:
  0  every input was read and analysed
  1  check: the policy does not hold
  2  bad usage, or an input could not be opened, is not a capture, or is damaged or
     truncated (everything before the damage is analysed and printed; the error names
     the file, the frame and the byte offset)

FILE may be - for standard input. Output goes to stdout, errors to stderr.";

/// Reconstructs both endpoints' RFC 9293 TCP states from pcap/pcapng captures.
#[derive(Parser, Debug)]
#[command(name = "tcpstate", version, about, after_help = EXIT_CODES, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// With no command: `summary` of these captures.
    #[command(flatten)]
    summary: SummaryArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One row per connection: endpoints, frames, times, packets and bytes each
    /// way, final state of client and server, active closer, outcome, anomalies.
    #[command(after_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// One row per segment: frame, time, direction, flags, relative seq/ack,
    /// length, client and server state after it, the transitions it caused.
    #[command(after_help = EXIT_CODES)]
    Timeline(TimelineArgs),
    /// Judge captures against a policy, for CI: one line per violation (with a
    /// Wireshark display filter), a closing line with counts; exit 0 when the
    /// policy holds, 1 when it does not, 2 when an input could not be read.
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// List the anomaly catalog: id, severity, RFC section, description.
    Anomalies(AnomaliesArgs),
    /// One self-contained HTML page (or --format json) over many captures:
    /// the state diagram drawn from the traffic, aggregate tables, states
    /// over time, a ladder per connection with an error.
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
    /// One connection as a ladder diagram: SVG with -o, text on a terminal.
    #[command(after_help = EXIT_CODES)]
    Ladder(LadderArgs),
    /// Every endpoint's state at a moment, as `ss -tan` would list it on
    /// each host; or, with --every, the counts of endpoints per state over time.
    #[command(after_help = NETSTAT_HELP)]
    Netstat(NetstatArgs),
}

const REPORT_HELP: &str = "\
CAPTURE may be a directory: its .pcap, .pcapng and .cap files are read, recursively.
The page needs no network: SVG, CSS and a little script are inline. --format json
writes the same aggregate (schema: src/aggregate/schema.json).

Exit status:
  0  every input was read and analysed
  2  bad usage, or an input could not be opened, is not a capture, or is damaged
     (the page still covers everything read, and lists the damage)";

const NETSTAT_HELP: &str = "\
TIME is epoch seconds with a fraction (1700000000.25), an ISO 8601 time
(2023-11-14T22:13:20.25Z), or +SECONDS after the first frame. INTERVAL is a number
with a unit (ns, us, ms, s, m, h). An endpoint is listed while it holds a
connection (not CLOSED or LISTEN; --all lists those too); BASIS tells how its state
is known: sent or received (seen on the wire), inferred, timer, or first-seen.

Exit status: 0 ok; 2 bad usage, or the capture could not be read or is damaged.";

/// `--where`: the selection expression (see `tcpstate report --help`).
const WHERE_HELP: &str = "Only connections matching EXPR, e.g. 'anomaly == rst-in-syn-received', \
'server.state == CLOSE_WAIT and port == 443', or a Wireshark filter such as 'tcp.stream eq 3', \
'ip.addr == 10.0.0.1', 'tcp.port == 443'. Fields: stream, port, client.port, server.port, \
ip.addr, client.ip, server.ip, state, client.state, server.state, outcome, anomaly, severity, \
closer; operators == != < <= > >= (eq ne ...), and, or, not, parentheses";

#[derive(Args, Debug)]
struct ReportArgs {
    /// Captures (pcap or pcapng) or directories of captures.
    #[arg(value_name = "CAPTURE|DIR", required = true)]
    inputs: Vec<PathBuf>,
    /// Write the report to FILE (default: standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    /// Also write the state diagram alone, as an SVG file.
    #[arg(long, value_name = "FILE")]
    diagram: Option<PathBuf>,
    /// Draw ladders for at most N connections with an error-severity anomaly.
    #[arg(long, value_name = "N", default_value_t = 12)]
    ladders: usize,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct LadderArgs {
    /// Capture file (pcap or pcapng).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The connection (Wireshark's tcp.stream).
    #[arg(
        short = 's',
        long = "stream",
        value_name = "N",
        required_unless_present = "select"
    )]
    stream: Option<u64>,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP, conflicts_with = "stream")]
    select: Option<String>,
    /// Write an SVG to FILE (without it: a text ladder on standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
#[group(id = "moment", required = true, multiple = false, args = ["at", "frame", "every"])]
struct NetstatArgs {
    /// Capture file (pcap or pcapng).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The moment: epoch seconds, ISO 8601, or +SECONDS after the first frame.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
    /// The moment just after this frame (Wireshark's frame.number).
    #[arg(long, value_name = "N")]
    frame: Option<u64>,
    /// The counts of endpoints per state every INTERVAL (JSON Lines with --format jsonl).
    #[arg(long, value_name = "INTERVAL")]
    every: Option<String>,
    /// Also list endpoints in CLOSED or LISTEN.
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    common: Common,
}

const CHECK_HELP: &str = "\
Policy: by default any error-severity anomaly is a violation. --fail-on lowers the
bar; --deny, --allow and --max set the rule of single ids (one rule per id), whatever
their severity; --max ID=N tolerates the first N occurrences in each capture.
--expect-closed: every connection must end with outcome `closed` (both FINs sent and
acknowledged, no RST) and both endpoints CLOSED or TIME_WAIT. A --policy TOML file
holds the same rules; the command line overrides it id by id (and for --fail-on and
--expect-closed). `tcpstate anomalies` lists the ids. --format: text or json (not
jsonl); the JSON schema is src/check/schema.json.

Exit status:
  0  the policy holds for every capture
  1  the policy does not hold for at least one capture
  2  bad usage (unknown id, bad policy file, ...), or a capture could not be opened,
     is not a capture, or is damaged or truncated (what was read is still judged and
     its violations printed); 2 outranks 1

FILE may be - for standard input. Output goes to stdout, errors to stderr.";

#[derive(Args, Debug)]
struct Common {
    /// Output format. `zeek` (summary only) writes a Zeek conn.log: the
    /// tab-separated header (#separator ... #types), one row per connection as
    /// Zeek would log it (its originator, conn_state, history, missed_bytes,
    /// sequence-space byte counts; a connection Zeek's timers split gives
    /// several rows), then #close. uids are C + base62 of a hash of the row's
    /// start time, 4-tuple and stream, so reruns give the same uids; #open and
    /// #close are the capture's first and last packet times; service is unset.
    #[arg(short = 'f', long, value_enum, default_value_t = FormatArg::Text, global = true)]
    format: FormatArg,
    /// Worker threads (default: one per CPU). Output does not depend on it.
    #[arg(short = 'j', long, value_name = "N", global = true)]
    threads: Option<usize>,
    /// Maximum segment lifetime: TIME_WAIT lasts 2×MSL (default 30 s, Linux's 60 s TIME_WAIT).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0, global = true)]
    msl: f64,
    /// Verify IPv4 and TCP checksums (off by default: captures taken on a host
    /// with checksum offload show bad checksums on outgoing packets).
    #[arg(long, global = true)]
    verify_checksums: bool,
    /// When to use colours in text output (never when NO_COLOR is set).
    #[arg(long, value_enum, default_value_t = WhenArg::Auto, global = true)]
    color: WhenArg,
    /// When to show progress on stderr for long runs.
    #[arg(long, value_enum, default_value_t = WhenArg::Auto, global = true)]
    progress: WhenArg,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// Capture files (pcap or pcapng); - for standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct TimelineArgs {
    /// Capture file (pcap or pcapng); - for standard input.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Only these streams (Wireshark's tcp.stream numbers); repeatable.
    #[arg(short = 's', long = "stream", value_name = "N")]
    streams: Vec<u64>,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Capture files (pcap or pcapng); - for standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// A violation is any anomaly of this severity or worse [default: error].
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<SeverityArg>,
    /// Every occurrence of these ids is a violation, whatever their severity.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    deny: Vec<String>,
    /// These ids are never violations, whatever their severity.
    #[arg(long, value_name = "ID,...", value_delimiter = ',')]
    allow: Vec<String>,
    /// Tolerate up to N occurrences of ID per capture; more are violations.
    #[arg(long, value_name = "ID=N", value_delimiter = ',')]
    max: Vec<String>,
    /// Every connection must end cleanly closed (see below).
    #[arg(long, overrides_with = "no_expect_closed")]
    expect_closed: bool,
    /// Do not require clean closes (overrides a policy file's expect-closed).
    #[arg(long, overrides_with = "expect_closed")]
    no_expect_closed: bool,
    /// A TOML policy file (fail-on, expect-closed, allow, deny, [max]); flags
    /// override it.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Also write a JUnit XML report: one test suite per capture, one test
    /// case per rule.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// Takes `--format text|json` (the global option).
#[derive(Args, Debug)]
struct AnomaliesArgs {}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    /// Aligned columns for people.
    Text,
    /// One JSON document (schema version 1).
    Json,
    /// JSON Lines: one object per line.
    Jsonl,
    /// A Zeek conn.log, loadable by zeek-cut (summary only).
    Zeek,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum WhenArg {
    Auto,
    Always,
    Never,
}

fn settings(c: &Common) -> Result<Settings, String> {
    if !(c.msl.is_finite() && c.msl >= 0.0 && c.msl <= 1e9) {
        return Err(format!(
            "--msl {}: expected a number of seconds between 0 and 1e9",
            c.msl
        ));
    }
    let mut engine = tcpstate::engine::Options::default();
    engine.replay.msl_ns = (c.msl * 1e9).round() as i64;
    engine.verify_checksums = c.verify_checksums;
    let format = match c.format {
        FormatArg::Text => Format::Text,
        FormatArg::Json => Format::Json,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Zeek => Format::Zeek,
    };
    let color = match c.color {
        WhenArg::Always => true,
        WhenArg::Never => false,
        WhenArg::Auto => {
            io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    } && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    Ok(Settings {
        engine,
        format,
        color,
        progress: None,
        select: None,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Anomalies(_)) = &cli.command {
        // --format is global: its value is the top level's.
        let mut buf = Vec::new();
        match cli.summary.common.format {
            FormatArg::Text => check::render::catalog_text(&mut buf),
            FormatArg::Json | FormatArg::Jsonl => check::render::catalog_json(&mut buf),
            FormatArg::Zeek => {
                eprintln!("tcpstate: anomalies writes --format text or json, not zeek");
                return ExitCode::from(Status::InputProblem as u8);
            }
        }
        return match io::stdout().lock().write_all(&buf) {
            Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
                eprintln!("tcpstate: cannot write output: {e}");
                ExitCode::from(Status::InputProblem as u8)
            }
            _ => ExitCode::SUCCESS,
        };
    }
    let common = match &cli.command {
        Some(Command::Summary(a)) => &a.common,
        Some(Command::Timeline(a)) => &a.common,
        Some(Command::Check(a)) => &a.common,
        Some(Command::Report(a)) => &a.common,
        Some(Command::Ladder(a)) => &a.common,
        Some(Command::Netstat(a)) => &a.common,
        Some(Command::Anomalies(_)) => unreachable!("handled above"),
        None => &cli.summary.common,
    };
    if cli.command.is_none() && cli.summary.files.is_empty() {
        eprintln!("tcpstate: no capture given (try `tcpstate --help`)");
        return ExitCode::from(Status::InputProblem as u8);
    }
    let check_policy = match &cli.command {
        Some(Command::Check(a)) => {
            if matches!(common.format, FormatArg::Jsonl | FormatArg::Zeek) {
                eprintln!("tcpstate: check writes --format text or json, not jsonl or zeek");
                return ExitCode::from(Status::InputProblem as u8);
            }
            match policy(a) {
                Ok(p) => Some(p),
                Err(e) => {
                    eprintln!("tcpstate: {e}");
                    return ExitCode::from(Status::InputProblem as u8);
                }
            }
        }
        _ => None,
    };
    let mut settings = match settings(common) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tcpstate: {e}");
            return ExitCode::from(Status::InputProblem as u8);
        }
    };
    let select = match &cli.command {
        Some(Command::Summary(a)) => a.select.as_deref(),
        Some(Command::Timeline(a)) => a.select.as_deref(),
        Some(Command::Report(a)) => a.select.as_deref(),
        Some(Command::Ladder(a)) => a.select.as_deref(),
        None => cli.summary.select.as_deref(),
        _ => None,
    };
    if let Some(text) = select {
        match tcpstate::select::Selection::parse(text) {
            Ok(s) => settings.select = Some(std::sync::Arc::new(s)),
            Err(e) => {
                eprintln!("tcpstate: {e}");
                return ExitCode::from(Status::InputProblem as u8);
            }
        }
    }
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(n) = common.threads {
        pool = pool.num_threads(n.max(1));
    }
    if let Err(e) = pool.build_global() {
        eprintln!("tcpstate: cannot start worker threads: {e}");
        return ExitCode::from(Status::InputProblem as u8);
    }
    let files: Vec<&PathBuf> = match &cli.command {
        Some(Command::Summary(a)) => a.files.iter().collect(),
        Some(Command::Timeline(a)) => vec![&a.file],
        Some(Command::Check(a)) => a.files.iter().collect(),
        Some(Command::Report(a)) => a.inputs.iter().collect(),
        Some(Command::Ladder(a)) => vec![&a.file],
        Some(Command::Netstat(a)) => vec![&a.file],
        Some(Command::Anomalies(_)) => unreachable!("handled above"),
        None => cli.summary.files.iter().collect(),
    };
    let show_progress = match common.progress {
        WhenArg::Always => true,
        WhenArg::Never => false,
        WhenArg::Auto => io::stderr().is_terminal(),
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
    let stdout = io::stdout();
    let mut out = io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let mut err = io::stderr();
    let result = match &cli.command {
        Some(Command::Summary(a)) => report::summary(&a.files, &settings, &mut out, &mut err),
        Some(Command::Timeline(a)) => {
            let mut streams = (!a.streams.is_empty()).then(|| a.streams.clone());
            match tcpstate::select::narrow_streams(&a.file, streams.take(), &settings) {
                Ok(streams) => report::timeline(&a.file, streams, &settings, &mut out, &mut err),
                Err(e) => {
                    eprintln!("tcpstate: {e}");
                    Ok(Status::InputProblem)
                }
            }
        }
        Some(Command::Report(a)) => {
            let opts = tcpstate::aggregate::Options {
                ladders: a.ladders,
                output: a.output.clone(),
                diagram: a.diagram.clone(),
            };
            tcpstate::aggregate::run(&a.inputs, &opts, &settings, &mut out, &mut err)
        }
        Some(Command::Ladder(a)) => {
            let opts = tcpstate::ladder::Options {
                stream: a.stream,
                output: a.output.clone(),
                terminal: io::stdout().is_terminal(),
            };
            tcpstate::ladder::run(&a.file, &opts, &settings, &mut out, &mut err)
        }
        Some(Command::Netstat(a)) => match netstat_options(a) {
            Ok(opts) => tcpstate::netstat::run(&a.file, &opts, &settings, &mut out, &mut err),
            Err(e) => {
                eprintln!("tcpstate: {e}");
                Ok(Status::InputProblem)
            }
        },
        Some(Command::Check(a)) => {
            let opts = check::Options {
                engine: settings.engine.clone(),
                format: match settings.format {
                    Format::Json => check::Format::Json,
                    _ => check::Format::Text,
                },
                color: settings.color,
                junit: a.junit.clone(),
                progress: settings.progress.clone(),
            };
            let policy = check_policy.as_ref().expect("policy resolved above");
            check::run(&a.files, policy, &opts, &mut out, &mut err)
        }
        Some(Command::Anomalies(_)) => unreachable!("handled above"),
        None => report::summary(&cli.summary.files, &settings, &mut out, &mut err),
    };
    if let Some(p) = progress {
        p.finish();
    }
    let result = result.and_then(|s| out.flush().map(|()| s));
    match result {
        Ok(status) => ExitCode::from(status as u8),
        // A closed pipe (`tcpstate ... | head`) ends the output quietly.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tcpstate: cannot write output: {e}");
            ExitCode::from(Status::InputProblem as u8)
        }
    }
}
