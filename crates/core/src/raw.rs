//! A record's JSON exactly as it was written. While an object is being read each record holds
//! its own text; once the object is read, its records' texts are packed together into one zstd
//! frame (JSON of one object compresses about tenfold, one record alone about twofold), and a
//! record keeps where its text lies in it. A text is unpacked when it is looked at: the record
//! shown, an export, a query that reads past the summary. Unpacked frames are kept a while per
//! thread, so a pass over a list in time order unpacks each object about once.

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Quoted keys whose presence is noted when a text is packed, so that the tests made on every
/// record of a list (does this event hand out credentials?) need not unpack it. Rare ones: most
/// texts are then looked at no further.
const MARKS: [&str; 2] = ["\"credentials\"", "\"accessKey\""];

static MARK_FINDERS: std::sync::LazyLock<[memchr::memmem::Finder<'static>; 2]> =
    std::sync::LazyLock::new(|| MARKS.map(|m| memchr::memmem::Finder::new(m.as_bytes())));

#[derive(Clone)]
pub enum Raw {
    Text(Box<str>),
    Packed {
        frame: Arc<Frame>,
        start: u32,
        len: u32,
        /// Which of `MARKS` the text holds, a bit each.
        marks: u8,
    },
}

/// The packed texts of one object's records.
pub struct Frame {
    /// Tells frames apart in the unpacked cache (an address can be reused once freed).
    id: u64,
    zstd: Box<[u8]>,
    size: usize,
}

impl Default for Raw {
    fn default() -> Raw {
        Raw::Text(Box::from(""))
    }
}

impl From<Box<str>> for Raw {
    fn from(text: Box<str>) -> Raw {
        Raw::Text(text)
    }
}

impl From<String> for Raw {
    fn from(text: String) -> Raw {
        Raw::Text(text.into_boxed_str())
    }
}

impl From<&str> for Raw {
    fn from(text: &str) -> Raw {
        Raw::Text(Box::from(text))
    }
}

impl Raw {
    /// The text's length in bytes.
    pub fn len(&self) -> usize {
        match self {
            Raw::Text(t) => t.len(),
            Raw::Packed { len, .. } => *len as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `f` with the text, unpacking its frame if it is packed.
    pub fn with<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            Raw::Text(t) => f(t),
            Raw::Packed {
                frame, start, len, ..
            } => {
                let whole = unpacked(frame);
                let (start, end) = (*start as usize, (*start + *len) as usize);
                f(&whole[start..end])
            }
        }
    }

    /// The text, borrowed when it is held as text.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            Raw::Text(t) => Cow::Borrowed(t),
            Raw::Packed { .. } => Cow::Owned(self.with(str::to_string)),
        }
    }

    pub fn contains(&self, needle: &str) -> bool {
        if let (Raw::Packed { marks, .. }, Some(bit)) =
            (self, MARKS.iter().position(|m| *m == needle))
        {
            return marks & (1 << bit) != 0;
        }
        self.with(|t| memchr::memmem::find(t.as_bytes(), needle.as_bytes()).is_some())
    }

    /// The memory it holds: its text, or its share of the packed frame.
    pub fn footprint(&self) -> usize {
        match self {
            Raw::Text(t) => t.len(),
            Raw::Packed { frame, len, .. } => {
                (frame.zstd.len() as u64 * u64::from(*len) / frame.size.max(1) as u64) as usize
            }
        }
    }

    pub fn is_packed(&self) -> bool {
        matches!(self, Raw::Packed { .. })
    }
}

impl PartialEq for Raw {
    fn eq(&self, other: &Raw) -> bool {
        self.len() == other.len() && self.with(|a| other.with(|b| a == b))
    }
}

impl PartialEq<str> for Raw {
    fn eq(&self, other: &str) -> bool {
        self.len() == other.len() && self.with(|a| a == other)
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|t| fmt::Debug::fmt(t, f))
    }
}

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with(|t| f.write_str(t))
    }
}

/// Packs the texts given into one frame. Texts already packed, and a set too large for a frame's
/// offsets, are left as they are; so is a set whose frame would not be smaller.
pub fn pack<'a>(raws: impl IntoIterator<Item = &'a mut Raw>) {
    let mut raws: Vec<&mut Raw> = raws.into_iter().filter(|r| !r.is_packed()).collect();
    let size: usize = raws.iter().map(|r| r.len()).sum();
    if raws.is_empty() || size > u32::MAX as usize {
        return;
    }
    let mut whole = String::with_capacity(size);
    for r in &raws {
        r.with(|t| whole.push_str(t));
    }
    // Level 1: about as fast as the text is read, and most of the gain.
    let Ok(zstd) = zstd::bulk::compress(whole.as_bytes(), 1) else {
        return;
    };
    if zstd.len() >= size {
        return;
    }
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let frame = Arc::new(Frame {
        id: NEXT.fetch_add(1, Ordering::Relaxed),
        zstd: zstd.into_boxed_slice(),
        size,
    });
    let mut start = 0u32;
    for r in raws.iter_mut() {
        let len = r.len() as u32;
        let marks = r.with(|t| {
            MARK_FINDERS.iter().enumerate().fold(0u8, |m, (i, k)| {
                if k.find(t.as_bytes()).is_some() {
                    m | 1 << i
                } else {
                    m
                }
            })
        });
        **r = Raw::Packed {
            frame: frame.clone(),
            start,
            len,
            marks,
        };
        start += len;
    }
}

/// Frames unpacked lately on this thread, and their total size.
struct Unpacked {
    /// Frame id → its text and when it was last used.
    frames: rustc_hash::FxHashMap<u64, (Arc<String>, u64)>,
    /// The frame used last: a pass over one object's records asks for it again and again.
    last: Option<(u64, Arc<String>)>,
    bytes: usize,
    clock: u64,
}

