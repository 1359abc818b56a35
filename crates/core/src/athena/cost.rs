//! What an Athena query costs: its scanned bytes at USD 5 per TB, rounded up to whole megabytes,
//! with the 10 MB minimum Athena bills for every query.

/// USD per terabyte scanned (Athena's SQL query price in most regions).
pub const USD_PER_TB: f64 = 5.0;
const MB: u64 = 1 << 20;
const TB: f64 = (1u64 << 40) as f64;
/// Every query is billed for at least 10 MB, even one that scanned nothing.
pub const MINIMUM_BYTES: u64 = 10 * MB;

/// The bytes Athena bills for a scan: rounded up to a megabyte, at least 10 MB.
pub fn billed_bytes(scanned: u64) -> u64 {
    scanned.div_ceil(MB).saturating_mul(MB).max(MINIMUM_BYTES)
}

/// The cost of a scan in USD.
pub fn usd(scanned: u64) -> f64 {
    billed_bytes(scanned) as f64 / TB * USD_PER_TB
}

use crate::text::human_bytes;

/// One line for stderr: what was scanned and what it cost.
pub fn describe(scanned: u64) -> String {
    let minimum = if billed_bytes(scanned) == MINIMUM_BYTES {
        ", the 10 MB minimum"
    } else {
        ""
    };
    format!(
        "scanned {} ({scanned} bytes), cost ≈ ${:.6}{minimum}",
        human_bytes(scanned),
        usd(scanned)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_scanned_still_costs_the_10_mb_minimum() {
        assert_eq!(billed_bytes(0), 10 * 1024 * 1024);
        assert_eq!(usd(0), usd(10 * 1024 * 1024));
        assert!((usd(0) - 10.0 * 5.0 / (1024.0 * 1024.0)).abs() < 1e-12);
        assert!(describe(0).contains("10 MB minimum"));
    }

    #[test]
    fn larger_scans_round_up_to_a_megabyte() {
        let eleven_mb_and_a_byte = 11 * MB + 1;
        assert_eq!(billed_bytes(eleven_mb_and_a_byte), 12 * MB);
        assert_eq!(usd(1 << 40), 5.0);
        assert_eq!(human_bytes(3 << 40), "3.0 TiB");
    }
}
