//! [`Tee`]: the raw bytes of each CSV record and the line it starts on,
//! which the `csv` crate does not give (its positions sit one line early
//! after a CRLF, and it never says a quote was left open).

use std::io::Read;

/// The longest CSV record read (one turn): past it, the record is refused
/// rather than held, so a quote left open in a large file cannot fill memory.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// A reader that keeps a copy of what it has passed on since the last
/// [`Tee::record`], so each record's raw bytes can be looked at.
pub struct Tee<R> {
    pub(super) inner: R,
    kept: Vec<u8>,
    /// Offset in the stream of `kept[0]`.
    base: u64,
    /// Line feeds before `kept[0]`.
    newlines: u64,
    /// Where the last record handed out ended (the next one starts there).
    next_start: u64,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.kept.len() > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(format!(
                "a record longer than {} MiB (a quote left open?)",
                MAX_RECORD_BYTES / (1024 * 1024)
            )));
        }
        let n = self.inner.read(buf)?;
        self.kept.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

fn line_feeds(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

impl<R> Tee<R> {
    /// Keeps what `inner` passes on.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            kept: Vec::new(),
            base: 0,
            newlines: 0,
            next_start: 0,
        }
    }

    /// The line (from 1) of the record being read now.
    pub fn kept_line(&self) -> u64 {
        self.line_at(self.next_start)
    }

    /// The line (from 1) of the record starting at stream offset `byte`.
    ///
    /// Counted here rather than taken from the `csv` crate, whose record
    /// positions sit before the `\n` of a CRLF terminator (one line early).
    pub fn line_at(&self, byte: u64) -> u64 {
        let at = (byte.saturating_sub(self.base) as usize).min(self.kept.len());
        let before = line_feeds(&self.kept[..at]);
        let terminator = self.kept[at..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .filter(|b| **b == b'\n')
            .count() as u64;
        self.newlines + before + terminator + 1
    }

    /// The bytes from `from` up to `to` (stream offsets), dropping all before `from`.
    pub fn record(&mut self, from: u64, to: u64) -> &[u8] {
        self.next_start = to;
        let end = (to.saturating_sub(self.base) as usize).min(self.kept.len());
        let start = (from.saturating_sub(self.base) as usize).min(end);
        // Everything before `start` is an earlier record's: drop it now.
        self.newlines += line_feeds(&self.kept[..start]);
        self.kept.drain(..start);
        self.base += start as u64;
        &self.kept[..end - start]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_past_the_bound_is_an_error_not_memory() {
        let big = vec![b'x'; MAX_RECORD_BYTES + 2 * 8192];
        let mut tee = Tee::new(&big[..]);
        let mut buf = [0u8; 8192];
        let err = loop {
            match tee.read(&mut buf) {
                Ok(0) => panic!("read to the end"),
                Ok(_) => {}
                Err(e) => break e,
            }
        };
        assert!(err.to_string().contains("quote left open"), "{err}");
        assert_eq!(tee.kept_line(), 1);
    }

    #[test]
    fn lines_are_counted_past_crlf_terminators() {
        let mut tee = Tee::new(&b"a\r\nb\r\n\"c\nd\"\r\n"[..]);
        let mut all = Vec::new();
        tee.read_to_end(&mut all).unwrap();
        assert_eq!(tee.line_at(0), 1);
        // The csv crate puts the second record at the `\n` of the first's CRLF.
        assert_eq!(tee.line_at(2), 2);
        assert_eq!(tee.record(2, 6), b"\nb\r\n");
        assert_eq!(tee.line_at(7), 3);
        assert_eq!(tee.record(6, 15), b"\"c\nd\"\r\n");
    }
}
