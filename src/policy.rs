//! The rules `tcpstate check` judges a capture by.
//!
//! A policy says which anomalies make a check fail and whether every
//! connection must have been cleanly closed:
//!
//! * **fail-on** (`error` by default): every anomaly of this severity or
//!   worse is a violation, unless a rule below says otherwise for its id;
//! * **deny** ids: every occurrence is a violation, whatever the severity;
//! * **allow** ids: never a violation, whatever the severity;
//! * **max** `ID = N`: the first N occurrences in a capture are tolerated,
//!   every later one is a violation (whatever the severity; `max = 0` is the
//!   same as deny);
//! * **expect-closed**: every connection must end cleanly closed (see
//!   [`crate::check::cleanly_closed`]).
//!
//! Each id has at most one of allow, deny and max. Rules come from two
//! [`Layer`]s, the policy file and the command line; [`Policy::new`] lets
//! the command line win id by id (a `--allow X` replaces the file's
//! `deny`/`max` for X and nothing else), and its `--fail-on` and
//! `--expect-closed`/`--no-expect-closed` replace the file's. Within one
//! layer, two different rules for one id are an error.
//!
//! The policy file is TOML; every key is optional:
//!
//! ```toml
//! fail-on = "warning"          # error (default) | warning | info
//! expect-closed = true         # default false
//! allow = ["mid-stream", "one-sided"]
//! deny = ["simultaneous-close"]
//!
//! [max]
//! unacceptable-segment = 3
//! ```

use crate::anomaly::{AnomalyKind, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// What a policy says about one anomaly id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// Never a violation.
    Allow,
    /// Every occurrence is a violation.
    Deny,
    /// The first N occurrences in a capture are tolerated.
    Max(u64),
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Allow => f.write_str("allow"),
            Rule::Deny => f.write_str("deny"),
            Rule::Max(n) => write!(f, "max {n}"),
        }
    }
}

/// Why an anomaly id is in a policy's scope, and how many occurrences per
/// capture it tolerates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Its severity is at least fail-on: none tolerated.
    Severity,
    /// Denied: none tolerated.
    Denied,
    /// Up to N tolerated.
    Max(u64),
}

impl Limit {
    /// Occurrences per capture that are not violations.
    pub fn tolerated(self) -> u64 {
        match self {
            Limit::Severity | Limit::Denied => 0,
            Limit::Max(n) => n,
        }
    }

    /// `severity`, `deny` or `max`.
    pub fn name(self) -> &'static str {
        match self {
            Limit::Severity => "severity",
            Limit::Denied => "deny",
            Limit::Max(_) => "max",
        }
    }
}

/// Where a rule came from (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Flags on the command line.
    CommandLine,
    /// A policy file (its path).
    File(String),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::CommandLine => f.write_str("the command line"),
            Source::File(p) => write!(f, "policy file {p}"),
        }
    }
}

/// A policy that cannot be used: bad usage (exit status 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    /// An id that is not in the catalog.
    UnknownId {
        /// The id as written.
        id: String,
        /// Where it was written: `--deny`, `allow`, `[max]`, ...
        place: String,
        /// The command line or the file.
        source: Source,
        /// The closest catalog id, if one is close.
        suggestion: Option<&'static str>,
    },
    /// Two different rules for one id in one layer.
    Conflict {
        /// The id given two rules.
        id: &'static str,
        /// The first rule.
        first: Rule,
        /// The other rule.
        second: Rule,
        /// The command line or the file.
        source: Source,
    },
    /// A `--max` argument that is not `ID=N`.
    BadMax(String),
    /// A severity that is not error, warning or info.
    BadSeverity {
        /// What was written.
        value: String,
        /// Where.
        source: Source,
    },
    /// The policy file cannot be read or is not valid TOML for a policy.
    File {
        /// The file.
        path: String,
        /// What is wrong with it.
        message: String,
    },
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::UnknownId {
                id,
                place,
                source,
                suggestion,
            } => {
                write!(f, "unknown anomaly id '{id}' in {place} ({source})")?;
                match suggestion {
                    Some(s) if *s == "expect-closed" => {
                        write!(f, "; expect-closed is not an anomaly: use --expect-closed")
                    }
                    Some(s) => write!(f, "; did you mean '{s}'?"),
                    None => write!(f, "; `tcpstate anomalies` lists the ids"),
                }
            }
            PolicyError::Conflict {
                id,
                first,
                second,
                source,
            } => write!(
                f,
                "{source} gives {id} two rules: {first} and {second} (give it one)"
            ),
            PolicyError::BadMax(s) => write!(
                f,
                "--max {s}: expected ID=N, e.g. unacceptable-segment=3 (N a whole number)"
            ),
            PolicyError::BadSeverity { value, source } => write!(
                f,
                "fail-on '{value}' in {source}: expected error, warning or info"
            ),
            PolicyError::File { path, message } => write!(f, "policy file {path}: {message}"),
        }
    }
}

