//! Running the `omni` binary in tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The secret the tests sign with.
pub const SECRET: &str = "partner-secret-key";

/// `omni` with a clean environment: no OMNI_* variable leaks in from the caller.
pub fn omni() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omni"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OMNI_") {
            cmd.env_remove(key);
        }
    }
    // A developer's shared-token Redis must not join the tests' fleet.
    cmd.env_remove(onekyc_client::REDIS_URL_ENV);
    cmd
}

/// Runs `cmd` and returns (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the omni binary runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A fresh directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}
