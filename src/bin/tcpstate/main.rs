//! The `tcpstate` command line: parses arguments, then hands over to the
//! library ([`tcpstate::report`], [`tcpstate::check`]) which does the work
//! and prints. This file holds the arguments (clap's definitions, which are
//! also the `--help` text), `main` and the exit status; `run.rs` turns each
//! command's arguments into the library's settings and calls it.

/// The allocator (feature `jemalloc`, on by default; see Cargo.toml for
/// what it was measured against).
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read when it starts (the environment's
/// `_RJEM_MALLOC_CONF` overrides them). Pages freed go back to the OS a
/// quarter of a second later (`dirty_decay_ms`; 10 s by default), and at
/// once for allocations of 1 MiB and more (`oversize_threshold`: those are
/// served by jemalloc's arena for huge allocations, which it purges
/// eagerly), so that the max RSS follows the memory in use: the slot
/// arrays and flow tables, grown by copying, are not briefly held twice.
/// Giving back every page at once (a decay of 0, the setting before)
/// made 13,500 `madvise` calls and 50,000 page faults in the 5M summary
/// at -j 2 (6,300 and 34,000 now); plausibly what made it costly is that
/// each takes the process's memory map and flushes the other threads'
/// TLBs. Paired alternating runs of the 5M summary: at -j 2 8% faster
/// (median ratio 0.917 of 12 pairs, CPU 0.923), at -j 1 6% (0.941), max
/// RSS 79.9 -> 80.6 MB; the million-open summary 14.95 -> 10.48 s. The
/// million-SYN test (tests/million.rs) peaks at 235 MB, as with the eager
/// purge (230 MB); a delay alone, without the threshold, took it to
/// 253-267 MB at 100-250 ms, over its bound of 256.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[unsafe(export_name = "_rjem_malloc_conf")]
static MALLOC_CONF: &[u8; 63] = b"dirty_decay_ms:250,muzzy_decay_ms:0,oversize_threshold:1048576\0";

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
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

mod run;
use run::run;

const EXIT_CODES: &str = "\
Exit status:
  0  every input was read and analysed
  1  check: the policy does not hold
  2  bad usage, or an input could not be opened, is not a capture, or is damaged or
     truncated (everything before the damage is analysed and printed; the error names
     the file, the frame and the byte offset), or the output could not be written
A closed output (`| head`) is not an error, and never hides one: every input is
still read to its end so that the status is the same.

FILE may be - for standard input, a gzip, zstd or lz4 compressed capture, or a directory
(the captures under it, recognised by content, in sorted order). Output goes to stdout,
errors to stderr.";

/// Reconstructs both endpoints' RFC 9293 TCP states from pcap/pcapng captures.
///
/// With no command, `tcpstate FILE...` is `tcpstate summary FILE...`.
/// Options may come before the command (`tcpstate -j 4 timeline F`).
#[derive(Parser, Debug)]
#[command(
    name = "tcpstate",
    version,
    after_help = "Run `tcpstate COMMAND --help` for a command's options; `--help` says more than `-h`.",
    after_long_help = EXIT_CODES,
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    #[command(flatten)]
    summary: SummaryArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// One row per connection (the default command).
    ///
    /// Endpoints, frames, times, packets and bytes each way, the final state
    /// of client and server, the active closer, the outcome, Zeek's
    /// conn_state and history, anomalies and Wireshark's verdict counts.
    /// Rows come in stream order (Wireshark's tcp.stream), like tshark's
    /// conversation table; several files are analysed in parallel and come
    /// out in the order given.
    #[command(after_long_help = EXIT_CODES)]
    Summary(SummaryArgs),
    /// One row per segment, with both endpoints' states after it.
    ///
    /// Frame, time, stream, direction, flags, relative seq/ack, length, the
    /// client's and the server's state after the segment, the transitions it
    /// caused, the receiver's verdict, anomalies and Wireshark's verdicts.
    /// Several files are shown one after the other, each ending with the
    /// summary's footer line.
    #[command(after_long_help = EXIT_CODES)]
    Timeline(TimelineArgs),
    /// Judge captures against a policy, for CI.
    ///
    /// One line per violation (with a Wireshark display filter), a closing
    /// line with counts; exit 0 when the policy holds, 1 when it does not, 2
    /// when an input could not be read.
    #[command(after_long_help = CHECK_HELP)]
    Check(CheckArgs),
    /// The anomaly catalog: id, severity, RFC section, description.
    Anomalies(AnomaliesArgs),
    /// One self-contained HTML page (or JSON) over many captures.
    ///
    /// The RFC 9293 state diagram drawn from the traffic, aggregate tables
    /// per capture and overall, duration histograms, the endpoints in each
    /// state over time, and a ladder per connection with an error-severity
    /// anomaly.
    #[command(after_long_help = REPORT_HELP)]
    Report(ReportArgs),
    /// One connection as a ladder diagram: SVG with -o, text without.
    #[command(after_long_help = EXIT_CODES)]
    Ladder(LadderArgs),
    /// Every endpoint's state at a moment, as `ss -tan` would list it.
    ///
    /// Or, with --every, the count of endpoints in each state over time.
    #[command(after_long_help = NETSTAT_HELP)]
    Netstat(NetstatArgs),
}

