//! An S3 object's body while it streams, with its failures put in words: a reset connection or a
//! stalled body is named as such, with how much had arrived, instead of the SDK's bare
//! "streaming error". The decoder turns the error into a warning that names the object.

use std::error::Error;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, ReadBuf};

pub struct Described<R> {
    inner: R,
    read: u64,
}

impl<R> Described<R> {
    pub fn new(inner: R) -> Self {
        Described { inner, read: 0 }
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for Described<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                self.read += (buf.filled().len() - before) as u64;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(describe(&e, self.read))),
            Poll::Pending => Poll::Pending,
        }
    }
}

fn describe(e: &io::Error, read: u64) -> io::Error {
    let chain = error_chain(e);
    let what = if chain.contains("throughput") || chain.contains("stalled") {
        format!("stalled: the body stopped arriving for longer than --timeout after {read} bytes ({chain})")
    } else {
        format!("connection lost after {read} bytes of the body ({chain})")
    };
    io::Error::new(e.kind(), what)
}

/// An error and its sources, each said once: SDK errors wrap the same words several times, and
/// their `Debug` forms (which `DisplayErrorContext` appends) are no message for a person.
pub fn error_chain(e: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(e);
    while let Some(err) = next {
        let text = err.to_string();
        if !parts.last().is_some_and(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = err.source();
    }
    parts.join(": ")
}
