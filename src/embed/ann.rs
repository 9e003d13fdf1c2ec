//! Approximate related papers: an inverted file (IVF) over the 8-bit codes the vector set
//! already holds, so a probe is compared with the vectors of its nearest clusters only.
//!
//! The index is k-means centroids (spherical: unit length, trained on a sample of the
//! codes) and, for each centroid, the rows nearest to it: 16 bytes a vector, no second copy
//! of the vectors. Every vector inserted or replaced in the set is placed in its list at
//! once, so the index never lags the set. Building runs beside the exact scan, which answers
//! until the index is complete; the index is saved beside the vectors file (`<model>.ivf`)
//! with a digest of each row's codes, so a restart re-places only the rows that changed.
//! See docs/embeddings.md for why this and not an HNSW crate.

use super::kernels;
use super::vectors::VectorSet;
use rayon::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::Instant;

/// When related papers use the approximate index, and how widely it looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnnOptions {
    /// Vectors below which no index is built and related papers scan them all.
    pub min_vectors: usize,
    /// Lists (clusters) whose vectors a probe is compared with.
    pub probes: usize,
}

impl Default for AnnOptions {
    fn default() -> Self {
        AnnOptions {
            min_vectors: 200_000,
            probes: 16,
        }
    }
}

/// The index could not be read or saved.
#[derive(Debug, thiserror::Error)]
pub enum AnnError {
    #[error("cannot {action} {}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not an index of these vectors ({reason})", path.display())]
    Foreign { path: PathBuf, reason: &'static str },
}

/// A row not placed in any list yet.
const UNASSIGNED: u32 = u32::MAX;
/// k-means rounds when training the centroids.
const ROUNDS: usize = 8;
/// Training vectors per centroid.
const SAMPLE_PER_LIST: usize = 48;
/// Rows placed per turn of the read and write locks while building.
const CHUNK: usize = 8_192;
/// Rows checked against a saved index before trusting its centroids.
const CHECKED: usize = 1_000;

const MAGIC: &[u8; 8] = b"PIVF01\n\0";

/// The inverted file: centroids and the rows nearest to each.
#[derive(Debug, Clone)]
pub struct Ivf {
    dim: usize,
    centroids: Vec<f32>,
    lists: Vec<Vec<u32>>,
    list_of: Vec<u32>,
    digests: Vec<u64>,
    /// Rows of the set not placed yet (only while building).
    pending: usize,
    /// Vectors in the set when the centroids were trained.
    trained_on: usize,
    probes: usize,
}

impl Ivf {
    fn new(dim: usize, centroids: Vec<f32>, rows: usize, trained_on: usize, probes: usize) -> Self {
        let lists = centroids.len() / dim;
        Ivf {
            dim,
            centroids,
            lists: vec![Vec::new(); lists],
            list_of: vec![UNASSIGNED; rows],
            digests: vec![0; rows],
            pending: rows,
            trained_on,
            probes: probes.max(1),
        }
    }

    /// Number of lists (centroids).
    pub fn lists(&self) -> usize {
        self.lists.len()
    }

    pub(super) fn set_probes(&mut self, probes: usize) {
        self.probes = probes.max(1);
    }

    /// Bytes the index takes in memory beside the vectors.
    pub fn bytes(&self) -> usize {
        self.centroids.len() * 4
            + self.list_of.len() * (4 + 8)
            + self.lists.iter().map(|l| l.capacity() * 4).sum::<usize>()
    }

    /// Puts `row` in `list`, taking it out of its previous one.
    fn put(&mut self, row: usize, list: u32, digest: u64) {
        if row >= self.list_of.len() {
            self.pending += row + 1 - self.list_of.len();
            self.list_of.resize(row + 1, UNASSIGNED);
            self.digests.resize(row + 1, 0);
        }
        let old = self.list_of[row];
        if old == UNASSIGNED {
            self.pending -= 1;
        } else if old != list {
            let members = &mut self.lists[old as usize];
            if let Some(i) = members.iter().position(|&r| r as usize == row) {
                members.swap_remove(i);
            }
        }
        if old != list {
            self.lists[list as usize].push(row as u32);
        }
        self.list_of[row] = list;
        self.digests[row] = digest;
    }