const REPORT_HELP: &str = "\
CAPTURE may be a directory: the captures under it (recognised by their content,
compressed too) are read, recursively. A directory holding results
(connections.parquet files, as summary --format parquet writes them, or *.jsonl
summary output) is read as results instead: the report is the one the captures
would give (JSON byte for byte), listing them by path.
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

/// `--where`: the selection expression.
const WHERE_HELP: &str = "Only the connections EXPR selects, e.g. 'anomaly == rst-in-syn-received', \
'server.state == CLOSE_WAIT and port == 443', or a Wireshark filter: 'tcp.stream eq 3', \
'ip.addr == 10.0.0.1', 'tcp.port == 443'. Fields: stream, port, client.port, server.port, \
ip.addr (an address or network), client.ip, server.ip, state, client.state, server.state, \
outcome, anomaly, severity, closer; operators == != < <= > >= (eq ne lt le gt ge), and, or, \
not, parentheses";

#[derive(Args, Debug)]
struct ReportArgs {
    /// Captures (pcap or pcapng), directories of captures, or results
    /// (directories of them, connections.parquet or .jsonl files).
    #[arg(value_name = "CAPTURE|DIR", required = true)]
    inputs: Vec<PathBuf>,
    /// Write the report to FILE [default: standard output].
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Output format [default: html].
    ///
    /// html: one self-contained page. json: the aggregate (schema:
    /// src/aggregate/schema.json).
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Html, hide_default_value = true)]
    format: ReportFormat,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    /// Also write the state diagram alone, as an SVG file.
    #[arg(long, value_name = "FILE")]
    diagram: Option<PathBuf>,
    /// Draw ladders for at most N connections with an error-severity anomaly.
    #[arg(long, value_name = "N", default_value_t = 12)]
    ladders: usize,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
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
    /// Write an SVG to FILE [default: a text ladder on standard output].
    #[arg(short = 'o', long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
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
    /// The counts of endpoints in each state every INTERVAL.
    #[arg(long, value_name = "INTERVAL")]
    every: Option<String>,
    /// Also list endpoints in CLOSED or LISTEN.
    #[arg(long)]
    all: bool,
    /// Output format [default: text].
    ///
    /// text: aligned columns. jsonl: one object per endpoint (or per sample);
    /// schema: src/netstat.schema.json.
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = NetstatFormat::Text, hide_default_value = true)]
    format: NetstatFormat,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ReportFormat {
    Html,
    Json,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum NetstatFormat {
    Text,
    Jsonl,
}

const CHECK_HELP: &str = "\
Policy: by default any error-severity anomaly is a violation. --fail-on lowers the
bar; --deny, --allow and --max set the rule of single ids (one rule per id), whatever
their severity; --max ID=N tolerates the first N occurrences in each capture.
--expect-closed: every connection must end with outcome `closed` (both FINs sent and
acknowledged, no RST) and both endpoints CLOSED or TIME_WAIT. A --policy TOML file
holds the same rules; the command line overrides it id by id (and for --fail-on and
--expect-closed). `tcpstate anomalies` lists the ids. The JSON schema is
src/check/schema.json.

Exit status:
  0  the policy holds for every capture
  1  the policy does not hold for at least one capture
  2  bad usage (unknown id, bad policy file, ...), or a capture could not be opened,
     is not a capture, or is damaged or truncated (what was read is still judged and
     its violations printed), or a report could not be written; 2 outranks 1
A closed output (`| head`) changes neither the verdict nor the JUnit report.

FILE may be - for standard input, a gzip, zstd or lz4 compressed capture, or a directory
(the captures under it, recognised by content, in sorted order). Output goes to stdout,
errors to stderr.";

/// How the engine replays: shared by the commands that read captures.
#[derive(Args, Debug)]
struct EngineArgs {
    /// Worker threads [default: one per CPU]; output does not depend on it.
    #[arg(short = 'j', long, value_name = "N")]
    threads: Option<usize>,
    /// Maximum segment lifetime in seconds [default: 30]: TIME_WAIT lasts 2×MSL.
    ///
    /// 30 s gives Linux's 60 s TIME_WAIT; RFC 9293 suggests 120 s.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30.0,
        hide_default_value = true
    )]
    msl: f64,
    /// Verify IPv4 and TCP checksums.
    ///
    /// Off by default: captures taken on a host with checksum offload show bad
    /// checksums on outgoing packets. A segment with a bad checksum changes no
    /// state (its receiver discards it) and counts as Zeek's `c`.
    #[arg(long)]
    verify_checksums: bool,
}