/// What each thread keeps unpacked: enough for the few hundred objects a time-ordered list of an
/// organization's day interleaves.
const UNPACKED_BYTES: usize = 96 << 20;

thread_local! {
    static UNPACKED: RefCell<Option<Unpacked>> = const { RefCell::new(None) };
    /// Made once per thread: a decompression context costs about as much to make as a frame
    /// costs to unpack.
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

fn unpacked(frame: &Frame) -> Arc<String> {
    let found = UNPACKED.with(|u| {
        let mut u = u.borrow_mut();
        let u = u.get_or_insert_with(|| Unpacked {
            frames: Default::default(),
            last: None,
            bytes: 0,
            clock: 0,
        });
        if let Some((id, text)) = &u.last {
            if *id == frame.id {
                return Some(text.clone());
            }
        }
        u.clock += 1;
        let clock = u.clock;
        let text = u.frames.get_mut(&frame.id).map(|f| {
            f.1 = clock;
            f.0.clone()
        })?;
        u.last = Some((frame.id, text.clone()));
        Some(text)
    });
    if let Some(text) = found {
        return text;
    }
    // The frame was made from valid text by `pack`: anything else is memory corrupted.
    let mut bytes = Vec::with_capacity(frame.size);
    DECOMPRESSOR
        .with(|d| {
            let mut d = d.borrow_mut();
            match d.as_mut() {
                Some(d) => d.decompress_to_buffer(&frame.zstd, &mut bytes),
                None => {
                    let made = zstd::bulk::Decompressor::new()?;
                    d.insert(made).decompress_to_buffer(&frame.zstd, &mut bytes)
                }
            }
        })
        .expect("a packed frame unpacks");
    let text = Arc::new(String::from_utf8(bytes).expect("a packed frame is text"));
    UNPACKED.with(|u| {
        let mut u = u.borrow_mut();
        let Some(u) = u.as_mut() else { return };
        while u.bytes + frame.size > UNPACKED_BYTES && !u.frames.is_empty() {
            let oldest = u.frames.iter().min_by_key(|(_, f)| f.1).map(|(id, _)| *id);
            if let Some((gone, _)) = oldest.and_then(|id| u.frames.remove(&id)) {
                u.bytes -= gone.len();
            }
        }
        if frame.size <= UNPACKED_BYTES {
            u.bytes += frame.size;
            u.frames.insert(frame.id, (text.clone(), u.clock));
        }
        u.last = Some((frame.id, text.clone()));
    });
    text
}

#[cfg(test)]
mod tests {
    use super::{pack, Raw};

    #[test]
    fn packed_texts_read_as_they_were_written() {
        let texts: Vec<String> = (0..500)
            .map(|i| {
                format!(
                    r#"{{"eventName":"GetObject","n":{i},"text":"é{}x"}}"#,
                    '\u{1b}'
                )
            })
            .collect();
        let mut raws: Vec<Raw> = texts.iter().map(|t| Raw::from(t.as_str())).collect();
        pack(raws.iter_mut());
        assert!(raws.iter().all(Raw::is_packed));
        for (raw, text) in raws.iter().zip(&texts) {
            assert_eq!(raw.text(), text.as_str());
            assert_eq!(raw.len(), text.len());
            assert!(raw.contains("\"n\":"));
        }
        let held: usize = raws.iter().map(Raw::footprint).sum();
        let written: usize = texts.iter().map(String::len).sum();
        assert!(
            held * 5 < written,
            "{held} bytes held for {written} written"
        );
    }

    #[test]
    fn the_marked_keys_are_known_without_unpacking() {
        let mut raws = [
            Raw::from(r#"{"responseElements":{"credentials":{"accessKeyId":"ASIA1"}}}"#),
            Raw::from(r#"{"responseElements":null,"x":"credentials-free"}"#),
        ];
        let before: Vec<bool> = raws.iter().map(|r| r.contains("\"credentials\"")).collect();
        pack(raws.iter_mut());
        // Too small to gain: left as text, and answered the same.
        let after: Vec<bool> = raws.iter().map(|r| r.contains("\"credentials\"")).collect();
        assert_eq!(before, vec![true, false]);
        assert_eq!(before, after);
        let mut many: Vec<Raw> = (0..50)
            .flat_map(|_| raws.iter().cloned())
            .map(|r| Raw::from(r.text().into_owned()))
            .collect();
        pack(many.iter_mut());
        assert!(many.iter().all(Raw::is_packed));
        let marked: Vec<bool> = many.iter().map(|r| r.contains("\"credentials\"")).collect();
        assert_eq!(marked, before.repeat(50));
        assert!(many[0].contains("\"responseElements\""));
        assert!(!many[1].contains("\"accessKey\""));
        assert!(
            many[1].contains("\"responseElements\""),
            "an unmarked key is looked for"
        );
    }

    #[test]
    fn texts_of_several_frames_unpack_in_any_order() {
        let mut sets: Vec<Vec<Raw>> = (0..3)
            .map(|s| {
                (0..2000)
                    .map(|i| {
                        Raw::from(format!(
                            r#"{{"set":{s},"i":{i},"pad":"{}"}}"#,
                            "a".repeat(40)
                        ))
                    })
                    .collect()
            })
            .collect();
        for set in &mut sets {
            pack(set.iter_mut());
        }
        for round in 0..2 {
            for (s, set) in sets.iter().enumerate() {
                assert!(set[1999 - round].text().contains(&format!(r#""set":{s},"#)));
            }
        }
        assert_eq!(sets[0][0], sets[0][0].clone());
        assert!(sets[0][0] != sets[1][0]);
    }
}
