//! What each fuzz target does with one input, shared by the fuzz targets and by
//! `tests/fuzz_regressions.rs`, which replays every crash the fuzzers found under `cargo test`.

// Each fuzz target uses one of these functions.
#![allow(dead_code)]

use std::io::Write;
use std::ops::ControlFlow;
use std::sync::Arc;

use serde_json::Value;
use trawl_core::decode::{decode_json, decode_parquet, Item, Limits};
use trawl_core::entity;
use trawl_core::layout::Partition;
use trawl_core::record::{Origin, Record};

/// Small limits make the refusal paths reachable from small inputs.
const LIMITS: Limits = Limits {
    max_object_bytes: 1 << 20,
    max_record_bytes: 16 << 10,
};

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(data).expect("in memory");
    gz.finish().expect("in memory")
}

/// S3 keys and folder prefixes → partitions: any string, never a panic.
pub fn layout(data: &[u8]) {
    let key = String::from_utf8_lossy(data);
    let folder = Partition::of_prefix(&key);
    let _ = folder.date();
    let _ = folder.day.range();
    if let Some(p) = Partition::of_key(&key) {
        assert!(p.kind.is_some());
        let _ = p.date();
    }
}

type Summary<'a> = (
    &'a str,
    &'a str,
    Option<String>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    &'a [trawl_core::entity::Entity],
);

fn summary(r: &Record) -> Summary<'_> {
    (
        &r.event,
        &r.summary,
        r.time_string(),
        r.account.as_deref(),
        r.region.as_deref(),
        r.principal.as_deref(),
        r.ip.as_deref(),
        r.error.as_deref(),
        r.resource.as_deref(),
        &r.entities,
    )
}

fn decode_and_normalize(bytes: &[u8]) {
    let object: Arc<str> = Arc::from("fuzz");
    let mut fatal = 0;
    let _ = decode_json(bytes, LIMITS, &mut |item| {
        match item {
            Item::Value(v, position) => {
                let origin = Origin {
                    object: object.clone(),
                    position,
                };
                let _ = Record::from_value(v, origin, None);
            }
            Item::CloudTrailText(text, position) => {
                let origin = Origin {
                    object: object.clone(),
                    position,
                };
                let whole = serde_json::from_str(&text)
                    .ok()
                    .and_then(|v| Record::from_value(v, origin.clone(), None));
                // The event read from a part of its tree says what the whole tree says.
                if let Ok(r) = Record::from_cloudtrail_text(text, origin, None) {
                    let w = whole.expect("an event read in part also parses whole");
                    assert_eq!(summary(&r), summary(&w));
                    // Its text is the text it was written with: the same JSON.
                    assert_eq!(r.value(), w.value());
                }
            }
            Item::Problem(p) => {
                assert!(!p.message.is_empty());
                fatal += usize::from(p.fatal);
            }
        }
        ControlFlow::Continue(())
    });
    // A fatal problem ends the object: nothing is reported after it.
    assert!(fatal <= 1);
}

/// Any bytes as an object, plain and gzip-compressed (so the text decoders are reached through
/// gzip too; the plain bytes reach the gzip decoder with corrupt headers and streams).
pub fn json(data: &[u8]) {
    decode_and_normalize(data);
    decode_and_normalize(&gzip(data));
}

/// The streaming CloudTrail envelope path: `{"Records":[` and then anything.
pub fn envelope(data: &[u8]) {
    let mut text = b"{\"Records\":[".to_vec();
    text.extend_from_slice(data);
    decode_and_normalize(&text);
    decode_and_normalize(&gzip(&text));
}

/// Any bytes as a Parquet file held in memory. decode_parquet catches the parquet crate's panics
/// on malformed files and reports them as problems; libfuzzer-sys's panic hook would abort on
/// those before they are caught, so this target prints panics instead. A panic that escapes
/// decode_parquet still fails the run: libfuzzer-sys aborts on any panic out of the target.
pub fn parquet(data: &[u8]) {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(|| {
        // A few are shown; millions would fill the disk (and a failed write panics in the hook).
        static SHOWN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        std::panic::set_hook(Box::new(|info| {
            if SHOWN.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < 20 {
                let _ = writeln!(std::io::stderr(), "caught: {info}");
            }
        }))
    });
    let mut rows = 0usize;
    let _ = decode_parquet(bytes::Bytes::copy_from_slice(data), &mut |_| {
        rows += 1;
        // Forged row counts could keep one input busy for ever: a few thousand rows is plenty.
        if rows > 4096 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
}

/// Entity extraction and record normalization over any JSON.
pub fn entities(data: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for e in entity::from_cloudtrail(&v)
        .into_iter()
        .chain(entity::from_guardduty(&v))
        .chain(entity::from_ocsf(&v))
    {
        assert!(entity::matches(&e, &e), "an entity matches itself: {e:?}");
    }
    if let Value::String(s) = &v {
        let _ = entity::parse_target(s);
        let _ = entity::ips_in(s);
        let _ = entity::role_of_session(s);
    }
    let origin = Origin {
        object: Arc::from("fuzz"),
        position: 1,
    };
    let _ = Record::from_value(v, origin, None);
}

/// Any text as a Sigma rule file, then as the detection of a CloudTrail rule (so the condition
/// and modifier parsers are reached without first finding the header); a rule that reads is run
/// on a real-shaped event. Never a panic, never a hang.
pub fn sigma_rule(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let header =
        "title: t\nlevel: high\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n";
    let event = serde_json::json!({
        "eventSource": "iam.amazonaws.com", "eventName": "CreateAccessKey",
        "recipientAccountId": "111122223333", "sourceIPAddress": "203.0.113.66",
        "userIdentity": {"type": "IAMUser", "userName": "bob", "arn": "arn:aws:iam::111122223333:user/bob"},
        "requestParameters": {"userName": "alice", "items": [{"n": 1}, {"n": "x"}, null]},
        "errorCode": null,
    });
    for candidate in [text.to_string(), format!("{header}{text}")] {
        let mut set = trawl_core::detect::RuleSet::new();
        let report = set.add_text("fuzz.yml", &candidate);
        assert_eq!(
            report.added + report.other_log_sources + report.warnings.len(),
            1
        );
        let _ = set.evaluate_value(&event);
    }
}
