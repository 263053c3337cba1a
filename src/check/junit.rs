//! The JUnit XML report of a [`Verdict`], for the test reporters of GitLab,
//! Jenkins and GitHub Actions.
//!
//! ```text
//! <testsuites name="tcpstate check">
//!   <testsuite name=FILE>                       one per capture, in order given
//!     <testcase name="read" classname=FILE>     <error> if the capture could not be
//!                                               opened or was not read to its end
//!     <testcase name=RULE classname=FILE>       one per rule in scope: each anomaly id
//!                                               (catalog order), then expect-closed;
//!                                               <failure> carrying the violation lines;
//!                                               <skipped> if the capture was not opened
//! ```
//!
//! Written with `quick-junit`; no timestamps or durations, so the report
//! depends only on the captures and the policy.

use super::{CaptureResult, RuleId, RuleResult, Verdict, render};
use crate::policy::Limit;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::io;
use std::path::Path;

fn case(name: &str, c: &CaptureResult, status: TestCaseStatus) -> TestCase {
    let mut t = TestCase::new(name, status);
    t.set_classname(c.file.as_str());
    t.extra.insert("file".into(), c.file.as_str().into());
    t
}

fn rule_case(c: &CaptureResult, r: &RuleResult, limit: Option<Limit>) -> TestCase {
    let id = r.rule.id();
    if !c.opened {
        let mut s = TestCaseStatus::skipped();
        s.set_message("the capture could not be opened");
        return case(id, c, s);
    }
    let tolerated = limit.map_or(0, Limit::tolerated);
    let n = r.violations;
    let what = match (r.rule, limit) {
        (RuleId::ExpectClosed, _) => format!(
            "{n} {} not cleanly closed",
            if n == 1 { "connection" } else { "connections" }
        ),
        (RuleId::Anomaly(k), Some(Limit::Severity)) => {
            format!("{id} occurred {n}x ({} severity)", k.severity().name())
        }
        (RuleId::Anomaly(_), Some(Limit::Denied)) => format!("{id} occurred {n}x (denied)"),
        (RuleId::Anomaly(_), _) => {
            format!("{id} occurred {}x, {n} over max {tolerated}", r.occurrences)
        }
    };
    let mut t = if r.violations == 0 {
        case(id, c, TestCaseStatus::success())
    } else {
        let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
        s.set_message(what);
        s.set_type(id);
        let lines: Vec<String> = c
            .violations
            .iter()
            .filter(|v| v.rule == r.rule)
            .map(|v| render::violation_line(&c.file, v, false))
            .collect();
        s.set_description(lines.join("\n"));
        case(id, c, s)
    };
    if r.occurrences > 0 && r.violations < r.occurrences {
        t.set_system_out(format!(
            "{} of {} occurrences tolerated (max {tolerated})",
            r.occurrences - r.violations,
            r.occurrences
        ));
    }
    t
}

/// The report.
pub fn report(verdict: &Verdict) -> Report {
    let rules = super::rules(&verdict.policy);
    let mut report = Report::new("tcpstate check");
    for c in &verdict.captures {
        let mut suite = TestSuite::new(c.file.as_str());
        suite.add_property(Property::new("fail-on", verdict.policy.fail_on.name()));
        suite.add_property(Property::new(
            "expect-closed",
            if verdict.policy.expect_closed {
                "true"
            } else {
                "false"
            },
        ));
        let read = match &c.problem {
            None => TestCaseStatus::success(),
            Some(p) => {
                let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                s.set_message(p.to_string());
                s.set_type(if c.opened { "damaged" } else { "unreadable" });
                s
            }
        };
        suite.add_test_case(case("read", c, read));
        if c.opened {
            for (r, (_, limit)) in c.rules.iter().zip(&rules) {
                suite.add_test_case(rule_case(c, r, *limit));
            }
        } else {
            for (rule, limit) in &rules {
                let r = RuleResult {
                    rule: *rule,
                    occurrences: 0,
                    violations: 0,
                };
                suite.add_test_case(rule_case(c, &r, *limit));
            }
        }
        report.add_test_suite(suite);
    }
    report
}

/// Writes the report to `path`.
pub fn write_file(verdict: &Verdict, path: &Path) -> io::Result<()> {
    let mut xml = report(verdict)
        .to_string()
        .map_err(|e| io::Error::other(e.to_string()))?;
    xml.push('\n');
    std::fs::write(path, xml)
}
