//! The quick mode of `trawl bench` runs in CI: it proves the benchmark works end to end and that
//! trawl and `zcat | jq` agree on what a pivot finds. Timings are reported, never asserted.

use crate::common;

use common::*;

#[test]
fn the_quick_benchmark_runs_and_agrees_with_jq() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(trawl()
        .args(["bench", "--quick", "--runs", "1", "--json", "--dir"])
        .arg(dir.path()));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    // 4 objects of 300 events; every 997th event comes from the needle address.
    assert_eq!(report["objects"], 4);
    assert_eq!(report["records"], 1200);
    assert_eq!(report["needle_records"], 2);
    assert!(report["uncompressed_bytes"].as_u64().unwrap() > 1_000_000);
    for k in [
        "zcat_s",
        "zcat_jq_s",
        "trawl_load_index_s",
        "trawl_load_index_detect_s",
        "trawl_pivot_cli_s",
        "lookup_1m_ms",
    ] {
        assert!(report[k].as_f64().unwrap() > 0.0, "{k}");
    }
    assert!(r.stdout.contains("ratio to zcat"));
    assert!(r.stdout.contains("load + index + detection (built-in)"));
    assert!(report["detect_overhead"].is_f64());
    // The generated day is routine traffic: no built-in rule fires on it.
    assert_eq!(report["flagged_records"], 0);
}

#[test]
fn the_scale_benchmark_reads_an_organization_day_and_agrees_with_jq() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(trawl()
        .args(["bench", "--scale", "0.005", "--json", "--dir"])
        .arg(dir.path()));
    assert_eq!(r.status, 0, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(r.stdout.lines().last().unwrap()).unwrap();
    // 5,000 events over one account's 3 regions x 288 objects; every 997th from the needle.
    assert_eq!(report["accounts"], 1);
    assert_eq!(report["objects"], 864);
    assert_eq!(report["records"], 5000);
    assert_eq!(report["needle_records"], 6);
    // The screen read the whole day while keys were pressed, and drew each key's frame.
    assert_eq!(report["screen_records"], 5000);
    assert!(report["keys"].as_u64().unwrap() > 0);
    for k in [
        "zcat_s",
        "zcat_jq_s",
        "load_index_s",
        "records_jsonl_s",
        "pivot_s",
        "screen_first_frame_ms",
        "screen_load_s",
        "key_p95_ms",
    ] {
        assert!(report[k].as_f64().unwrap() > 0.0, "{k}");
    }
    for k in [
        "load_peak_rss_bytes",
        "screen_peak_rss_bytes",
        "footprint_per_record",
    ] {
        assert!(report[k].as_u64().unwrap() > 0, "{k}");
    }
    assert!(r.stdout.contains("screen: key-to-frame p95 while loading"));
    // A second run reuses the generated day.
    assert!(dir.path().join("complete-5000").exists());
}
