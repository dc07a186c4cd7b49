//! The command-line linter: `mtlsguard check` and `mtlsguard rule`.
//!
//! `check` collects files ([`files`]), analyzes them in parallel ([`process`]), optionally
//! fixes them ([`fix`]) and prints the findings ([`output`]).
//!
//! Exit codes: 0 no finding at warning or error level, 1 such findings (or, with `--diff`,
//! changes to show), 2 a usage, configuration or I/O error.

mod files;
mod fix;
mod output;
mod process;
mod statistics;
mod summary;
mod workspace;
mod workspace_fix;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use mtlsguard_analyzer::{Level, RULES};

use crate::config::{self, ConfigCache};

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// rustc/ruff-like: location, rule id, message, the source with the range underlined.
    Text,
    /// A stable JSON array of findings (documented in the README, "Output formats").
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow annotations (`::warning file=...::message`).
    Github,
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Files and folders to check [default: .]. Folders are walked respecting .gitignore;
    /// files named explicitly are always checked. `-` reads one file from stdin.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// The name of the text read from stdin: its extension picks the language (default
    /// Bicep) and its folder the configuration. Implies reading stdin when no PATH is given.
    #[arg(long, value_name = "PATH")]
    pub stdin_filename: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub output_format: OutputFormat,
    /// Apply every safe fix in place, then report what is left.
    #[arg(long)]
    pub fix: bool,
    /// Also apply (with --fix / --diff) and count fixes that are not safe.
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of writing them (exit 1 when there are any).
    #[arg(long)]
    pub diff: bool,
    /// Use this config file for every file instead of discovering mtlsguard.toml.
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Report files larger than this instead of analyzing them (bytes; KiB/MiB suffixes
    /// allowed) [default: 16MiB, or max-file-size from mtlsguard.toml].
    #[arg(long, value_name = "SIZE", value_parser = config::parse_size)]
    pub max_file_size: Option<u64>,
    /// Apply the config's `exclude` globs to files named on the command line too.
    #[arg(long)]
    pub force_exclude: bool,
    /// Never print colors (NO_COLOR is honored too; colors are only used on a terminal).
    #[arg(long)]
    pub no_color: bool,
    /// After the findings, print per rule how many resources were seen, out of scope,
    /// decided and undecided, with the reasons for the undecided ones (to stderr, so
    /// the findings' format is unchanged).
    #[arg(long, conflicts_with_all = ["fix", "diff"])]
    pub statistics: bool,
    /// Analyze files on this many threads [default: one per core].
    #[arg(short = 'j', long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<std::num::NonZeroUsize>,
    /// Run only these rules (comma-separated ids), replacing the configured set; a
    /// selected rule that the config turns off runs at its default level.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_rule_id)]
    pub select: Option<Vec<&'static str>>,
    /// Also run these rules (comma-separated ids).
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_rule_id)]
    pub extend_select: Vec<&'static str>,
    /// Do not run these rules (comma-separated ids); wins over --select.
    #[arg(long, value_name = "IDS", value_delimiter = ',', value_parser = parse_rule_id)]
    pub ignore: Vec<&'static str>,
    /// Exit 0 even when there are findings (or, with --diff, fixes); errors still exit 2.
    #[arg(long)]
    pub exit_zero: bool,
    /// Print the findings only: no summary lines.
    #[arg(short, long)]
    pub quiet: bool,
    /// List the files that would be checked, one per line, and exit.
    #[arg(long, conflicts_with_all = ["fix", "diff", "statistics"])]
    pub show_files: bool,
}

/// `--select`/`--extend-select`/`--ignore` values.
fn parse_rule_id(s: &str) -> Result<&'static str, String> {
    let id = s.trim();
    mtlsguard_analyzer::rule(id).map(|r| r.id).ok_or_else(|| {
        let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        format!("unknown rule id `{id}`; known rules: {}", ids.join(", "))
    })
}

