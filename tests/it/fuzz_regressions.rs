//! Every input a fuzzer ever crashed on, replayed through the same harness the fuzz targets use
//! (`fuzz/harness.rs`), so that a fixed crash stays fixed under plain `cargo test` on stable Rust.
//! Crash inputs live in `tests/fixtures/fuzz-regressions/<target>/`.

#[path = "../../fuzz/harness.rs"]
mod harness;

use std::path::PathBuf;

fn replay(target: &str, run: fn(&[u8])) -> usize {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz-regressions")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|n| n == ".gitkeep") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        eprintln!("replaying {}", path.display());
        run(&data);
        n += 1;
    }
    n
}

#[test]
fn layout_crashes_stay_fixed() {
    replay("layout", harness::layout);
}

#[test]
fn decode_json_crashes_stay_fixed() {
    replay("decode_json", harness::json);
}

#[test]
fn decode_envelope_crashes_stay_fixed() {
    replay("decode_envelope", harness::envelope);
}

#[test]
fn decode_parquet_crashes_stay_fixed() {
    replay("decode_parquet", harness::parquet);
}

#[test]
fn entity_crashes_stay_fixed() {
    replay("entity", harness::entities);
}

#[test]
fn sigma_rule_crashes_stay_fixed() {
    assert!(
        replay("sigma_rule", harness::sigma_rule) >= 2,
        "the seeds are replayed"
    );
}

/// The parquet crate panics on these (one file per panic site it was found at); trawl reports
/// each as a fatal problem with the object instead.
#[test]
fn parquet_reader_panics_are_fatal_problems() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz-regressions/decode_parquet");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("caught-")
        {
            continue;
        }
        let mut problems = Vec::new();
        let bytes = bytes::Bytes::from(std::fs::read(&path).unwrap());
        let _ = trawl::decode::decode_parquet(bytes, &mut |item| {
            if let trawl::decode::Item::Problem(p) = item {
                problems.push(p);
            }
            std::ops::ControlFlow::Continue(())
        });
        assert!(
            problems
                .iter()
                .any(|p| p.fatal && p.message.contains("the reader failed")),
            "{}: {problems:?}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 4);
}
