//! What an independent audit broke (issue 21), each kept as the reproduction that broke it:
//! hostile Parquet schemas, evidence files that must never be written through a link or over a
//! file, JSON that only looks valid, keys that XML cannot carry, objects built to exhaust memory,
//! spreadsheet formulas, invisible characters, symlink loops and files that are not files.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{run, trawl};

fn temp_dir(tag: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("trawl-hardening-{tag}-"))
        .tempdir()
        .expect("a temporary folder")
}

/// A Parquet file whose one column sits `depth` structs deep, with one row.
fn nested_parquet(depth: usize) -> Vec<u8> {
    use parquet::basic::{Repetition, Type as Physical};
    use parquet::data_type::Int32Type;
    use parquet::file::writer::SerializedFileWriter;
    use parquet::schema::types::Type;
    let mut t = Arc::new(
        Type::primitive_type_builder("leaf", Physical::INT32)
            .with_repetition(Repetition::OPTIONAL)
            .build()
            .unwrap(),
    );
    for i in 0..depth {
        t = Arc::new(
            Type::group_type_builder(&format!("s{i}"))
                .with_repetition(Repetition::OPTIONAL)
                .with_fields(vec![t])
                .build()
                .unwrap(),
        );
    }
    let schema = Arc::new(
        Type::group_type_builder("schema")
            .with_fields(vec![t])
            .build()
            .unwrap(),
    );
    let mut buf = Vec::new();
    let mut w = SerializedFileWriter::new(&mut buf, schema, Default::default()).unwrap();
    let mut group = w.next_row_group().unwrap();
    while let Some(mut col) = group.next_column().unwrap() {
        col.typed::<Int32Type>()
            .write_batch(&[], Some(&[0]), None)
            .unwrap();
        col.close().unwrap();
    }
    group.close().unwrap();
    w.close().unwrap();
    buf
}

// ---- 1. a deeply nested Parquet schema ----------------------------------------------------

#[test]
fn a_parquet_schema_nested_1000_deep_is_a_problem_not_a_crash() {
    let dir = temp_dir("nested");
    let file = dir.path().join("deep.parquet");
    // Built on a thread with room: the writer itself walks the schema recursively.
    let bytes = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| nested_parquet(1000))
        .unwrap()
        .join()
        .unwrap();
    std::fs::write(&file, bytes).unwrap();
    let r = run(trawl().arg("records").arg(&file));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("nested 1000") && r.stderr.contains("deep.parquet"),
        "{}",
        r.stderr
    );
    // A shallow one of the same shape is read to its row (which is no record).
    let ok = dir.path().join("shallow.parquet");
    std::fs::write(&ok, nested_parquet(20)).unwrap();
    let r = run(trawl().arg("records").arg(&ok));
    assert!(
        !r.stderr.contains("levels deep") && r.stderr.contains("line 1: not a GuardDuty"),
        "{}",
        r.stderr
    );
}

// ---- 9. a panic the Parquet guard catches is silent ----------------------------------------

#[test]
fn a_parquet_reader_panic_is_a_warning_and_nothing_else() {
    let dir = common::fixture("fuzz-regressions/decode_parquet");
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
        let r = run(trawl().arg("records").arg(&path));
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("the reader failed") && !r.stderr.contains("panicked"),
            "{}: {}",
            path.display(),
            r.stderr
        );
        seen += 1;
    }
    assert!(seen >= 4);
}

// ---- 7. CSV cells that start a formula -------------------------------------------------------

#[test]
fn csv_output_neutralizes_formulas() {
    let dir = temp_dir("csv");
    let file = dir.path().join("events.json");
    std::fs::write(
        &file,
        r#"{"Records":[{"eventVersion":"1.08","eventTime":"2024-05-02T03:00:00Z","eventSource":"iam.amazonaws.com","eventName":"=HYPERLINK(\"http://evil\",\"x\")","awsRegion":"@SUM(1)","sourceIPAddress":"203.0.113.66","userIdentity":{"arn":"+cmd|' /C calc'!A0"}}]}"#,
    )
    .unwrap();
    let r = run(trawl().args(["records", "--format", "csv"]).arg(&file));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let row = r.stdout.lines().nth(1).expect("a row");
    for cell in ["\"'=HYPERLINK(", "\"'@SUM(1)\"", "\"'+cmd|"] {
        assert!(row.contains(cell), "{cell} in {row}");
    }
    assert!(
        !row.contains(",=") && !row.contains(",@") && !row.contains(",+"),
        "{row}"
    );
}
