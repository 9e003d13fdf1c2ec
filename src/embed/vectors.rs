//! Paper vectors kept durably in an append-only file beside the search index, one file per
//! model, and in memory for reranking and related papers.
//!
//! Like the index, the vectors are derived from the database and follow its change
//! sequence: the highest `seq` in the file is the watermark, and a changed paper is appended
//! again (the later record wins). Each record is written whole and synced per batch; a torn
//! record at the end (a crash mid-write) is cut off on open. The header records the model,
//! the dimension and the database id, so another model or another database starts afresh
//! instead of mixing vectors.

use super::ann::Ivf;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"PVECS01\n";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Header {
    model: String,
    dim: usize,
    database_id: String,
}

/// The vectors of one model, in memory, quantised to 8 bits: each vector is stored as
/// `dim` signed bytes and one scale (its largest magnitude / 127), a quarter of the f32
/// size. The file keeps the exact floats.
#[derive(Debug, Default)]
pub struct VectorSet {
    dim: usize,
    ids: Vec<String>,
    rows: HashMap<String, usize>,
    codes: Vec<i8>,
    scales: Vec<f32>,
    watermark: i64,
    /// The approximate index related papers use, once built (large sets only).
    pub(super) ann: Option<Ivf>,
    /// An index being built: kept in step like `ann` until it replaces it.
    pub(super) staged: Option<Ivf>,
}

impl VectorSet {
    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The highest change sequence number embedded.
    pub fn watermark(&self) -> i64 {
        self.watermark
    }

    /// The (dequantised) vector of `id`.
    pub fn get(&self, id: &str) -> Option<Vec<f32>> {
        let row = *self.rows.get(id)?;
        let scale = self.scales[row];
        Some(
            self.codes(row)
                .iter()
                .map(|&c| f32::from(c) * scale)
                .collect(),
        )
    }

    /// The cosine of `probe` (a unit vector of length `dim`) with the vector of `id`.
    pub fn cosine(&self, id: &str, probe: &[f32]) -> Option<f32> {
        let row = *self.rows.get(id)?;
        Some(super::dot_codes(probe, self.codes(row)) * self.scales[row])
    }

    fn codes(&self, row: usize) -> &[i8] {
        &self.codes[row * self.dim..(row + 1) * self.dim]
    }

    /// The 8-bit codes of row `row`.
    pub(super) fn row_codes(&self, row: usize) -> &[i8] {
        self.codes(row)
    }

    /// The scale of row `row`.
    pub(super) fn row_scale(&self, row: usize) -> f32 {
        self.scales[row]
    }

    /// The approximate index, when there is one.
    pub fn ann(&self) -> Option<&Ivf> {
        self.ann.as_ref()
    }

    /// Sets how many clusters the approximate index looks in (for measuring recall).
    pub fn set_ann_probes(&mut self, probes: usize) {
        if let Some(ann) = &mut self.ann {
            ann.set_probes(probes);
        }
    }

    /// Adds or replaces the vector of `id`.
    pub fn insert(&mut self, id: &str, seq: i64, vector: &[f32]) {
        debug_assert_eq!(vector.len(), self.dim);
        let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
        let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
        let codes = vector.iter().map(|x| (x / scale).round() as i8);
        let row = match self.rows.get(id) {
            Some(&row) => {
                let dim = self.dim;
                self.codes[row * dim..(row + 1) * dim]
                    .iter_mut()
                    .zip(codes)
                    .for_each(|(c, q)| *c = q);
                self.scales[row] = scale;
                row
            }
            None => {
                self.rows.insert(id.to_string(), self.ids.len());
                self.ids.push(id.to_string());
                self.codes.extend(codes);
                self.scales.push(scale);
                self.ids.len() - 1
            }
        };
        let codes = &self.codes[row * self.dim..(row + 1) * self.dim];
        for index in [&mut self.ann, &mut self.staged].into_iter().flatten() {
            index.place(row, codes, scale);
        }
        self.watermark = self.watermark.max(seq);
    }

    /// The id of row `row` (rows are in the order papers were first embedded).
    pub fn id(&self, row: usize) -> &str {
        &self.ids[row]
    }

    /// The cosine of `probe` with every stored vector, row by row, into `scores`.
    pub fn cosines(&self, probe: &[f32], scores: &mut [f32]) {
        super::kernels::dots(probe, &self.codes, &self.scales, scores);
    }

    /// The cosine of `probe` with the vectors of `rows`, into `scores`.
    pub fn cosines_of(&self, probe: &[f32], rows: &[u32], scores: &mut [f32]) {
        super::kernels::dots_rows(probe, &self.codes, &self.scales, rows, scores);
    }

    /// An empty set of vectors of length `dim`.
    pub fn new(dim: usize) -> Self {
        VectorSet {
            dim,
            ..VectorSet::default()
        }
    }

    /// Bytes the vectors take in memory (codes and scales; not the ids).
    pub fn vector_bytes(&self) -> usize {
        self.codes.len() + self.scales.len() * 4
    }
}

/// The file of one model's vectors, opened for appending.
pub struct VectorFile {
    path: PathBuf,
    file: File,
}