impl std::error::Error for PolicyError {}

/// The closest catalog id to a misspelt one, if any is close.
pub fn suggest(id: &str) -> Option<&'static str> {
    let id = id.trim().to_ascii_lowercase().replace('_', "-");
    let candidates = AnomalyKind::ALL
        .iter()
        .map(|k| k.id())
        .chain(std::iter::once("expect-closed"));
    let mut best: Option<(f64, &'static str)> = None;
    for c in candidates {
        if c == id {
            return Some(c);
        }
        let mut score = strsim::jaro_winkler(&id, c);
        // A fragment of an id ("refused", "syn-received") counts as close.
        if id.len() >= 4 && c.contains(id.as_str()) {
            score = score.max(0.9);
        }
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, c));
        }
    }
    best.filter(|(s, _)| *s >= 0.8).map(|(_, c)| c)
}

/// The anomaly kind with this id.
pub fn kind_of(id: &str) -> Option<AnomalyKind> {
    AnomalyKind::ALL.iter().copied().find(|k| k.id() == id)
}

/// A severity by name.
pub fn severity_of(name: &str) -> Option<Severity> {
    match name {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        "info" => Some(Severity::Info),
        _ => None,
    }
}

/// The rules of one source: the policy file or the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Layer {
    /// `fail-on`, if this layer sets it.
    pub fail_on: Option<Severity>,
    /// `expect-closed`, if this layer sets it.
    pub expect_closed: Option<bool>,
    /// The rule of each id this layer names.
    pub rules: BTreeMap<AnomalyKind, Rule>,
}

/// The policy file, as written.
#[derive(Deserialize, Debug, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct FileLayer {
    fail_on: Option<String>,
    expect_closed: Option<bool>,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    deny: Vec<String>,
    #[serde(default)]
    max: BTreeMap<String, u64>,
}

