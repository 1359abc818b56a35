//! Bytes of one object → JSON values, streamed: gzip or not; JSON Lines, a CloudTrail
//! `{"Records":[...]}` envelope, a top-level array, or pretty-printed documents; Parquet rows.
//!
//! Streaming matters: an envelope is walked element by element so that the compressed bytes, the
//! text and every parsed value of a large object are never in memory at once. Every problem is
//! reported as a [`Problem`] naming the line, and decoding goes on where it can.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;

use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Limits that bound memory per object: log content is attacker-controlled.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Decompressed bytes one object may expand to (a gzip bomb stops here), and the memory its
    /// records may take once read (millions of tiny records from a small object stop here).
    pub max_object_bytes: u64,
    /// Bytes one line or one record may take.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // Fits a small machine: objects are read several at once, and an envelope or a
            // pretty document is held whole while its records are made.
            max_object_bytes: 512 << 20,
            max_record_bytes: 64 << 20,
        }
    }
}

pub use crate::decoded::{Item, Problem, Sink};

/// A cheap test on a record's raw JSON text, before it is parsed: a pivot skips the records that
/// cannot name its entity without building them.
pub type Prefilter<'a> = Option<&'a (dyn Fn(&[u8]) -> bool + Send + Sync)>;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
pub const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

/// Counts decompressed bytes and refuses to go past the object limit.
struct Bounded<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(io::Error::other(format!(
                "refused: expands past {} bytes (a gzip bomb, or raise --max-object-bytes)",
                self.limit
            )));
        }
        Ok(n)
    }
}

/// Whether the bytes start like a Parquet file.
pub fn is_parquet(head: &[u8]) -> bool {
    head.starts_with(PARQUET_MAGIC)
}

/// Decodes a JSON object (gzip or plain) from `input`, calling `sink` for each value and problem.
/// Returns `Break` when the sink asked to stop.
pub fn decode_json<R: Read>(input: R, limits: Limits, sink: &mut Sink<'_>) -> ControlFlow<()> {
    decode_json_with(input, limits, None, sink)
}