    /// Places a vector just inserted or replaced in the set.
    pub(super) fn place(&mut self, row: usize, codes: &[i8], scale: f32) {
        let list = nearest_list(&self.centroids, codes, &mut Vec::new());
        self.put(row, list, digest(codes, scale));
    }

    /// The rows of the lists whose centroids are nearest to `probe`.
    pub(super) fn candidates(&self, probe: &[f32]) -> Vec<u32> {
        let mut near: Vec<(f32, usize)> = self
            .centroids
            .chunks_exact(self.dim)
            .map(|c| super::dot(c, probe))
            .zip(0..)
            .collect();
        let probes = self.probes.min(near.len());
        if probes < near.len() {
            near.select_nth_unstable_by(probes - 1, |a, b| b.0.total_cmp(&a.0));
        }
        near[..probes]
            .iter()
            .flat_map(|&(_, list)| self.lists[list].iter().copied())
            .collect()
    }

    /// The index as saved: header, centroids, each row's list and digest.
    fn encode(&self) -> Vec<u8> {
        let rows = self.list_of.len();
        let mut out = Vec::with_capacity(40 + self.centroids.len() * 4 + rows * 12);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.dim as u64).to_le_bytes());
        out.extend_from_slice(&(self.lists() as u64).to_le_bytes());
        out.extend_from_slice(&(rows as u64).to_le_bytes());
        out.extend_from_slice(&(self.trained_on as u64).to_le_bytes());
        self.centroids
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        self.list_of
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        self.digests
            .iter()
            .for_each(|x| out.extend_from_slice(&x.to_le_bytes()));
        out
    }
}

/// An index read back from its file: where each row was, and the digest it had then.
struct Saved {
    centroids: Vec<f32>,
    list_of: Vec<u32>,
    digests: Vec<u64>,
    trained_on: usize,
}