impl Layer {
    /// Sets the rule of the id written `id` at `place`; an unknown id or a
    /// second, different rule for it is an error.
    pub fn set(
        &mut self,
        id: &str,
        rule: Rule,
        place: &str,
        source: &Source,
    ) -> Result<(), PolicyError> {
        let kind = kind_of(id).ok_or_else(|| PolicyError::UnknownId {
            id: id.to_string(),
            place: place.to_string(),
            source: source.clone(),
            suggestion: suggest(id),
        })?;
        match self.rules.insert(kind, rule) {
            Some(old) if old != rule => Err(PolicyError::Conflict {
                id: kind.id(),
                first: old,
                second: rule,
                source: source.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The command line's layer from its raw arguments (`max` as `ID=N`).
    pub fn from_args(
        fail_on: Option<Severity>,
        expect_closed: Option<bool>,
        allow: &[String],
        deny: &[String],
        max: &[String],
    ) -> Result<Layer, PolicyError> {
        let src = Source::CommandLine;
        let mut layer = Layer {
            fail_on,
            expect_closed,
            rules: BTreeMap::new(),
        };
        for id in allow {
            layer.set(id, Rule::Allow, "--allow", &src)?;
        }
        for id in deny {
            layer.set(id, Rule::Deny, "--deny", &src)?;
        }
        for m in max {
            let (id, n) = m
                .split_once('=')
                .ok_or_else(|| PolicyError::BadMax(m.clone()))?;
            let n: u64 = n
                .trim()
                .parse()
                .map_err(|_| PolicyError::BadMax(m.clone()))?;
            layer.set(id.trim(), Rule::Max(n), "--max", &src)?;
        }
        Ok(layer)
    }

    /// A policy file's layer from its TOML text; `name` names the file in
    /// errors.
    pub fn from_toml(text: &str, name: &str) -> Result<Layer, PolicyError> {
        let file: FileLayer = toml::from_str(text).map_err(|e| PolicyError::File {
            path: name.to_string(),
            message: e.to_string().trim_end().to_string(),
        })?;
        let src = Source::File(name.to_string());
        let fail_on = match &file.fail_on {
            None => None,
            Some(v) => Some(severity_of(v).ok_or_else(|| PolicyError::BadSeverity {
                value: v.clone(),
                source: src.clone(),
            })?),
        };
        let mut layer = Layer {
            fail_on,
            expect_closed: file.expect_closed,
            rules: BTreeMap::new(),
        };
        for id in &file.allow {
            layer.set(id, Rule::Allow, "allow", &src)?;
        }
        for id in &file.deny {
            layer.set(id, Rule::Deny, "deny", &src)?;
        }
        for (id, n) in &file.max {
            layer.set(id, Rule::Max(*n), "[max]", &src)?;
        }
        Ok(layer)
    }

    /// Reads a policy file.
    pub fn from_file(path: &Path) -> Result<Layer, PolicyError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PolicyError::File {
            path: name.clone(),
            message: e.to_string(),
        })?;
        Layer::from_toml(&text, &name)
    }
}

/// The rules in force: a policy file's layer overridden by the command
/// line's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Anomalies of this severity or worse are violations.
    pub fail_on: Severity,
    /// Every connection must end cleanly closed.
    pub expect_closed: bool,
    /// The rule of each id that has one (allow, deny or max).
    pub rules: BTreeMap<AnomalyKind, Rule>,
}

impl Default for Policy {
    /// Fail on any error-severity anomaly; nothing else.
    fn default() -> Policy {
        Policy {
            fail_on: Severity::Error,
            expect_closed: false,
            rules: BTreeMap::new(),
        }
    }
}

impl Policy {
    /// `cli` overrides `file` key by key (each id's rule, fail-on,
    /// expect-closed); what neither sets takes the default.
    pub fn new(file: Layer, cli: Layer) -> Policy {
        let mut rules = file.rules;
        rules.extend(cli.rules);
        Policy {
            fail_on: cli.fail_on.or(file.fail_on).unwrap_or(Severity::Error),
            expect_closed: cli.expect_closed.or(file.expect_closed).unwrap_or(false),
            rules,
        }
    }

    /// Whether occurrences of `kind` can be violations, and how many a
    /// capture tolerates; `None` when the kind is out of scope.
    pub fn limit(&self, kind: AnomalyKind) -> Option<Limit> {
        match self.rules.get(&kind) {
            Some(Rule::Allow) => None,
            Some(Rule::Deny) => Some(Limit::Denied),
            Some(Rule::Max(n)) => Some(Limit::Max(*n)),
            None => (kind.severity() >= self.fail_on).then_some(Limit::Severity),
        }
    }

    /// The kinds in scope, in catalog order.
    pub fn scope(&self) -> Vec<(AnomalyKind, Limit)> {
        AnomalyKind::ALL
            .iter()
            .filter_map(|&k| self.limit(k).map(|l| (k, l)))
            .collect()
    }