/// [`decode_json`], skipping records whose raw text `prefilter` rejects (they are not counted as
/// problems: they are simply not asked for).
pub fn decode_json_with<R: Read>(
    input: R,
    limits: Limits,
    prefilter: Prefilter<'_>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    let mut raw = BufReader::with_capacity(256 << 10, input);
    let gz = match raw.fill_buf() {
        Ok(head) => head.starts_with(&GZIP_MAGIC),
        Err(e) => return sink(Item::Problem(io_problem(None, &e))),
    };
    let text: Box<dyn Read> = if gz {
        // Multi-member: concatenated gzip streams are one object to S3 and to zcat.
        Box::new(flate2::bufread::MultiGzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let bounded = Bounded {
        inner: text,
        read: 0,
        limit: limits.max_object_bytes,
    };
    decode_text(
        BufReader::with_capacity(256 << 10, bounded),
        limits,
        prefilter,
        sink,
    )
}

fn io_problem(line: Option<u64>, e: &io::Error) -> Problem {
    let message = match e.kind() {
        io::ErrorKind::UnexpectedEof => "truncated: the compressed stream ends early".to_string(),
        io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData
            if e.to_string().contains("header") || e.to_string().contains("deflate") =>
        {
            format!("corrupt gzip: {e}")
        }
        _ => e.to_string(),
    };
    Problem {
        line,
        message,
        fatal: true,
    }
}

fn skip_whitespace<R: BufRead>(r: &mut R) -> io::Result<Option<u8>> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        // A UTF-8 byte order mark is whitespace to a person.
        if buf.starts_with(&[0xEF, 0xBB, 0xBF]) {
            r.consume(3);
            continue;
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => {
                let first = buf[i];
                r.consume(i);
                return Ok(Some(first));
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// `{"Records":[` or `{"findings":[` at the start: stream the array instead of building the object.
fn starts_envelope(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(64)]);
    let t = text.trim_start_matches('{').trim_start();
    ["\"Records\"", "\"findings\"", "\"Findings\""]
        .iter()
        .any(|k| t.starts_with(k) && t[k.len()..].trim_start().starts_with(':'))
}

fn decode_text<R: BufRead>(
    mut r: R,
    limits: Limits,
    prefilter: Prefilter<'_>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    let first = match skip_whitespace(&mut r) {
        Ok(Some(b)) => b,
        Ok(None) => {
            return sink(Item::Problem(Problem {
                line: None,
                message: "empty object: no records".into(),
                fatal: false,
            }))
        }
        Err(e) => return sink(Item::Problem(io_problem(None, &e))),
    };
    let envelope =
        first == b'[' || (first == b'{' && r.fill_buf().map(starts_envelope).unwrap_or(false));
    if envelope {
        return decode_stream(r, 1, limits, prefilter, sink);
    }
    if first != b'{' {
        let head = r.fill_buf().map(|b| b.to_vec()).unwrap_or_default();
        let what = if is_parquet(&head) {
            "a Parquet file where JSON was expected"
        } else if head.iter().take(512).any(|&b| b == 0) {
            "binary data, not JSON"
        } else {
            "not JSON"
        };
        return sink(Item::Problem(Problem {
            line: Some(1),
            message: what.to_string(),
            fatal: true,
        }));
    }
    decode_lines(r, limits, prefilter, sink)
}

/// JSON Lines, one value a line; a first line that is an unfinished value means a pretty document.
fn decode_lines<R: BufRead>(
    mut r: R,
    limits: Limits,
    prefilter: Prefilter<'_>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    let mut line = Vec::with_capacity(8 << 10);
    let mut n: u64 = 0;
    let mut seen_value = false;
    loop {
        line.clear();
        n += 1;
        match read_line_bounded(&mut r, &mut line, limits.max_record_bytes) {
            Ok(LineRead::Eof) => return ControlFlow::Continue(()),
            Ok(LineRead::TooLong(len)) => {
                sink(Item::Problem(Problem {
                    line: Some(n),
                    message: format!(
                        "skipped: line of {len} bytes is longer than the {} byte limit",
                        limits.max_record_bytes
                    ),
                    fatal: false,
                }))?;
                continue;
            }
            Ok(LineRead::Line) => {}
            Err(e) => return sink(Item::Problem(io_problem(Some(n), &e))),
        }
        let trimmed = line.trim_ascii();
        if trimmed.is_empty() {
            continue;
        }
        // Only a complete value can be judged by its text: the first line may open a document.
        if seen_value && prefilter.is_some_and(|keep| !keep(trimmed)) {
            continue;
        }
        match serde_json::from_slice::<Value>(trimmed) {
            Ok(v) => {
                seen_value = true;
                explode(v, n, sink)?;
            }
            Err(e) if e.is_eof() && !seen_value => {
                // Pretty-printed: hand the text read so far plus the rest to a streaming parser.
                let rest = io::Cursor::new(std::mem::take(&mut line)).chain(r);
                return decode_stream(rest, n, limits, prefilter, sink);
            }
            Err(e) => {
                let message = if std::str::from_utf8(trimmed).is_err() {
                    "not valid UTF-8 JSON".to_string()
                } else {
                    syntax_message(&e)
                };
                sink(Item::Problem(Problem {
                    line: Some(n),
                    message,
                    fatal: false,
                }))?;
            }
        }
    }
}

enum LineRead {
    Line,
    Eof,
    TooLong(usize),
}

/// Reads one line into `buf`, but never more than `max` bytes of it: the rest is skipped.
fn read_line_bounded<R: BufRead>(r: &mut R, buf: &mut Vec<u8>, max: usize) -> io::Result<LineRead> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = r.fill_buf()?;
        if chunk.is_empty() {
            return Ok(if !any {
                LineRead::Eof
            } else if total > max {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
        any = true;
        let (take, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if total + take <= max {
            buf.extend_from_slice(&chunk[..take]);
        } else {
            buf.clear();
        }
        total += take;
        r.consume(take);
        if done {
            return Ok(if total > max {
                LineRead::TooLong(total)
            } else {
                LineRead::Line
            });
        }
    }
}

/// An envelope or a bare value: a CloudTrail `Records` array, a `findings` list, an EventBridge
/// `detail`, or the record itself.
fn explode(v: Value, position: u64, sink: &mut Sink<'_>) -> ControlFlow<()> {
    match v {
        Value::Object(mut o) => {
            for key in ["Records", "findings", "Findings"] {
                if o.get(key).is_some_and(Value::is_array) && !o.contains_key("eventVersion") {
                    if let Some(Value::Array(items)) = o.remove(key) {
                        for (i, item) in items.into_iter().enumerate() {
                            sink(Item::Value(item, position + i as u64))?;
                        }
                    }
                    return ControlFlow::Continue(());
                }
            }
            if o.contains_key("detail-type") && o.get("detail").is_some_and(Value::is_object) {
                if let Some(d) = o.remove("detail") {
                    return sink(Item::Value(d, position));
                }
            }
            sink(Item::Value(Value::Object(o), position))
        }
        Value::Array(items) => {
            for (i, item) in items.into_iter().enumerate() {
                sink(Item::Value(item, position + i as u64))?;
            }
            ControlFlow::Continue(())
        }
        other => sink(Item::Value(other, position)),
    }
}

/// What a JSON syntax error means to a person. serde_json stops at 128 levels of nesting rather
/// than recurse until the stack overflows; hostile logs nest 10 000 deep to find readers that don't.
pub fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    if text.starts_with("recursion limit exceeded") {
        format!("skipped: nested deeper than 128 levels ({text})")
    } else {
        format!("not JSON ({text})")
    }
}

/// Parses one or more JSON documents; envelopes and arrays are walked element by element.
///
/// The decompressed text is read whole first (bounded by the object limit): parsing a slice is
/// several times faster than serde_json's byte-at-a-time reader, and the values still come one
/// element at a time. When the stream breaks, what arrived before is parsed and the break reported.
fn decode_stream<R: Read>(
    mut r: R,
    first_line: u64,
    limits: Limits,
    prefilter: Prefilter<'_>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    // The buffer is kept by the thread for its next object: growing a fresh one to a few
    // megabytes for every object costs more in page faults than the parse (seen in perf).
    thread_local! {
        static TEXT: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
    }
    const KEEP_AT_MOST: usize = 64 << 20;
    let mut text = TEXT.take();
    text.clear();
    let read_error = r.read_to_end(&mut text).err();
    let flow = parse_stream(&text, read_error, first_line, limits, prefilter, sink);
    if text.capacity() <= KEEP_AT_MOST {
        TEXT.set(text);
    }
    flow
}

fn parse_stream(
    text: &[u8],
    read_error: Option<io::Error>,
    first_line: u64,
    limits: Limits,
    prefilter: Prefilter<'_>,
    sink: &mut Sink<'_>,
) -> ControlFlow<()> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let mut broke = false;
    let mut doc: u64 = 0;
    loop {
        // Stop cleanly at the end of the input; anything else is another document.
        let seed = TopSeed {
            max_record: limits.max_record_bytes,
            prefilter,
            sink: &mut *sink,
            broke: &mut broke,
            next: first_line + doc,
        };
        match seed.deserialize(&mut de) {
            Ok(Some(v)) => {
                explode(v, first_line + doc, sink)?;
            }
            Ok(None) => {}
            Err(_) if broke => return ControlFlow::Break(()),
            Err(e) if e.is_eof() && doc > 0 && e.column() == 0 => return ControlFlow::Continue(()),
            Err(e) => {
                let line = first_line + e.line() as u64 - 1;
                if let Some(io) = &read_error {
                    return sink(Item::Problem(io_problem(Some(line), io)));
                }
                let message = if e.is_eof() {
                    "truncated: the JSON ends early".to_string()
                } else if e.is_io() {
                    // Gzip and limit errors arrive through the reader.
                    let text = e.to_string();
                    if text.contains("unexpected end of file") || text.contains("early eof") {
                        "truncated: the compressed stream ends early".to_string()
                    } else {
                        text
                    }
                } else {
                    syntax_message(&e)
                };
                return sink(Item::Problem(Problem {
                    line: Some(line),
                    message,
                    fatal: true,
                }));
            }
        }
        doc += 1;
        // Peek: end of input ends the loop; more text means another document follows.
        match de.end() {
            Ok(()) => {
                return match &read_error {
                    // Everything that arrived parsed, but the stream itself broke.
                    Some(io) => sink(Item::Problem(io_problem(None, io))),
                    None => ControlFlow::Continue(()),
                };
            }
            Err(_) => continue,
        }
    }
}

/// Deserializes one top-level value, streaming the array of an envelope (or a top-level array)
/// to the sink instead of building it. Yields the value when it was not streamed.
struct TopSeed<'s, 'a> {
    max_record: usize,
    prefilter: Prefilter<'s>,
    sink: &'s mut Sink<'a>,
    broke: &'s mut bool,
    next: u64,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_, '_> {
    type Value = Option<Value>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON document")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        let stream = Stream {
            max_record: self.max_record,
            prefilter: self.prefilter,
            sink: self.sink,
            broke: self.broke,
        };
        stream.elements(seq, self.next)?;
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(first) = map.next_key::<String>()? else {
            return Ok(Some(Value::Object(Map::new())));
        };
        if matches!(first.as_str(), "Records" | "findings" | "Findings") {
            let mut streamed = false;
            map.next_value_seed(ArraySeed {
                max_record: self.max_record,
                prefilter: self.prefilter,
                sink: self.sink,
                broke: self.broke,
                next: self.next,
                streamed: &mut streamed,
            })?;
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            return Ok(None);
        }
        let mut o = Map::new();
        o.insert(first, map.next_value()?);
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            o.insert(k, v);
        }
        Ok(Some(Value::Object(o)))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Value::from(v)))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Some(Value::Null))
    }
}

