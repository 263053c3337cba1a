//! Zeek's verdict from segment sequences; expectations reasoned from Zeek's
//! rules (cited per test), not taken from our output.