    /// The allowed kinds, in catalog order.
    pub fn allowed(&self) -> Vec<AnomalyKind> {
        AnomalyKind::ALL
            .iter()
            .copied()
            .filter(|k| self.rules.get(k) == Some(&Rule::Allow))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AnomalyKind::*;

    fn args(allow: &[&str], deny: &[&str], max: &[&str]) -> Result<Layer, PolicyError> {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        Layer::from_args(None, None, &v(allow), &v(deny), &v(max))
    }

    #[test]
    fn the_default_fails_on_error_kinds_only() {
        let p = Policy::default();
        assert_eq!(p.limit(RstInSynReceived), Some(Limit::Severity));
        assert_eq!(p.limit(UnacceptableSegment), None);
        assert_eq!(p.limit(MidStream), None);
        let errors = AnomalyKind::ALL
            .iter()
            .filter(|k| k.severity() == Severity::Error)
            .count();
        assert_eq!(p.scope().len(), errors);
    }

    #[test]
    fn rules_override_severity() {
        let cli = args(
            &["rst-in-syn-received"],
            &["mid-stream"],
            &["unacceptable-segment=3"],
        )
        .unwrap();
        let p = Policy::new(Layer::default(), cli);
        assert_eq!(p.limit(RstInSynReceived), None);
        assert_eq!(p.limit(MidStream), Some(Limit::Denied));
        assert_eq!(p.limit(UnacceptableSegment), Some(Limit::Max(3)));
        assert_eq!(p.allowed(), vec![RstInSynReceived]);
    }

    #[test]
    fn the_command_line_wins_id_by_id() {
        let file = Layer::from_toml(
            "fail-on = \"warning\"\nexpect-closed = true\ndeny = [\"mid-stream\"]\nallow = [\"one-sided\"]\n[max]\nunacceptable-segment = 2\n",
            "p.toml",
        )
        .unwrap();
        let mut cli = args(&["mid-stream"], &[], &[]).unwrap();
        cli.expect_closed = Some(false);
        let p = Policy::new(file, cli);
        assert_eq!(p.fail_on, Severity::Warning);
        assert!(!p.expect_closed);
        assert_eq!(p.limit(MidStream), None, "--allow replaced the file's deny");
        assert_eq!(p.limit(OneSided), None, "the file's allow stays");
        assert_eq!(p.limit(UnacceptableSegment), Some(Limit::Max(2)));
        assert_eq!(p.limit(SynRetransmitted), Some(Limit::Severity));
    }

    #[test]
    fn two_rules_for_one_id_in_one_layer_conflict() {
        let e = args(&["mid-stream"], &["mid-stream"], &[]).unwrap_err();
        assert!(
            matches!(
                e,
                PolicyError::Conflict {
                    id: "mid-stream",
                    ..
                }
            ),
            "{e}"
        );
        assert!(args(&[], &["mid-stream", "mid-stream"], &[]).is_ok());
        let e = args(&[], &[], &["mid-stream=1", "mid-stream=2"]).unwrap_err();
        assert!(matches!(e, PolicyError::Conflict { .. }));
        let e =
            Layer::from_toml("allow = [\"mid-stream\"]\n[max]\nmid-stream = 1\n", "p").unwrap_err();
        assert!(e.to_string().contains("policy file p"), "{e}");
    }

    #[test]
    fn unknown_ids_come_with_a_suggestion() {
        let e = args(&[], &["rst-syn-received"], &[]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown anomaly id 'rst-syn-received' in --deny (the command line); did you mean 'rst-in-syn-received'?"
        );
        assert_eq!(suggest("refused"), Some("connection-refused"));
        assert_eq!(suggest("MID_STREAM"), Some("mid-stream"));
        assert_eq!(suggest("qqqqqqqqqqqqq"), None);
        let e = args(&[], &["expect-closed"], &[]).unwrap_err();
        assert!(e.to_string().contains("use --expect-closed"), "{e}");
    }

    #[test]
    fn bad_max_and_bad_files_are_errors() {
        for bad in ["mid-stream", "mid-stream=", "mid-stream=-1", "mid-stream=x"] {
            assert_eq!(
                args(&[], &[], &[bad]).unwrap_err(),
                PolicyError::BadMax(bad.into())
            );
        }
        assert!(matches!(
            Layer::from_toml("fail_on = \"error\"", "p"),
            Err(PolicyError::File { .. })
        ));
        assert!(matches!(
            Layer::from_toml("fail-on = \"fatal\"", "p"),
            Err(PolicyError::BadSeverity { .. })
        ));
        assert!(matches!(
            Layer::from_toml("[max]\nmid-stream = -1", "p"),
            Err(PolicyError::File { .. })
        ));
        assert!(matches!(
            Layer::from_toml("deny = [\"nope\"]", "p"),
            Err(PolicyError::UnknownId { .. })
        ));
        assert_eq!(Layer::from_toml("", "p").unwrap(), Layer::default());
    }
}