struct ArraySeed<'s, 'a> {
    max_record: usize,
    prefilter: Prefilter<'s>,
    sink: &'s mut Sink<'a>,
    broke: &'s mut bool,
    next: u64,
    streamed: &'s mut bool,
}

impl<'de> DeserializeSeed<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ArraySeed<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        *self.streamed = true;
        let stream = Stream {
            max_record: self.max_record,
            prefilter: self.prefilter,
            sink: self.sink,
            broke: self.broke,
        };
        stream.elements(seq, self.next)
    }
    // `"Records": null` and friends hold no records; accept them quietly.
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// Where an array's elements go, one at a time.
struct Stream<'s, 'a> {
    max_record: usize,
    prefilter: Prefilter<'s>,
    sink: &'s mut Sink<'a>,
    broke: &'s mut bool,
}

impl Stream<'_, '_> {
    fn elements<'de, A: SeqAccess<'de>>(self, mut seq: A, first: u64) -> Result<(), A::Error> {
        let mut i = first;
        loop {
            // Borrowed raw text: judged without allocating, parsed only when it may be wanted.
            let raw = match seq.next_element::<&'de serde_json::value::RawValue>()? {
                None => break,
                Some(raw)
                    if self
                        .prefilter
                        .is_some_and(|keep| !keep(raw.get().as_bytes())) =>
                {
                    i += 1;
                    continue;
                }
                Some(raw) => raw.get(),
            };
            let item = if raw.len() > self.max_record {
                // The same bound as a line of JSON Lines: one element is one record.
                Item::Problem(Problem {
                    line: Some(i),
                    message: format!(
                        "skipped: element of {} bytes is longer than the {} byte limit",
                        raw.len(),
                        self.max_record
                    ),
                    fatal: false,
                })
            } else if raw.starts_with("{\"eventVersion\"") {
                // CloudTrail writes `eventVersion` first; such an element goes to the sink as text.
                Item::CloudTrailText(Box::from(raw), i)
            } else {
                // An element that is not valid JSON (a lone surrogate, a number out of range, too
                // deep) costs that element, as a bad line of JSON Lines does.
                match serde_json::from_str(raw) {
                    Ok(v) => Item::Value(v, i),
                    Err(e) => Item::Problem(Problem {
                        line: Some(i),
                        message: syntax_message(&e),
                        fatal: false,
                    }),
                }
            };
            if (self.sink)(item).is_break() {
                *self.broke = true;
                return Err(serde::de::Error::custom("stopped"));
            }
            i += 1;
        }
        Ok(())
    }
}

