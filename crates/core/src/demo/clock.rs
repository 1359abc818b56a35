//! Time in the demo lake: lake hours and days as seconds, and the forms AWS writes times in
//! (ISO 8601, object-name stamps, date folders, IAM's `May 2, 2024, 8:30:41 AM`).

pub(super) const DAY: i64 = 86_400;
/// 2024-05-01T00:00:00Z, the first second of the lake.
pub(super) const BASE: i64 = 1_714_521_600;
pub(super) const HOURS: i64 = 72;

/// Seconds since the epoch, for a day of the lake (0 = 2024-05-01) and a time of day.
pub(super) fn at(day: i64, h: i64, m: i64, s: i64) -> i64 {
    BASE + day * DAY + h * 3600 + m * 60 + s
}

/// (year, month, day, hour, minute, second) of a UTC timestamp, without a date library.
fn civil(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, secs) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

pub(super) fn iso(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

pub(super) fn iso_ms(ms: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms.div_euclid(1000));
    let frac = ms.rem_euclid(1000);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
}

/// `YYYYMMDDTHHmmZ`, the delivery stamp in CloudTrail object names.
pub(super) fn stamp_min(t: i64) -> String {
    let (y, mo, d, h, mi, _) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}Z")
}

/// `YYYYMMDDTHHmmssZ`, the stamp in digest object names.
pub(super) fn stamp_sec(t: i64) -> String {
    let (y, mo, d, h, mi, s) = civil(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

pub(super) fn folder(t: i64) -> String {
    let (y, mo, d, ..) = civil(t);
    format!("{y:04}/{mo:02}/{d:02}")
}

/// The format IAM and STS use inside responseElements, e.g. `May 2, 2024, 8:30:41 AM`.
pub(super) fn aws_date(t: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (y, mo, d, h, mi, s) = civil(t);
    let (h12, half) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!(
        "{} {d}, {y}, {h12}:{mi:02}:{s:02} {half}",
        MONTHS[(mo - 1) as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::story::STOLEN_KEY_ISSUED_AT;

    #[test]
    fn time_helpers() {
        assert_eq!(iso(BASE), "2024-05-01T00:00:00Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(at(1, 2, 30, 41)), STOLEN_KEY_ISSUED_AT);
        assert_eq!(iso(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            iso_ms(at(2, 23, 59, 59) * 1000 + 7),
            "2024-05-03T23:59:59.007Z"
        );
        assert_eq!(stamp_min(at(1, 3, 5, 9)), "20240502T0305Z");
        assert_eq!(stamp_sec(at(1, 3, 5, 9)), "20240502T030509Z");
        assert_eq!(folder(at(2, 0, 0, 0)), "2024/05/03");
        assert_eq!(aws_date(at(1, 8, 30, 41)), "May 2, 2024, 8:30:41 AM");
        assert_eq!(aws_date(at(1, 0, 5, 0)), "May 2, 2024, 12:05:00 AM");
        assert_eq!(aws_date(at(1, 13, 5, 0)), "May 2, 2024, 1:05:00 PM");
    }
}
