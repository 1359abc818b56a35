//! `trawl athena query` runs statements that read. Athena also runs statements that write or
//! change things (CTAS, UNLOAD, INSERT, DROP, ALTER, MSCK REPAIR, ...), and trawl is read-only
//! unless told otherwise: a statement is let through only when its first keyword (past comments,
//! parentheses and EXPLAIN) is one that reads.

/// Keywords that start a statement that only reads.
const READS: [&str; 7] = [
    "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "VALUES", "TABLE",
];

/// The keyword of a statement that may write or change something (`None` when it only reads).
pub fn writes(sql: &str) -> Option<String> {
    let mut rest = sql;
    loop {
        rest = skip_comments(rest);
        if let Some(inner) = rest.strip_prefix('(') {
            rest = inner;
            continue;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let word = rest[..end].to_ascii_uppercase();
        match word.as_str() {
            // EXPLAIN [ANALYZE] [(options)] STATEMENT: the statement decides (ANALYZE runs it).
            "EXPLAIN" | "ANALYZE" => {
                rest = &rest[end..];
                if let Some(opts) = rest.trim_start().strip_prefix('(') {
                    rest = opts.split_once(')').map_or("", |(_, r)| r);
                }
            }
            w if READS.contains(&w) => return None,
            "" => return Some("(an empty statement)".to_string()),
            w => return Some(w.to_string()),
        }
    }
}

fn skip_comments(mut s: &str) -> &str {
    loop {
        s = s.trim_start();
        if let Some(r) = s.strip_prefix("--") {
            s = r.split_once('\n').map_or("", |(_, r)| r);
        } else if let Some(r) = s.strip_prefix("/*") {
            s = r.split_once("*/").map_or("", |(_, r)| r);
        } else {
            return s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::writes;

    #[test]
    fn reading_statements_pass() {
        for sql in [
            "SELECT 1",
            "  select * from t",
            "-- why\nSELECT 1",
            "/* a */ WITH x AS (SELECT 1) SELECT * FROM x",
            "(SELECT 1) UNION (SELECT 2)",
            "SHOW TABLES",
            "DESCRIBE t",
            "EXPLAIN SELECT 1",
            "EXPLAIN ANALYZE (FORMAT JSON) SELECT 1",
            "VALUES 1",
        ] {
            assert_eq!(writes(sql), None, "{sql}");
        }
    }

    #[test]
    fn writing_statements_are_named() {
        for (sql, word) in [
            ("CREATE TABLE x AS SELECT 1", "CREATE"),
            (
                "UNLOAD (SELECT 1) TO 's3://b/' WITH (format = 'JSON')",
                "UNLOAD",
            ),
            ("insert into t select 1", "INSERT"),
            ("DROP TABLE t", "DROP"),
            ("ALTER TABLE t ADD PARTITION (d='1')", "ALTER"),
            ("MSCK REPAIR TABLE t", "MSCK"),
            ("DELETE FROM t", "DELETE"),
            (
                "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
                "MERGE",
            ),
            ("UPDATE t SET a = 1", "UPDATE"),
            ("OPTIMIZE t REWRITE DATA USING BIN_PACK", "OPTIMIZE"),
            ("VACUUM t", "VACUUM"),
            ("-- SELECT\nDROP TABLE t", "DROP"),
            ("/* SELECT */ DROP TABLE t", "DROP"),
            ("EXPLAIN ANALYZE INSERT INTO t SELECT 1", "INSERT"),
            ("PREPARE p FROM SELECT 1", "PREPARE"),
            ("", "(an empty statement)"),
        ] {
            assert_eq!(writes(sql).as_deref(), Some(word), "{sql}");
        }
    }
}
