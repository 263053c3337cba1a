//! `tcpstate-workload`: writes a synthetic capture with its planted ground
//! truth (`gen`), and checks tcpstate's answers against that truth (`check`).
//! See [`tcpstate_workload`].

use clap::{Parser, Subcommand, ValueEnum};
use std::fs::File;
use std::io::{self, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;
use tcpstate_workload::{self as workload, Check, Config, Format};

#[derive(Parser, Debug)]
#[command(name = "tcpstate-workload", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Writes a capture and its truth (TSV: stream, first/last frame,
    /// scenario, 4-tuple, final client and server states).
    #[command(after_help = "Without --packets or --connections: the 5-million-packet reference.")]
    Gen(GenArgs),
    /// Compares `tcpstate summary --format jsonl` output with a truth file.
    /// Exit status 0: every connection matches; 1: some differ; 2: error.
    Check {
        /// The truth file written by `gen`.
        #[arg(long, value_name = "FILE")]
        truth: PathBuf,
        /// tcpstate's JSONL summary (- for standard input).
        #[arg(value_name = "SUMMARY", default_value = "-")]
        summary: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct GenArgs {
    /// Capture file to write (- for standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    output: PathBuf,
    /// Truth file (default: the capture's name + .truth.tsv; required with -o -).
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,
    /// Stop after this many packets.
    #[arg(long, value_name = "N")]
    packets: Option<u64>,
    /// Start at most this many connections.
    #[arg(long, value_name = "N")]
    connections: Option<u64>,
    /// Connections in progress at once.
    #[arg(long, value_name = "N", default_value_t = 5_600)]
    concurrency: u32,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Container (default: pcapng if the file name ends in .pcapng).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Percentage of connections over IPv6.
    #[arg(long, value_name = "PERCENT", default_value_t = 10)]
    ipv6_percent: u32,
    #[arg(long, default_value_t = 96)]
    snaplen: u32,
    /// Maximum segment lifetime: TIME_WAIT lasts 2×MSL (as tcpstate's --msl).
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    msl: f64,
    /// Start the initial population with SYNs instead of mid-stream.
    #[arg(long)]
    no_mid_stream: bool,
    /// Spread the initial population's first segments over this long.
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    ramp: f64,
    /// No statistics on stderr.
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Pcap,
    Pcapng,
}

fn create(path: &Path) -> io::Result<Box<dyn Write>> {
    if path.as_os_str() == "-" {
        Ok(Box::new(io::stdout().lock()))
    } else {
        Ok(Box::new(File::create(path).map_err(|e| {
            io::Error::new(e.kind(), format!("{}: {e}", path.display()))
        })?))
    }
}

fn gen_cmd(a: GenArgs) -> Result<ExitCode, String> {
    let stdout = a.output.as_os_str() == "-";
    let truth_path = match (&a.truth, stdout) {
        (Some(t), _) => t.clone(),
        (None, false) => {
            let mut s = a.output.clone().into_os_string();
            s.push(".truth.tsv");
            PathBuf::from(s)
        }
        (None, true) => return Err("--truth is required when writing to standard output".into()),
    };
    let format = match a.format {
        Some(FormatArg::Pcap) => Format::Pcap,
        Some(FormatArg::Pcapng) => Format::PcapNg,
        None if a.output.extension().is_some_and(|e| e == "pcapng") => Format::PcapNg,
        None => Format::Pcap,
    };
    if !(a.msl.is_finite() && a.msl >= 0.0) || a.ipv6_percent > 100 || a.concurrency == 0 {
        return Err("--msl must be >= 0, --ipv6-percent <= 100, --concurrency > 0".into());
    }
    let mut cfg = Config {
        seed: a.seed,
        packets: a.packets,
        connections: a.connections,
        concurrency: a.concurrency,
        ipv6_percent: a.ipv6_percent,
        format,
        snaplen: a.snaplen.max(64),
        mid_stream: !a.no_mid_stream,
        ramp_us: (a.ramp.max(0.0) * 1e6) as i64,
        time_wait_us: (2.0 * a.msl * 1e6).round() as i64,
        ..Config::default()
    };
    if cfg.packets.is_none() && cfg.connections.is_none() {
        cfg.packets = Config::default().packets;
    }
    let started = Instant::now();
    let capture = create(&a.output).map_err(|e| e.to_string())?;
    let truth = create(&truth_path).map_err(|e| e.to_string())?;
    let stats = workload::generate(&cfg, capture, truth).map_err(|e| e.to_string())?;
    let secs = started.elapsed().as_secs_f64();
    if !a.quiet {
        let span = (stats.last_us - stats.first_us) as f64 / 1e6;
        eprintln!(
            "{} packets, {} bytes ({:.1} MB), {} connections ({} IPv6), at most {} open at once",
            stats.packets,
            stats.bytes,
            stats.bytes as f64 / 1e6,
            stats.connections,
            stats.ipv6_connections,
            stats.peak_open
        );
        eprintln!(
            "capture spans {span:.1} s; written in {secs:.2} s ({:.0} packets/s); truth in {}",
            stats.packets as f64 / secs,
            truth_path.display()
        );
        for (g, n) in &stats.by_group {
            eprintln!("  {g:<32} {n:>9}");
        }
        eprintln!("final states (client/server):");
        for (g, n) in &stats.by_final {
            eprintln!("  {g:<32} {n:>9}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_cmd(truth: &Path, summary: &Path) -> Result<ExitCode, String> {
    let t = File::open(truth).map_err(|e| format!("{}: {e}", truth.display()))?;
    let planted =
        workload::read_truth(BufReader::new(t)).map_err(|e| format!("{}: {e}", truth.display()))?;
    let observed = if summary.as_os_str() == "-" {
        workload::read_summary_jsonl(io::stdin().lock())
    } else {
        let f = File::open(summary).map_err(|e| format!("{}: {e}", summary.display()))?;
        workload::read_summary_jsonl(BufReader::new(f))
    }
    .map_err(|e| format!("{}: {e}", summary.display()))?;
    let check = Check::new(&planted, &observed);
    print!("{}", check.render());
    Ok(if check.all_match() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(a) => gen_cmd(a),
        Command::Check { truth, summary } => check_cmd(&truth, &summary),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tcpstate-workload: {e}");
            ExitCode::from(2)
        }
    }
}