#[derive(clap::Args, Debug)]
pub struct RuleArgs {
    /// The rule id, e.g. app-service-client-cert.
    #[arg(value_name = "ID")]
    pub id: Option<String>,
    /// List every rule: id, default level, whether it has a fix, summary.
    #[arg(long, conflicts_with = "id")]
    pub all: bool,
}

/// `-j` values: clap's own message for 0 ("number would be zero for non-zero type") does
/// not say what to type instead.
fn parse_threads(s: &str) -> Result<std::num::NonZeroUsize, String> {
    match s.trim().parse::<usize>() {
        Ok(0) => Err("-j/--threads must be at least 1".into()),
        Ok(n) => Ok(std::num::NonZeroUsize::new(n).expect("not zero")),
        Err(_) => Err(format!("`{s}` is not a number of threads")),
    }
}

/// Prints an error line to stderr (`error: ...`, red on a terminal).
pub(crate) fn eprint_error(msg: &str) {
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::Red.into()))
        .bold();
    let _ = writeln!(anstream::stderr(), "{style}error{style:#}: {msg}");
}

/// Prints a warning line to stderr.
pub(crate) fn eprint_warning(msg: &str) {
    let style = anstyle::Style::new()
        .fg_color(Some(anstyle::AnsiColor::Yellow.into()))
        .bold();
    let _ = writeln!(anstream::stderr(), "{style}warning{style:#}: {msg}");
}

