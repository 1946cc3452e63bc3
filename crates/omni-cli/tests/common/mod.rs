//! Running the `omni` binary in tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use omni_sandbox::{Sandbox, SandboxConfig, demo};

/// The secret the tests sign with.
pub(crate) const SECRET: &str = "partner-secret-key";

/// `omni` with a clean environment: no OMNI_* variable leaks in from the caller, and no
/// RUST_LOG adds log lines to what the tests read.
pub(crate) fn omni() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_omni"));
    cmd.env_remove("RUST_LOG");
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
pub(crate) fn run(cmd: &mut Command) -> (i32, String, String) {
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
pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A sandbox served by a runtime that lives as long as the value.
pub(crate) struct Running {
    pub sandbox: Sandbox,
    _runtime: tokio::runtime::Runtime,
}

/// The sandbox with its default configuration on a free loopback port.
pub(crate) fn sandbox() -> Running {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sandbox = runtime
        .block_on(Sandbox::start(SandboxConfig::default()))
        .unwrap();
    Running {
        sandbox,
        _runtime: runtime,
    }
}

/// `omni` with the demo partner's credentials and the sandbox's base URL.
pub(crate) fn omni_for(s: &Running) -> Command {
    let mut cmd = omni();
    cmd.env("OMNI_BASE_URL", s.sandbox.omni_base_url())
        .env("OMNI_CLIENT_ID", demo::PARTNER_CLIENT_ID)
        .env("OMNI_SECRET_KEY", demo::PARTNER_SECRET);
    cmd
}

/// `omni` with the demo OneKYC credentials and the sandbox's base URLs.
pub(crate) fn onekyc_for(s: &Running) -> Command {
    let mut cmd = omni();
    cmd.env("ONEKYC_CLIENT_ID", demo::ONEKYC_CLIENT_ID)
        .env("ONEKYC_PASS_KEY", demo::ONEKYC_PASS_KEY)
        .env("ONEKYC_TOKEN_BASE_URL", s.sandbox.onekyc_token_base_url())
        .env("ONEKYC_ESIGN_BASE_URL", s.sandbox.esign_base_url());
    cmd
}
