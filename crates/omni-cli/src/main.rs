//! The `omni` command (placeholder).
fn main() {}
