//! `omni sign -o json` on a large file takes bounded memory: the file is hashed and printed in
//! chunks, never held whole. Its own test binary, so that the peak RSS of this process's
//! children is the peak of the one `omni` it runs.

mod common;

use std::io::{Read as _, Write as _};
use std::process::Stdio;

use common::{SECRET, omni, scratch};
use nix::sys::resource::{UsageWho, getrusage};

/// The file size: beyond the bound, so a command holding the whole body fails the test (kept
/// small because the test runs a debug build).
const FILE_BYTES: usize = 24 << 20;
/// The peak resident set allowed for the whole `omni` process: about 10 MiB is the debug
/// binary itself, the rest room for its chunk buffers.
const PEAK_BOUND_BYTES: i64 = 16 << 20;

#[test]
fn signing_a_large_file_takes_bounded_memory() {
    let dir = scratch("sign-memory");
    let path = dir.join("large.json");
    {
        // Text (so both the `body` and `body_base64` members are written), with a multi-byte
        // character across many chunk boundaries and a quote to escape.
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let line = "{\"k\":\"é\"}\n".repeat(64);
        let mut written = 0;
        while written < FILE_BYTES {
            file.write_all(line.as_bytes()).unwrap();
            written += line.len();
        }
        file.flush().unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    let mut child = omni()
        .env("OMNI_SECRET_KEY", SECRET)
        .args([
            "sign",
            "--client-id",
            "ptnr_1",
            "--timestamp",
            "1709024580000",
        ])
        .args([
            "-X",
            "POST",
            "--url",
            "https://h/api/v1/partner/x",
            "-o",
            "json",
        ])
        .arg("--data-file")
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut total = 0u64;
    let mut tail = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = stdout.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        total += n as u64;
        tail.extend_from_slice(&buf[..n]);
        let keep = tail.len().saturating_sub(4096);
        tail.drain(..keep);
    }
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "{stderr}");
    // body (escaped quotes add bytes) and body_base64 (4/3 of the size) were both written.
    assert!(
        total > size + size * 4 / 3,
        "{total} bytes of output for {size}"
    );
    let tail = String::from_utf8_lossy(&tail);
    assert!(
        tail.ends_with("\"url\": \"https://h/api/v1/partner/x\"\n}\n"),
        "{tail}"
    );
    let peak = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss() * 1024;
    assert!(
        peak < PEAK_BOUND_BYTES,
        "omni sign peaked at {peak} bytes for a {size}-byte file"
    );
}
