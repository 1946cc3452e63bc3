//! Replays every committed corpus file through its target, so CI checks on the stable
//! toolchain, without a fuzzer, everything the fuzzer once reached (and every crash it found,
//! kept in the corpus once fixed).

use std::fs;
use std::path::Path;

#[test]
fn every_corpus_file_passes_its_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut replayed = 0;
    for (name, target) in omni_fuzz::TARGETS {
        let dir = root.join(name);
        let entries = fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
        let mut files = 0;
        for entry in entries {
            let path = entry.expect("readable corpus directory").path();
            let data = fs::read(&path).expect("readable corpus file");
            target(&data);
            files += 1;
        }
        assert!(files > 0, "corpus {name} is empty");
        replayed += files;
    }
    println!("replayed {replayed} corpus files");
}