/// How output looks on a terminal.
#[derive(Args, Debug)]
struct DisplayArgs {
    /// Colours in text output [default: auto].
    ///
    /// auto: only when stdout is a terminal and TERM is not `dumb`. NO_COLOR
    /// (set and not empty) turns colours off whatever this says.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = When::Auto, hide_default_value = true)]
    color: When,
    /// Progress on stderr for runs longer than a second [default: auto].
    ///
    /// auto: when stderr is a terminal and TERM is not `dumb`.
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = When::Auto, hide_default_value = true)]
    progress: When,
}

#[derive(Args, Debug)]
struct SummaryArgs {
    /// Capture files (pcap or pcapng, possibly compressed) or directories;
    /// - for standard input.
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Output format [default: text].
    ///
    /// text: aligned columns. json: one document (schema: src/output/schema.json).
    /// jsonl: one object per line. zeek: a Zeek conn.log (the tab-separated
    /// header, one row per connection as Zeek would log it, with its
    /// originator, conn_state, history and missed_bytes; a connection Zeek's
    /// timers split gives several rows); uids are C + base62 of a hash of the
    /// row, so reruns give the same uids; #open and #close are the capture's
    /// first and last packet times. parquet: connections.parquet in the
    /// directory -o names (typed columns, the JSON's names; see README,
    /// "Results at scale"; needs a tcpstate built with --features parquet).
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = SummaryFormat::Text, hide_default_value = true)]
    format: SummaryFormat,
    #[command(flatten)]
    results: ResultsArgs,
    /// How START is shown, as tshark's -t [default: r].
    ///
    /// r: seconds since the first frame; a, ad, adoy: local time of day, with
    /// the date, with year/day of year; u, ud, udoy: the same in UTC; e:
    /// seconds since the epoch.
    #[arg(short = 't', long = "time-format", value_enum, value_name = "FORMAT", default_value_t = SummaryTime::R, hide_default_value = true)]
    time_format: SummaryTime,
    /// Row order [default: stream].
    ///
    /// stream: by tcp.stream, as tshark's conversation table (rows wait for
    /// the streams before them; memory stays bounded: rows that wait long are
    /// kept in a temporary file). completion: as connections finish, each row
    /// as soon as it is final (for streaming consumers).
    #[arg(long, value_enum, value_name = "ORDER", default_value_t = OrderArg::Stream, hide_default_value = true)]
    order: OrderArg,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
}

