//! Opening import inputs (file or stdin, plain, gzip or zstd) and reading bounded lines.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A line longer than this is skipped, not buffered: no record is this large.
pub const MAX_LINE: usize = 4 * 1024 * 1024;

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// An opened input: its lines, and for files how far through the file reading has got.
pub struct Input {
    pub reader: Box<dyn BufRead + Send>,
    pub meter: Option<Arc<Meter>>,
}

/// Bytes of a file read so far (before decompression), against its size.
pub struct Meter {
    size: u64,
    read: AtomicU64,
}

impl Meter {
    /// The part of the file read, from 0 to 1.
    pub fn fraction(&self) -> f64 {
        self.read.load(Ordering::Relaxed) as f64 / self.size.max(1) as f64
    }
}

struct Metered<R> {
    inner: R,
    meter: Arc<Meter>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path` (`-` for stdin), decompressing gzip or zstd when the content says so.
pub fn open(path: &str) -> io::Result<Input> {
    let mut meter = None;
    let raw: Box<dyn Read + Send> = if path == "-" {
        Box::new(io::stdin())
    } else {
        let file = File::open(Path::new(path))
            .map_err(|e| io::Error::new(e.kind(), format!("cannot open {path}: {e}")))?;
        let metadata = file.metadata()?;
        if metadata.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::IsADirectory,
                format!("cannot read {path}: it is a directory; give a file (or - for stdin)"),
            ));
        }
        let m = Arc::new(Meter {
            size: metadata.len(),
            read: AtomicU64::new(0),
        });
        meter = Some(m.clone());
        Box::new(Metered {
            inner: file,
            meter: m,
        })
    };
    let mut reader = BufReader::with_capacity(256 * 1024, raw);
    let head = reader
        .fill_buf()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot read {path}: {e}")))?;
    let reader: Box<dyn BufRead + Send> = if head.starts_with(GZIP_MAGIC) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::read::MultiGzDecoder::new(reader),
        ))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(BufReader::with_capacity(
            256 * 1024,
            zstd::stream::read::Decoder::with_buffer(reader)?,
        ))
    } else {
        Box::new(reader)
    };
    Ok(Input { reader, meter })
}

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// The bytes of the line, without its line ending.
    Text,
    /// The line was longer than the limit; its bytes were read and dropped.
    TooLong(usize),
}

/// Reads the next line into `buf` (cleared first), never holding more than `max` bytes.
/// `Ok(None)` at the end of input.
pub fn read_line(
    reader: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    max: usize,
) -> io::Result<Option<Line>> {
    buf.clear();
    let mut total = 0usize;
    loop {
        let chunk = match reader.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((total > 0).then(|| finish(buf, total, max)));
        }
        let (take, end) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        if total + take <= max + 1 {
            buf.extend_from_slice(&chunk[..take]);
        }
        total += take;
        reader.consume(take);
        if end {
            return Ok(Some(finish(buf, total, max)));
        }
    }
}

/// A UTF-8 byte order mark, which some editors put at the start of a text file.
const BOM: &[u8] = &[0xef, 0xbb, 0xbf];

/// Drops a byte order mark from the start of the first line.
pub fn strip_bom(buf: &mut Vec<u8>) {
    if buf.starts_with(BOM) {
        buf.drain(..BOM.len());
    }
}

fn finish(buf: &mut Vec<u8>, total: usize, max: usize) -> Line {
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    if total > max + 1 {
        buf.clear();
        Line::TooLong(total)
    } else {
        Line::Text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize) -> Vec<(Option<Line>, Vec<u8>)> {
        let mut r: &[u8] = input;
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let line = read_line(&mut r, &mut buf, max).unwrap();
            let end = line.is_none();
            out.push((line, buf.clone()));
            if end {
                return out;
            }
        }
    }

    #[test]
    fn splits_lines_and_drops_overlong_ones() {
        let got = lines(b"ab\r\n0123456789\nlast", 4);
        assert_eq!(got[0], (Some(Line::Text), b"ab".to_vec()));
        assert_eq!(got[1], (Some(Line::TooLong(11)), vec![]));
        assert_eq!(got[2], (Some(Line::Text), b"last".to_vec()));
        assert_eq!(got[3].0, None);
    }

    #[test]
    fn a_byte_order_mark_is_dropped_once() {
        let mut line = b"\xef\xbb\xbf{\"id\":1}".to_vec();
        strip_bom(&mut line);
        assert_eq!(line, b"{\"id\":1}");
        strip_bom(&mut line);
        assert_eq!(line, b"{\"id\":1}");
    }
}