/// Writes to stdout; a closed pipe (`| head`) is not an error.
pub(crate) fn print_stdout(text: &str) {
    let mut out = anstream::stdout();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

pub fn check(args: CheckArgs) -> ExitCode {
    if args.no_color {
        anstream::ColorChoice::Never.write_global();
    }
    let mut cache = match &args.config {
        Some(path) => match config::load(path) {
            Ok(c) => ConfigCache::with_override(c),
            Err(e) => {
                eprint_error(&format!("invalid configuration: {e}"));
                return ExitCode::from(2);
            }
        },
        None => ConfigCache::new(),
    };

    let stdin = args.paths.iter().any(|p| p.as_os_str() == "-")
        || (args.paths.is_empty() && args.stdin_filename.is_some());
    let collected = if stdin {
        if args.paths.len() > 1 {
            eprint_error("`-` (stdin) cannot be checked together with other paths");
            return ExitCode::from(2);
        }
        match stdin_job(
            args.stdin_filename.as_deref(),
            &mut cache,
            args.force_exclude,
        ) {
            Ok(c) => c,
            Err(e) => {
                eprint_error(&e);
                return ExitCode::from(2);
            }
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths.clone()
        };
        files::collect(&paths, &mut cache, args.force_exclude)
    };
    let stdin_text = collected.jobs.first().and_then(|j| j.stdin.clone());
    for w in &collected.warnings {
        eprint_warning(w);
    }
    if let Some(e) = collected.config_error {
        eprint_error(&format!("invalid configuration: {e}"));
        return ExitCode::from(2);
    }
    let mut io_errors = collected.errors;

    let mode = if args.diff {
        process::Mode::Diff
    } else if args.fix {
        process::Mode::Fix
    } else {
        process::Mode::Check
    };
    let selection = process::Selection::new(&args.select, &args.extend_select, &args.ignore);
    let opts = process::Options {
        mode,
        unsafe_fixes: args.unsafe_fixes,
        max_file_size: args.max_file_size,
        selection,
        quiet: args.quiet,
    };
    if args.show_files {
        let mut out = String::new();
        for job in &collected.jobs {
            match process::is_checked(job, &opts) {
                Ok(true) => {
                    out.push_str(&job.display);
                    out.push('\n');
                }
                Ok(false) => {}
                Err(e) => io_errors.push(e),
            }
        }
        print_stdout(&out);
        for e in &io_errors {
            eprint_error(e);
        }
        return if io_errors.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    let mut ws_warnings = Vec::new();
    let mut run = || {
        // Across files: templates that call or are called are checked per call; the
        // others alone, as they are.
        let mut linked = workspace::build(&collected.jobs, &opts, &mut ws_warnings);
        let alone: Vec<&files::Job> = collected
            .jobs
            .iter()
            .filter(|j| {
                linked
                    .as_ref()
                    .is_none_or(|l| !l.linked.contains(&workspace::key(&j.path)))
            })
            .collect();
        let mut reports = process::run(&alone, &opts);
        if let Some(files) = &mut linked {
            let fallback = collected
                .jobs
                .first()
                .map(|j| opts.settings(j).into_owned())
                .unwrap_or_default();
            reports.extend(match opts.mode {
                process::Mode::Check => {
                    workspace::reports(files, &collected.jobs, &opts, &fallback)
                }
                _ => workspace_fix::reports(files, &collected.jobs, &opts, &fallback),
            });
            reports.sort_by(|a, b| a.display.cmp(&b.display));
        }
        // Thousands of syntax trees take a second to free, and the process ends soon.
        std::mem::forget(linked);
        reports
    };
    let mut reports = match args.threads {
        None => run(),
        Some(n) => match rayon::ThreadPoolBuilder::new().num_threads(n.get()).build() {
            Ok(pool) => pool.install(run),
            Err(e) => {
                eprint_error(&format!("cannot start {n} threads: {e}"));
                return ExitCode::from(2);
            }
        },
    };
    for w in &ws_warnings {
        eprint_warning(w);
    }
    // Keep the text only where findings need it for their lines and columns.
    for r in &mut reports {
        if r.findings.is_empty() {
            r.source = None;
        }
    }
    for r in &reports {
        for w in &r.warnings {
            eprint_warning(w);
        }
        if let Some(e) = &r.error {
            io_errors.push(e.clone());
        }
    }
    for e in &io_errors {
        eprint_error(e);
    }

    let failing = reports
        .iter()
        .flat_map(|r| &r.findings)
        .any(|f| f.level >= Level::Warning);

    if mode == process::Mode::Diff {
        let mut out = String::new();
        let mut fixes = 0;
        let mut changed = 0;
        for r in &reports {
            if let Some(d) = &r.diff {
                out.push_str(d);
                fixes += r.fixed.len();
                changed += 1;
            }
        }
        print_stdout(&out);
        let unsafe_left = reports
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.fix.as_ref().is_some_and(|fix| !fix.safe) && !args.unsafe_fixes)
            .count();
        let more = if unsafe_left > 0 {
            format!("{} more with --unsafe-fixes", thousands(unsafe_left))
        } else {
            String::new()
        };
        let line = match (changed, unsafe_left) {
            (0, 0) => "No fixes to apply.".to_owned(),
            (0, _) => format!("No safe fixes to apply; {more}."),
            (_, 0) => format!(
                "Would fix {} in {}.",
                plural(fixes, "problem"),
                plural(changed, "file")
            ),
            _ => format!(
                "Would fix {} in {} ({more}).",
                plural(fixes, "problem"),
                plural(changed, "file")
            ),
        };
        if !args.quiet {
            let _ = writeln!(anstream::stderr(), "{line}");
        }
        return if !io_errors.is_empty() {
            ExitCode::from(2)
        } else if changed > 0 && !args.exit_zero {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        };
    }

    if mode == process::Mode::Fix && !args.quiet {
        let mut err = anstream::stderr();
        for r in reports.iter().filter(|r| r.written) {
            let _ = writeln!(
                err,
                "Fixed {} in {}:",
                plural(r.fixed.len(), "problem"),
                r.display
            );
            for (rule, title) in &r.fixed {
                let _ = writeln!(err, "  - {title} ({rule})");
            }
        }
    }

    let analyzed = reports.iter().filter(|r| !r.skipped).count();
    if analyzed == 0 && io_errors.is_empty() {
        eprint_warning("no files analyzed");
    }
    let rendered = match args.output_format {
        OutputFormat::Text => output::text(&reports, &opts, analyzed),
        OutputFormat::Json => output::json(&reports),
        OutputFormat::Sarif => output::sarif(&reports, &io_errors),
        OutputFormat::Github => output::github(&reports),
    };
    match (&stdin_text, mode) {
        // As ruff does: the fixed text goes to stdout (an editor or pipe replaces the
        // buffer with it), so the findings go to stderr.
        (Some(original), process::Mode::Fix) => {
            let text = reports
                .iter()
                .find_map(|r| r.stdin_output.as_deref())
                .unwrap_or(original);
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text).and_then(|()| out.flush());
            let _ = write!(anstream::stderr(), "{rendered}");
        }
        _ => print_stdout(&rendered),
    }
    if args.statistics {
        let table = statistics::render(reports.iter().map(|r| r.outcomes.as_slice()));
        let _ = write!(anstream::stderr(), "{table}");
    }

    if !io_errors.is_empty() {
        ExitCode::from(2)
    } else if failing && !args.exit_zero {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The job for `check -`: stdin's text, named and configured by `--stdin-filename`.
fn stdin_job(
    name: Option<&std::path::Path>,
    cache: &mut ConfigCache,
    force_exclude: bool,
) -> Result<files::Collected, String> {
    let language = match name {
        None => mtlsguard_analyzer::Language::Bicep,
        Some(n) => mtlsguard_analyzer::language_for_path(&n.to_string_lossy()).ok_or_else(
            || {
                format!(
                    "--stdin-filename {}: cannot tell the language; the name must end in .bicep, .json or .jsonc",
                    n.display()
                )
            },
        )?,
    };
    let config = match name {
        Some(n) => cache.for_file(n),
        None => cache.for_dir(std::path::Path::new(".")),
    };
    let mut collected = files::Collected::default();
    let config = match config {
        Ok(c) => c,
        Err(e) => {
            collected.config_error = Some(e);
            return Ok(collected);
        }
    };
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut text)
        .map_err(|e| format!("cannot read stdin: {}", config::io_message(&e)))?;
    if force_exclude && name.is_some_and(|n| config.is_excluded(n)) {
        return Ok(collected);
    }
    collected.jobs.push(files::Job {
        path: name.map_or_else(|| PathBuf::from("-"), PathBuf::from),
        display: name.map_or_else(|| "-".to_owned(), files::display_path),
        language,
        config,
        explicit: true,
        stdin: Some(text),
    });
    Ok(collected)
}

pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{} {word}s", thousands(n))
    }
}