/// Where `--format parquet` writes.
#[derive(Args, Debug)]
struct ResultsArgs {
    /// The directory of --format parquet's files (created if needed).
    ///
    /// One capture: DIR/connections.parquet (summary) or DIR/segments.parquet
    /// (timeline). Several captures, or --hive: one Hive-style partition per
    /// capture, DIR/capture=NAME/..., NAME being the capture's name as given
    /// with every byte but letters, digits, '.', '_' and '-' escaped as %XX.
    /// Each file is written under a temporary name and renamed when whole.
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    output: Option<PathBuf>,
    /// With --format parquet, write DIR/capture=NAME/ even for one capture
    /// (one task of a distributed job writing into a shared dataset).
    #[arg(long)]
    hive: bool,
}

#[derive(Args, Debug)]
struct TimelineArgs {
    /// Capture files (pcap or pcapng, possibly compressed) or directories;
    /// - for standard input.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
    /// Only these streams (Wireshark's tcp.stream numbers): -s 1,2 or -s 1 -s 2.
    #[arg(
        short = 's',
        long = "stream",
        value_name = "N,...",
        value_delimiter = ','
    )]
    streams: Vec<u64>,
    /// Output format [default: text].
    ///
    /// text: aligned columns. json: one document (schema: src/output/schema.json).
    /// jsonl: one object per line. parquet: segments.parquet in the
    /// directory -o names (needs a tcpstate built with --features parquet).
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = TimelineFormat::Text, hide_default_value = true)]
    format: TimelineFormat,
    #[command(flatten)]
    results: ResultsArgs,
    /// How TIME is shown, as tshark's -t [default: r].
    ///
    /// r: seconds since the first frame; d: since the previous TCP segment; dd:
    /// since the previous row shown; a, ad, adoy: local time of day, with the
    /// date, with year/day of year; u, ud, udoy: the same in UTC; e: seconds
    /// since the epoch. JSON always has exact nanoseconds.
    #[arg(short = 't', long = "time-format", value_enum, value_name = "FORMAT", default_value_t = TimelineTime::R, hide_default_value = true)]
    time_format: TimelineTime,
    #[arg(long = "where", value_name = "EXPR", help = WHERE_HELP)]
    select: Option<String>,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Capture files (pcap or pcapng, possibly compressed) or directories;
    /// - for standard input.
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
    #[arg(long, value_name = "ID=N,...", value_delimiter = ',')]
    max: Vec<String>,
    /// Every connection must end cleanly closed (see --help).
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
    /// Output format [default: text].
    ///
    /// text: one line per violation and a closing line. json: one document
    /// (schema: src/check/schema.json).
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = CheckFormat::Text, hide_default_value = true)]
    format: CheckFormat,
    #[command(flatten)]
    engine: EngineArgs,
    #[command(flatten)]
    display: DisplayArgs,
}

#[derive(Args, Debug)]
struct AnomaliesArgs {
    /// Output format [default: text].
    #[arg(short = 'f', long, value_enum, value_name = "FORMAT", default_value_t = CheckFormat::Text, hide_default_value = true)]
    format: CheckFormat,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Error,
    Warning,
    Info,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SummaryFormat {
    Text,
    Json,
    Jsonl,
    Zeek,
    Parquet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TimelineFormat {
    Text,
    Json,
    Jsonl,
    Parquet,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
}

/// tshark's -t formats that apply to a summary's START.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum SummaryTime {
    R,
    A,
    Ad,
    Adoy,
    E,
    U,
    Ud,
    Udoy,
}

/// tshark's -t formats.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum TimelineTime {
    R,
    A,
    Ad,
    Adoy,
    D,
    Dd,
    E,
    U,
    Ud,
    Udoy,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum OrderArg {
    Stream,
    Completion,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum When {
    Auto,
    Always,
    Never,
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
    // 64 KiB, a pipe's buffer: rows written one by one are gathered into
    // writes that fill it, while the timeline's rendered chunks (most
    // larger than this) go straight to the file, not copied through it
    // first (with 1 MiB, that copy was 6% of `timeline --format jsonl`).
    let mut out = Guarded::new(io::BufWriter::with_capacity(64 << 10, stdout.lock()));
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