/// Decodes a whole Parquet file (held in memory or on disk) row by row into JSON values. A
/// malformed file is a problem, never a panic (see [`crate::parquet_guard`]).
pub fn decode_parquet<R>(input: R, sink: &mut Sink<'_>) -> ControlFlow<()>
where
    R: parquet::file::reader::ChunkReader + 'static,
{
    crate::parquet_guard::guarded(input, sink, decode_parquet_unguarded)
}

fn decode_parquet_unguarded<R>(input: R, sink: &mut Sink<'_>) -> ControlFlow<()>
where
    R: parquet::file::reader::ChunkReader + 'static,
{
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let file_len = input.len();
    let input = match crate::parquet_guard::check_footer(input) {
        Ok(checked) => checked,
        Err(why) => {
            return sink(Item::Problem(Problem {
                line: None,
                message: format!("not a readable Parquet file ({why})"),
                fatal: true,
            }))
        }
    };
    let reader = match SerializedFileReader::new(input) {
        Ok(r) => r,
        Err(e) => {
            return sink(Item::Problem(Problem {
                line: None,
                message: format!("not a readable Parquet file ({e})"),
                fatal: true,
            }))
        }
    };
    if let Err(why) = crate::parquet_guard::check_metadata(reader.metadata(), file_len) {
        return sink(Item::Problem(Problem {
            line: None,
            message: format!("not a readable Parquet file ({why})"),
            fatal: true,
        }));
    }
    let rows = match reader.get_row_iter(None) {
        Ok(r) => r,
        Err(e) => {
            return sink(Item::Problem(Problem {
                line: None,
                message: format!("Parquet schema not readable ({e})"),
                fatal: true,
            }))
        }
    };
    for (i, row) in rows.enumerate() {
        match row {
            Ok(row) => sink(Item::Value(
                crate::parquet_json::row_to_json(&row),
                i as u64 + 1,
            ))?,
            Err(e) => {
                return sink(Item::Problem(Problem {
                    line: Some(i as u64 + 1),
                    message: format!("Parquet row not readable ({e})"),
                    fatal: true,
                }))
            }
        }
    }
    ControlFlow::Continue(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn run(bytes: &[u8]) -> (Vec<(Value, u64)>, Vec<Problem>) {
        let mut values = Vec::new();
        let mut problems = Vec::new();
        let _ = decode_json(bytes, Limits::default(), &mut |item| {
            match item {
                Item::Value(v, n) => values.push((v, n)),
                Item::CloudTrailText(t, n) => values.push((serde_json::from_str(&t).unwrap(), n)),
                Item::Problem(p) => problems.push(p),
            }
            ControlFlow::Continue(())
        });
        (values, problems)
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn json_lines_with_a_bad_line_keep_going() {
        let (v, p) = run(b"{\"a\":1}\nnot json\n\n{\"a\":2}\n");
        assert_eq!(v.iter().map(|x| x.1).collect::<Vec<_>>(), vec![1, 4]);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, Some(2));
        assert!(!p[0].fatal);
    }

    #[test]
    fn envelope_streams_its_records() {
        let (v, p) = run(&gzip(b"{\"Records\":[{\"n\":1},{\"n\":2},{\"n\":3}]}"));
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(v.len(), 3);
        assert_eq!(v[2].0["n"], 3);
    }

    #[test]
    fn pretty_documents_and_arrays() {
        let (v, p) = run(b"{\n  \"class_uid\": 6003,\n  \"x\": [1,\n 2]\n}\n");
        assert!(p.is_empty(), "{p:?}");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].0["x"][1], 2);
        let (v, _) = run(b"[ {\"a\":1}, {\"a\":2} ]");
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn empty_findings_list_is_no_record() {
        let (v, p) = run(b"{\"findings\":[]}\n");
        assert!(v.is_empty());
        assert!(p.is_empty());
    }

    #[test]
    fn truncated_gzip_is_fatal_but_keeps_earlier_lines() {
        let mut text = Vec::new();
        for i in 0..2000 {
            writeln!(text, "{{\"n\":{i},\"pad\":\"{}\"}}", "x".repeat(50 + i % 7)).unwrap();
        }
        let gz = gzip(&text);
        let (v, p) = run(&gz[..gz.len() / 2]);
        assert!(!v.is_empty() && v.len() < 2000);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].fatal);
        assert!(p[0].message.contains("truncated"), "{}", p[0].message);
    }

    #[test]
    fn corrupt_and_empty_and_binary_inputs_say_so() {
        let (_, p) = run(b"");
        assert!(p[0].message.contains("empty"));
        let (_, p) = run(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 1, 2, 3, 4]);
        assert!(p[0].fatal, "{p:?}");
        let (_, p) = run(b"PAR1\0\0\0");
        assert!(p[0].message.contains("Parquet"));
    }

    #[test]
    fn long_lines_are_skipped_with_a_message() {
        let limits = Limits {
            max_object_bytes: 1 << 20,
            max_record_bytes: 32,
        };
        let input = format!(
            "{{\"a\":1}}\n{{\"b\":\"{}\"}}\n{{\"a\":3}}\n",
            "y".repeat(100)
        );
        let mut got = Vec::new();
        let _ = decode_json(input.as_bytes(), limits, &mut |i| {
            got.push(format!("{i:?}"));
            ControlFlow::Continue(())
        });
        assert_eq!(got.len(), 3);
        assert!(
            got[1].contains("longer than the 32 byte limit"),
            "{}",
            got[1]
        );
    }

    #[test]
    fn an_envelope_element_longer_than_a_record_may_be_is_skipped() {
        let limits = Limits {
            max_object_bytes: 1 << 20,
            max_record_bytes: 64,
        };
        let input = format!(
            "{{\"Records\":[{{\"a\":1}},{{\"b\":\"{}\"}},{{\"a\":3}}]}}",
            "y".repeat(100)
        );
        let mut got = Vec::new();
        let _ = decode_json(input.as_bytes(), limits, &mut |i| {
            got.push(format!("{i:?}"));
            ControlFlow::Continue(())
        });
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(
            got[1].contains("element of 108 bytes is longer than the 64 byte limit"),
            "{}",
            got[1]
        );
        assert!(got[2].contains("Value"), "{}", got[2]);
    }

    #[test]
    fn gzip_bomb_is_refused() {
        let zeros = vec![b' '; 4 << 20];
        let limits = Limits {
            max_object_bytes: 1 << 20,
            max_record_bytes: 1 << 20,
        };
        let mut problems = Vec::new();
        let _ = decode_json(&gzip(&zeros)[..], limits, &mut |i| {
            if let Item::Problem(p) = i {
                problems.push(p)
            }
            ControlFlow::Continue(())
        });
        assert!(problems[0].message.contains("refused"), "{problems:?}");
    }
}