fn decode(bytes: &[u8], dim: usize, path: &Path) -> Result<Saved, AnnError> {
    let foreign = |reason| AnnError::Foreign {
        path: path.to_path_buf(),
        reason,
    };
    let word = |i: usize| {
        bytes
            .get(8 + i * 8..16 + i * 8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
    };
    if bytes.get(..8) != Some(MAGIC.as_slice()) {
        return Err(foreign("not an index file"));
    }
    let (Some(saved_dim), Some(lists), Some(rows), Some(trained_on)) =
        (word(0), word(1), word(2), word(3))
    else {
        return Err(foreign("cut short"));
    };
    if saved_dim != dim {
        return Err(foreign("another vector length"));
    }
    let body = &bytes[40..];
    let centroid_bytes = lists.checked_mul(dim * 4).ok_or(foreign("corrupt"))?;
    if lists == 0 || body.len() != centroid_bytes + rows * 12 {
        return Err(foreign("cut short"));
    }
    let (centroids, rest) = body.split_at(centroid_bytes);
    let (list_of, digests) = rest.split_at(rows * 4);
    let list_of: Vec<u32> = list_of
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
        .collect();
    if list_of.iter().any(|&l| l as usize >= lists) {
        return Err(foreign("corrupt"));
    }
    Ok(Saved {
        centroids: centroids
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect(),
        list_of,
        digests: digests
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect(),
        trained_on,
    })
}

/// The index of `path`, if there is one.
fn read_saved(path: &Path, dim: usize) -> Result<Option<Saved>, AnnError> {
    match std::fs::read(path) {
        Ok(bytes) => decode(&bytes, dim, path).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(AnnError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Writes `bytes` to `path` whole or not at all (a temporary file renamed over it).
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), AnnError> {
    let tmp = path.with_extension("ivf.tmp");
    let io = |action, source| AnnError::Io {
        action,
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::create(&tmp).map_err(|e| io("write", e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_data())
        .map_err(|e| io("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| io("replace", e))
}

/// A fingerprint of a row's codes and scale: a saved row whose digest still matches keeps
/// its list on load.
fn digest(codes: &[i8], scale: f32) -> u64 {
    let mut h = u64::from(scale.to_bits()) ^ 0x9E37_79B9_7F4A_7C15;
    for chunk in codes.chunks(8) {
        let mut word = [0u8; 8];
        for (w, &c) in word.iter_mut().zip(chunk) {
            *w = c.to_le_bytes()[0];
        }
        h = (h ^ u64::from_le_bytes(word))
            .wrapping_mul(0x0000_0100_0000_01B3)
            .rotate_left(29);
    }
    h
}

/// The centroid (row of `centroids`) with the largest dot product with `codes`.
fn nearest_list(centroids: &[f32], codes: &[i8], scores: &mut Vec<f32>) -> u32 {
    scores.resize(centroids.len() / codes.len(), 0.0);
    kernels::dots_with_codes(centroids, codes, scores);
    let mut best = 0;
    for (i, s) in scores.iter().enumerate() {
        if *s > scores[best] {
            best = i;
        }
    }
    best as u32
}

/// Lists for `n` vectors: about √n, so a list holds about √n vectors.
fn lists_for(n: usize) -> usize {
    ((n as f64).sqrt().round() as usize).max(1)
}

/// Spherical k-means over `sample` (8-bit rows of `dim` with their `scales`): `lists` unit
/// centroids.
fn train(sample: &[i8], scales: &[f32], dim: usize, lists: usize) -> Vec<f32> {
    let n = scales.len();
    let row = |i: usize| &sample[i * dim..(i + 1) * dim];
    let mut centroids = vec![0f32; lists * dim];
    let seed = |centroids: &mut [f32], list: usize, i: usize| {
        let c = &mut centroids[list * dim..(list + 1) * dim];
        for (x, &code) in c.iter_mut().zip(row(i)) {
            *x = f32::from(code) * scales[i];
        }
        normalise(c);
    };
    for list in 0..lists {
        seed(&mut centroids, list, list * n / lists);
    }
    for round in 0..ROUNDS {
        let nearest: Vec<u32> = sample
            .par_chunks_exact(dim)
            .map_init(Vec::new, |scores, codes| {
                nearest_list(&centroids, codes, scores)
            })
            .collect();
        let mut sums = vec![0f32; lists * dim];
        let mut counts = vec![0usize; lists];
        for (i, &list) in nearest.iter().enumerate() {
            let list = list as usize;
            counts[list] += 1;
            let sum = &mut sums[list * dim..(list + 1) * dim];
            for (s, &code) in sum.iter_mut().zip(row(i)) {
                *s += f32::from(code) * scales[i];
            }
        }
        centroids = sums;
        for list in 0..lists {
            if counts[list] == 0 {
                // An empty cluster starts again from another sample vector.
                seed(&mut centroids, list, (list * 7_919 + round * 104_729) % n);
            } else {
                normalise(&mut centroids[list * dim..(list + 1) * dim]);
            }
        }
    }
    centroids
}

fn normalise(v: &mut [f32]) {
    let norm = super::dot(v, v).sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}

fn read(vectors: &RwLock<VectorSet>) -> std::sync::RwLockReadGuard<'_, VectorSet> {
    vectors.read().unwrap_or_else(|e| e.into_inner())
}

fn write(vectors: &RwLock<VectorSet>) -> std::sync::RwLockWriteGuard<'_, VectorSet> {
    vectors.write().unwrap_or_else(|e| e.into_inner())
}

/// Whether `set` should get a (new) index: it has reached `min_vectors` and has none, or has
/// doubled since its centroids were trained.
pub fn wanted(set: &VectorSet, options: &AnnOptions) -> bool {
    set.len() >= options.min_vectors.max(1)
        && set
            .ann
            .as_ref()
            .is_none_or(|a| set.len() >= 2 * a.trained_on)
}

/// What [`index`] did.
#[derive(Debug, Clone, Copy)]
pub struct Built {
    pub lists: usize,
    pub rows: usize,
    /// Rows placed by comparing them with every centroid (the others kept their saved list).
    pub placed: usize,
    /// Whether the centroids came from the saved file.
    pub loaded: bool,
    pub seconds: f64,
}

/// Builds the index of `vectors` (from the index saved at `file` when it still fits them),
/// puts it in use, and saves it when anything changed. The exact scan answers meanwhile;
/// vectors inserted meanwhile are placed as they come.
pub fn index(
    vectors: &RwLock<VectorSet>,
    options: &AnnOptions,
    file: Option<&Path>,
) -> Result<Built, AnnError> {
    let started = Instant::now();
    let (dim, rows, fresh) = {
        let set = read(vectors);
        (set.dim(), set.len(), set.ann.is_none())
    };
    // A saved index is used when there is no index yet and the set has not doubled since.
    let saved = match file {
        Some(path) if fresh => match read_saved(path, dim) {
            Ok(saved) => saved.filter(|s| rows < 2 * s.trained_on.max(1)),
            Err(e @ AnnError::Foreign { .. }) => {
                tracing::info!(reason = %e, "building the related-papers index afresh");
                None
            }
            Err(e) => return Err(e),
        },
        _ => None,
    };
    let saved = saved.filter(|s| {
        let set = read(vectors);
        let checked = rows.min(s.list_of.len()).min(CHECKED);
        let step = rows.min(s.list_of.len()) / checked.max(1);
        let same = (0..checked)
            .map(|i| i * step)
            .filter(|&r| digest(set.row_codes(r), set.row_scale(r)) == s.digests[r])
            .count();
        // Mostly other vectors (another database, a new model file): train afresh.
        checked > 0 && same * 2 >= checked
    });
    let loaded = saved.is_some();
    let (centroids, trained_on) = match &saved {
        Some(s) => (s.centroids.clone(), s.trained_on),
        None => {
            let lists = lists_for(rows);
            let take = rows.min(lists * SAMPLE_PER_LIST);
            let (sample, scales) = {
                let set = read(vectors);
                let mut sample = Vec::with_capacity(take * dim);
                let mut scales = Vec::with_capacity(take);
                for i in 0..take {
                    let r = i * rows / take;
                    sample.extend_from_slice(set.row_codes(r));
                    scales.push(set.row_scale(r));
                }
                (sample, scales)
            };
            (train(&sample, &scales, dim, lists), rows)
        }
    };
    write(vectors).staged = Some(Ivf::new(
        dim,
        centroids.clone(),
        rows,
        trained_on,
        options.probes,
    ));
    let mut placed = 0;
    let mut start = 0;
    loop {
        // Copy the next rows out, place them without a lock, then record them.
        let (todo, codes, scales) = {
            let set = read(vectors);
            let staged = set.staged.as_ref().expect("staged by this build");
            if start >= set.len() {
                break;
            }
            let end = set.len().min(start + CHUNK);
            let todo: Vec<usize> = (start..end)
                .filter(|&r| staged.list_of[r] == UNASSIGNED)
                .collect();
            start = end;
            let codes: Vec<i8> = todo
                .iter()
                .flat_map(|&r| set.row_codes(r).iter().copied())
                .collect();
            let scales: Vec<f32> = todo.iter().map(|&r| set.row_scale(r)).collect();
            (todo, codes, scales)
        };
        let found: Vec<(u32, u64, bool)> = todo
            .par_iter()
            .zip(codes.par_chunks_exact(dim).zip(&scales))
            .map_init(Vec::new, |buf, (&row, (codes, &scale))| {
                let d = digest(codes, scale);
                match &saved {
                    Some(s) if s.digests.get(row) == Some(&d) => (s.list_of[row], d, false),
                    _ => (nearest_list(&centroids, codes, buf), d, true),
                }
            })
            .collect();
        let mut set = write(vectors);
        let staged = set.staged.as_mut().expect("staged by this build");
        for (&row, &(list, d, computed)) in todo.iter().zip(&found) {
            // A row replaced meanwhile was placed by the insert, from its new codes.
            if staged.list_of[row] == UNASSIGNED {
                staged.put(row, list, d);
                placed += usize::from(computed);
            }
        }
    }
    let (bytes, built) = {
        let mut set = write(vectors);
        let ivf = set.staged.take().expect("staged by this build");
        debug_assert_eq!(ivf.pending, 0);
        let built = Built {
            lists: ivf.lists(),
            rows: set.len(),
            placed,
            loaded,
            seconds: started.elapsed().as_secs_f64(),
        };
        let bytes = (placed > 0 || !loaded).then(|| ivf.encode());
        set.ann = Some(ivf);
        (bytes, built)
    };
    if let (Some(path), Some(bytes)) = (file, bytes) {
        write_atomically(path, &bytes)?;
    }
    Ok(built)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::similar::nearest;

    /// xorshift, and normal deviates by Box–Muller: the same set every run.
    struct Rng(u64);

    impl Rng {
        fn uniform(&mut self) -> f32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            ((self.0 >> 40) as f32 + 0.5) / (1u64 << 24) as f32
        }

        fn normal(&mut self) -> f32 {
            let (a, b) = (self.uniform(), self.uniform());
            (-2.0 * a.ln()).sqrt() * (std::f32::consts::TAU * b).cos()
        }

        /// A unit vector near `centre`.
        fn near(&mut self, centre: &[f32], spread: f32) -> Vec<f32> {
            let mut v: Vec<f32> = centre.iter().map(|c| c + spread * self.normal()).collect();
            normalise(&mut v);
            v
        }
    }

    /// Vectors with structure like embeddings': a Gaussian mixture (topics) in 16 latent
    /// dimensions, mapped into `dim` by a fixed random matrix, plus noise in all of them.
    /// Uniform random vectors are the worst case for any approximate index, and unlike
    /// embeddings.
    fn clustered(n: usize, dim: usize, rng: &mut Rng) -> Vec<Vec<f32>> {
        let latent = 16;
        let map: Vec<f32> = (0..dim * latent)
            .map(|_| rng.normal() / (dim as f32).sqrt())
            .collect();
        let topics: Vec<Vec<f32>> = (0..20)
            .map(|_| (0..latent).map(|_| 2.0 * rng.normal()).collect())
            .collect();
        (0..n)
            .map(|i| {
                let z: Vec<f32> = topics[i % 20].iter().map(|t| t + rng.normal()).collect();
                let mut v: Vec<f32> = map
                    .chunks_exact(latent)
                    .map(|row| super::super::dot(row, &z) + 0.15 * rng.normal())
                    .collect();
                normalise(&mut v);
                v
            })
            .collect()
    }

    fn options() -> AnnOptions {
        AnnOptions {
            min_vectors: 1_000,
            probes: 6,
        }
    }

    #[test]
    fn finds_the_exact_scans_neighbours_and_keeps_up_with_changes() {
        let (n, dim) = (20_000, 96);
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let data = clustered(n, dim, &mut rng);
        let mut exact = VectorSet::new(dim);
        for (i, v) in data.iter().enumerate() {
            exact.insert(&format!("p{i}"), i as i64 + 1, v);
        }
        let vectors = RwLock::new(exact);
        assert!(wanted(&read(&vectors), &options()));
        let built = index(&vectors, &options(), None).unwrap();
        assert_eq!((built.lists, built.rows, built.placed), (141, n, n));
        assert!(!built.loaded && !wanted(&read(&vectors), &options()));

        // Recall@10 against the exact scan of the same codes, probes being stored papers.
        let set = read(&vectors);
        let ivf = set.ann.clone().unwrap();
        let mut plain = VectorSet::new(dim);
        for (i, v) in data.iter().enumerate() {
            plain.insert(&format!("p{i}"), i as i64 + 1, v);
        }
        let (mut hits, probes) = (0, 200);
        for p in 0..probes {
            let id = format!("p{}", p * 97);
            let probe = &data[p * 97];
            let ours = nearest(&set, probe, 10, Some(&id));
            let truth = nearest(&plain, probe, 10, Some(&id));
            assert_eq!(ours.len(), 10);
            assert!(ours.iter().all(|n| n.id != id), "the probe is left out");
            hits += truth.iter().filter(|t| ours.contains(t)).count();
        }
        let recall = hits as f64 / (10 * probes) as f64;
        eprintln!(
            "recall@10 {recall} with {} of {} lists",
            options().probes,
            built.lists
        );
        assert!(recall >= 0.95, "recall@10 {recall}");
        // It looked at a small part of the set.
        let probe = &data[0];
        let looked = ivf.candidates(probe).len();
        assert!(looked < n / 5, "{looked} of {n} compared");
        drop(set);

        // A replaced vector is found at its new place, no longer at its old one; a new one
        // is found too.
        let moved = rng.near(&data[5_000], 0.01);
        write(&vectors).insert("p17", n as i64 + 1, &moved);
        let fresh = rng.near(&data[9_000], 0.01);
        write(&vectors).insert("new", n as i64 + 2, &fresh);
        let set = read(&vectors);
        let ids = |probe: &[f32], exclude: &str| -> Vec<String> {
            nearest(&set, probe, 5, Some(exclude))
                .into_iter()
                .map(|n| n.id)
                .collect()
        };
        assert_eq!(ids(&data[5_000], "p5000")[0], "p17");
        assert!(!ids(&data[17], "p17").contains(&"p17".to_string()));
        assert_eq!(ids(&data[9_000], "p9000")[0], "new");
        let ann = set.ann.as_ref().unwrap();
        assert_eq!(ann.list_of.len(), n + 1);
        assert_eq!(ann.lists.iter().map(Vec::len).sum::<usize>(), n + 1);
    }

    #[test]
    fn a_saved_index_is_loaded_and_only_changed_rows_are_placed_again() {
        let (n, dim) = (3_000, 32);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let data = clustered(n, dim, &mut rng);
        let fill = |changed: usize| {
            let mut set = VectorSet::new(dim);
            for (i, v) in data.iter().enumerate() {
                set.insert(&format!("p{i}"), i as i64 + 1, v);
            }
            // A restart after changes: some rows replaced, some appended.
            for i in 0..changed {
                set.insert(&format!("p{i}"), (n + i) as i64, &data[n - 1 - i]);
                set.insert(&format!("q{i}"), (2 * n + i) as i64, &data[i]);
            }
            RwLock::new(set)
        };
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.ivf");
        let first = index(&fill(0), &options(), Some(&file)).unwrap();
        assert!(!first.loaded && file.is_file());

        let vectors = fill(10);
        let again = index(&vectors, &options(), Some(&file)).unwrap();
        assert!(again.loaded);
        assert_eq!((again.rows, again.placed), (n + 10, 20));
        let set = read(&vectors);
        let last = format!("p{}", n - 1);
        assert_eq!(nearest(&set, &data[n - 1], 1, Some(&last))[0].id, "p0");
        assert_eq!(nearest(&set, &data[3], 2, Some("p3"))[0].id, "q3");
        drop(set);

        // A corrupt file is built again, not trusted.
        std::fs::write(&file, b"PIVF01\n\0short").unwrap();
        let vectors = fill(0);
        let rebuilt = index(&vectors, &options(), Some(&file)).unwrap();
        assert!(!rebuilt.loaded && rebuilt.placed == n);
        assert!(decode(&std::fs::read(&file).unwrap(), dim, &file).is_ok());
        assert!(matches!(
            decode(b"PIVF01\n\0short", dim, &file),
            Err(AnnError::Foreign { .. })
        ));
    }
}