/// `7012` → `7,012`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn rule(args: RuleArgs) -> ExitCode {
    match args.id {
        Some(id) if !args.all => match mtlsguard_analyzer::rule(&id) {
            Some(meta) => {
                let mut docs = meta.docs.to_owned();
                if !docs.ends_with('\n') {
                    docs.push('\n');
                }
                print_stdout(&docs);
                ExitCode::SUCCESS
            }
            None => {
                let ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
                eprint_error(&format!(
                    "unknown rule `{id}`; the rules are:\n  {}",
                    ids.join("\n  ")
                ));
                ExitCode::from(2)
            }
        },
        _ => {
            print_stdout(&rule_table());
            ExitCode::SUCCESS
        }
    }
}

fn rule_table() -> String {
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = format!("{:width$}  {:7}  {:3}  SUMMARY\n", "RULE", "LEVEL", "FIX");
    for r in RULES {
        out.push_str(&format!(
            "{:width$}  {:7}  {:3}  {}\n",
            r.id,
            r.default_level.as_str(),
            if r.fixable { "yes" } else { "no" },
            r.summary
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(7012), "7,012");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(plural(1, "file"), "1 file");
        assert_eq!(plural(7012, "file"), "7,012 files");
    }

    #[test]
    fn threads() {
        assert_eq!(parse_threads("3").map(|n| n.get()), Ok(3));
        assert_eq!(
            parse_threads("0").unwrap_err(),
            "-j/--threads must be at least 1"
        );
        assert!(parse_threads("two").is_err());
    }
}