impl VectorFile {
    /// Opens (or starts) the file for `model` under `dir` and reads it into memory. A file
    /// of another dimension or database is replaced.
    pub fn open(
        dir: &Path,
        model: &str,
        dim: usize,
        database_id: &str,
    ) -> anyhow::Result<(Self, VectorSet)> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let path = dir.join(format!("{}.vec", file_stem(model)));
        let header = Header {
            model: model.to_string(),
            dim,
            database_id: database_id.to_string(),
        };
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        file.try_lock().map_err(|_| {
            anyhow::anyhow!(
                "{} is in use by another papers process (a running server embeds new papers itself)",
                path.display()
            )
        })?;
        let set = match read_all(&mut file, &header) {
            Ok((set, good_len)) => {
                file.set_len(good_len)?;
                set
            }
            Err(e) => {
                if file.metadata()?.len() > 0 {
                    tracing::info!(file = %path.display(), reason = %e, "starting the vectors afresh");
                }
                file.set_len(0)?;
                let head = serde_json::to_vec(&header)?;
                file.write_all(MAGIC)?;
                file.write_all(&(head.len() as u32).to_le_bytes())?;
                file.write_all(&head)?;
                file.sync_data()?;
                VectorSet::new(dim)
            }
        };
        Ok((VectorFile { path, file }, set))
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one batch and syncs it to disk.
    pub fn append(&mut self, batch: &[(String, i64, Vec<f32>)]) -> anyhow::Result<()> {
        let mut buf = Vec::new();
        for (id, seq, vector) in batch {
            buf.extend_from_slice(&(id.len() as u32).to_le_bytes());
            buf.extend_from_slice(id.as_bytes());
            buf.extend_from_slice(&seq.to_le_bytes());
            for x in vector {
                buf.extend_from_slice(&x.to_le_bytes());
            }
        }
        self.file
            .write_all(&buf)
            .and_then(|()| self.file.sync_data())
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

/// The vector length recorded in the file of `model` under `dir`, if there is one.
pub fn stored_dim(dir: &Path, model: &str) -> Option<usize> {
    let mut r = BufReader::new(File::open(dir.join(format!("{}.vec", file_stem(model)))).ok()?);
    read_header(&mut r).ok().map(|(h, _)| h.dim)
}

/// The file's stem for a model name: letters, digits, `-`, `_` and `.` kept.
fn file_stem(model: &str) -> String {
    model
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Reads a whole file written for `expected`; returns the vectors and the length of its
/// complete records.
fn read_all(file: &mut File, expected: &Header) -> anyhow::Result<(VectorSet, u64)> {
    file.seek(SeekFrom::Start(0))?;
    let mut r = BufReader::new(&mut *file);
    let (header, head_len) = read_header(&mut r)?;
    if &header != expected {
        bail!("written for {header:?}");
    }
    let mut set = VectorSet::new(header.dim);
    let mut good = (8 + 4 + head_len) as u64;
    let mut vector = vec![0f32; header.dim];
    let mut raw = vec![0u8; header.dim * 4];
    while let Ok(id_len) = read_u32(&mut r) {
        let mut id = vec![0; id_len as usize];
        let mut seq = [0u8; 8];
        if r.read_exact(&mut id).is_err()
            || r.read_exact(&mut seq).is_err()
            || r.read_exact(&mut raw).is_err()
        {
            break;
        }
        for (x, b) in vector.iter_mut().zip(raw.chunks_exact(4)) {
            *x = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        let id = String::from_utf8(id).context("corrupt id")?;
        set.insert(&id, i64::from_le_bytes(seq), &vector);
        good += (4 + id_len as usize + 8 + raw.len()) as u64;
    }
    Ok((set, good))
}

/// The header at the start of a file, and its length in bytes.
fn read_header(r: &mut impl Read) -> anyhow::Result<(Header, usize)> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic != MAGIC {
        bail!("not a vectors file");
    }
    let head_len = read_u32(r)? as usize;
    let mut head = vec![0; head_len];
    r.read_exact(&mut head)?;
    Ok((serde_json::from_slice(&head)?, head_len))
}

fn read_u32(r: &mut impl Read) -> std::io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

#[cfg(test)]
mod tests {
    use super::VectorSet;

    #[test]
    fn eight_bit_vectors_keep_cosines_to_three_decimals() {
        let dim = 384;
        let unit = |seed: f32| {
            let v: Vec<f32> = (0..dim).map(|i| (i as f32 * 0.61 + seed).sin()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
        };
        let mut set = VectorSet::new(dim);
        let (a, b) = (unit(0.3), unit(1.7));
        set.insert("a", 1, &a);
        set.insert("b", 2, &b);
        let exact = crate::embed::dot(&a, &b);
        let ours = set.cosine("b", &a).unwrap();
        assert!((ours - exact).abs() < 1e-3, "{ours} against {exact}");
        assert!((set.cosine("a", &a).unwrap() - 1.0).abs() < 1e-3);
        let back = set.get("a").unwrap();
        assert!(
            back.iter()
                .zip(&a)
                .all(|(x, y)| (x - y).abs() < 0.5 / 127.0)
        );
        // Replacing a vector replaces its codes and scale.
        set.insert("a", 3, &b);
        assert!((set.cosine("a", &b).unwrap() - 1.0).abs() < 1e-3);
        assert_eq!(
            (set.len(), set.watermark(), set.vector_bytes()),
            (2, 3, 2 * (dim + 4))
        );
        let mut scores = vec![0.0; 2];
        set.cosines(&b, &mut scores);
        assert!(scores.iter().all(|s| (s - 1.0).abs() < 1e-3), "{scores:?}");
    }
}
