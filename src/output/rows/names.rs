//! Values from the names the JSON and Parquet outputs write (states, roles,
//! bases, outcomes, anomaly ids, Zeek conn_states, control bits), and the
//! fixed sets some of them are looked up in.

use crate::anomaly::AnomalyKind;
use crate::consumer::Outcome;
use crate::select::OUTCOMES;
use crate::state::{Basis, TcpState};
use crate::vocab::Role;
use crate::zeek::ConnState;

/// Every basis a transition can rest on.
pub const BASES: [Basis; 5] = [
    Basis::Sent,
    Basis::Received,
    Basis::Inferred,
    Basis::Timer,
    Basis::Revised,
];

/// Zeek's conn_state values.
pub const CONN_STATES: [ConnState; 13] = [
    ConnState::S0,
    ConnState::S1,
    ConnState::SF,
    ConnState::REJ,
    ConnState::S2,
    ConnState::S3,
    ConnState::RSTO,
    ConnState::RSTR,
    ConnState::RSTOS0,
    ConnState::RSTRH,
    ConnState::SH,
    ConnState::SHR,
    ConnState::OTH,
];

/// The roles, client first.
pub const ROLES: [Role; 2] = [Role::Client, Role::Server];
/// A control bit's name, as the JSON writes it.
pub fn flag_name(s: &str) -> Result<&'static str, String> {
    crate::decode::TcpFlags::NAMES
        .iter()
        .map(|(_, n)| *n)
        .find(|n| *n == s)
        .ok_or_else(|| format!("unknown TCP flag `{s}`"))
}
/// The state named `s` (`FIN_WAIT_1`, ...).
pub fn state(s: &str) -> Result<TcpState, String> {
    TcpState::from_name(s).ok_or_else(|| format!("unknown TCP state `{s}`"))
}

/// The role named `s`.
pub fn role(s: &str) -> Result<Role, String> {
    ROLES
        .into_iter()
        .find(|r| r.name() == s)
        .ok_or_else(|| format!("unknown endpoint `{s}`"))
}

/// The basis named `s`.
pub fn basis(s: &str) -> Result<Basis, String> {
    BASES
        .into_iter()
        .find(|b| b.name() == s)
        .ok_or_else(|| format!("unknown basis `{s}`"))
}

/// The outcome named `s`.
pub fn outcome(s: &str) -> Result<Outcome, String> {
    OUTCOMES
        .into_iter()
        .find(|o| o.name() == s)
        .ok_or_else(|| format!("unknown outcome `{s}`"))
}

/// The anomaly whose id is `s`.
pub fn anomaly(s: &str) -> Result<AnomalyKind, String> {
    AnomalyKind::ALL
        .iter()
        .copied()
        .find(|k| k.id() == s)
        .ok_or_else(|| format!("unknown anomaly id `{s}`"))
}

/// Zeek's conn_state named `s`.
pub fn conn_state(s: &str) -> Result<ConnState, String> {
    CONN_STATES
        .into_iter()
        .find(|c| c.name() == s)
        .ok_or_else(|| format!("unknown Zeek conn_state `{s}`"))
}
