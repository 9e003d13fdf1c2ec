//! Vectorised CPU kernels: the BERT encoder's fused steps (bias + GELU, bias + residual +
//! layer norm, the masked attention softmax, the split of the query/key/value product into
//! heads) and the related-papers scans over 8-bit vectors (all rows, chosen rows, or one
//! vector against the approximate index's centroids).
//!
//! Each works in place on a matrix product's output where it can (no fresh tensor, so no
//! page clearing) and runs under `pulp`'s run-time dispatch, so its plain loops are compiled
//! for AVX2 or AVX-512 when the CPU has them. Sums and maxima keep one accumulator per lane
//! ([`LANES`]) so the compiler may vectorise them without reordering a float sum.

use candle_core::{CpuStorage, CustomOp1, InplaceOp1, InplaceOp2, Layout, Result, Shape};

/// Accumulators per reduction: one AVX-512 register of f32.
const LANES: usize = 16;

/// The contiguous f32 data of a kernel's input.
fn data<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(data), Some((from, to))) => Ok(&data[from..to]),
        _ => candle_core::bail!("{op}: contiguous f32 input only"),
    }
}

fn data_mut<'a>(storage: &'a mut CpuStorage, layout: &Layout, op: &str) -> Result<&'a mut [f32]> {
    match (storage, layout.contiguous_offsets()) {
        (CpuStorage::F32(data), Some((from, to))) => Ok(&mut data[from..to]),
        _ => candle_core::bail!("{op}: contiguous f32 input only"),
    }
}

/// A kernel's loop over its output (and an input, for those that read one).
trait Kernel {
    type Input;
    /// Must be `#[inline(always)]`: only then is it compiled into [`vectorized`]'s
    /// instruction-set-specific copies.
    fn apply(&self, out: &mut [f32], input: &[Self::Input]);
}

struct Run<'a, K: Kernel>(&'a K, &'a mut [f32], &'a [K::Input]);

impl<K: Kernel> pulp::WithSimd for Run<'_, K> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _: S) {
        self.0.apply(self.1, self.2);
    }
}

/// Runs `kernel` compiled for the best instruction set this CPU has.
fn vectorized<K: Kernel>(kernel: &K, out: &mut [f32], input: &[K::Input]) {
    pulp::Arch::new().dispatch(Run(kernel, out, input));
}

/// e^x without branches (Cephes' expf: relative error about 2e-7), so a loop of it
/// vectorises. Arguments are clamped to [-87, 88].
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let n = (x * std::f32::consts::LOG2_E + 0.5).floor();
    let r = x - n * 0.693_359_4 + n * 2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_199_9e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5;
    // 2^n from n + 127 as the exponent bits. Adding 2^23 leaves that integer in the low
    // mantissa bits; this avoids `as i32`, whose saturating conversion does not vectorise.
    let two_n = f32::from_bits((n + 127.0 + 8_388_608.0).to_bits() << 23);
    (p * r * r + r + 1.0) * two_n
}

/// BERT's exact (erf) GELU, erf from Abramowitz and Stegun 7.1.26 (absolute error below
/// 1.5e-7).
#[inline(always)]
fn gelu(x: f32) -> f32 {
    let z = (x * std::f32::consts::FRAC_1_SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = ((((1.061_405_4 * t - 1.453_152) * t + 1.421_413_8) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    let erf = (1.0 - poly * exp(-z * z)).copysign(x);
    0.5 * x * (1.0 + erf)
}

/// Σ (x − centre)², or Σ x with `SQUARE` false, lane by lane.
#[inline(always)]
fn sum<const SQUARE: bool>(x: &[f32], centre: f32) -> f32 {
    let term = |v: f32| {
        if SQUARE {
            (v - centre) * (v - centre)
        } else {
            v
        }
    };
    let mut acc = [0f32; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest: f32 = chunks.remainder().iter().map(|&v| term(v)).sum();
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a += term(v);
        }
    }
    acc.iter().sum::<f32>() + rest
}

#[inline(always)]
fn max(x: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks
        .remainder()
        .iter()
        .copied()
        .fold(f32::NEG_INFINITY, f32::max);
    for chunk in chunks {
        for (a, &v) in acc.iter_mut().zip(chunk) {
            *a = a.max(v);
        }
    }
    acc.iter().copied().fold(rest, f32::max)
}

/// `x ← gelu(x + bias)` over the rows of a `[rows, bias.len()]` matrix.
pub struct BiasGelu<'a>(pub &'a [f32]);

impl InplaceOp1 for BiasGelu<'_> {
    fn name(&self) -> &'static str {
        "bias-gelu"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        vectorized(self, data_mut(storage, layout, self.name())?, &[]);
        Ok(())
    }
}

impl Kernel for BiasGelu<'_> {
    type Input = f32;

    #[inline(always)]
    fn apply(&self, x: &mut [f32], _: &[f32]) {
        for row in x.chunks_exact_mut(self.0.len()) {
            for (v, b) in row.iter_mut().zip(self.0) {
                *v = gelu(*v + b);
            }
        }
    }
}

/// `x ← LayerNorm(x + bias + residual)` row by row, with the norm's weight and bias.
pub struct BiasResidualNorm<'a> {
    pub bias: &'a [f32],
    pub weight: &'a [f32],
    pub shift: &'a [f32],
    pub eps: f32,
}

impl InplaceOp2 for BiasResidualNorm<'_> {
    fn name(&self) -> &'static str {
        "bias-residual-norm"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let residual = data(s2, l2, self.name())?;
        let x = data_mut(s1, l1, self.name())?;
        if x.len() != residual.len() {
            candle_core::bail!("{}: shapes differ", self.name());
        }
        vectorized(self, x, residual);
        Ok(())
    }
}

impl Kernel for BiasResidualNorm<'_> {
    type Input = f32;

    #[inline(always)]
    fn apply(&self, x: &mut [f32], residual: &[f32]) {
        let width = self.bias.len();
        for (row, res) in x.chunks_exact_mut(width).zip(residual.chunks_exact(width)) {
            self.row(row, res);
        }
    }
}

impl BiasResidualNorm<'_> {
    #[inline(always)]
    fn row(&self, row: &mut [f32], residual: &[f32]) {
        let n = row.len() as f32;
        for ((v, r), b) in row.iter_mut().zip(residual).zip(self.bias) {
            *v += r + b;
        }
        let mean = sum::<false>(row, 0.0) / n;
        let inv = 1.0 / (sum::<true>(row, mean) / n + self.eps).sqrt();
        for ((v, w), s) in row.iter_mut().zip(self.weight).zip(self.shift) {
            *v = (*v - mean) * inv * w + s;
        }
    }
}

/// Softmax of `scale × scores` over the keys of `[batch, heads, tokens, tokens]` attention
/// scores, in place; key positions at or past a text's length (its padding) get 0.
pub struct MaskedSoftmax<'a> {
    /// Real tokens of each text of the batch.
    pub lengths: &'a [usize],
    /// Tokens of each (padded) text.
    pub tokens: usize,
    pub scale: f32,
}

impl InplaceOp1 for MaskedSoftmax<'_> {
    fn name(&self) -> &'static str {
        "masked-softmax"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> Result<()> {
        let x = data_mut(storage, layout, self.name())?;
        let (batch, tokens) = (self.lengths.len(), self.tokens);
        if layout.dims().last() != Some(&tokens) || !x.len().is_multiple_of(batch * tokens * tokens)
        {
            candle_core::bail!("{}: not [batch, heads, tokens, tokens]", self.name());
        }
        vectorized(self, x, &[]);
        Ok(())
    }
}

impl Kernel for MaskedSoftmax<'_> {
    type Input = f32;

    #[inline(always)]
    fn apply(&self, x: &mut [f32], _: &[f32]) {
        let per_text = x.len() / self.lengths.len();
        for (text, &len) in x.chunks_exact_mut(per_text).zip(self.lengths) {
            for row in text.chunks_exact_mut(self.tokens) {
                let (keys, padding) = row.split_at_mut(len.min(self.tokens));
                self.row(keys);
                padding.fill(0.0);
            }
        }
    }
}

impl MaskedSoftmax<'_> {
    #[inline(always)]
    fn row(&self, keys: &mut [f32]) {
        let max = max(keys);
        for v in keys.iter_mut() {
            *v = exp((*v - max) * self.scale);
        }
        let inv = 1.0 / sum::<false>(keys, 0.0);
        keys.iter_mut().for_each(|v| *v *= inv);
    }
}

/// The `[batch × tokens, 3 × hidden]` query/key/value product plus its bias, rearranged
/// into `[3, batch, heads, tokens, hidden / heads]`: queries, keys and values, head by head.
pub struct SplitHeads<'a> {
    pub bias: &'a [f32],
    pub batch: usize,
    pub heads: usize,
}

impl CustomOp1 for SplitHeads<'_> {
    fn name(&self) -> &'static str {
        "split-heads"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let x = data(storage, layout, self.name())?;
        let width = self.bias.len();
        let (hidden, rows) = (width / 3, x.len() / width);
        let (tokens, d) = (rows / self.batch, hidden / self.heads);
        if !width.is_multiple_of(3)
            || !rows.is_multiple_of(self.batch)
            || !hidden.is_multiple_of(self.heads)
        {
            candle_core::bail!("{}: shapes do not divide", self.name());
        }
        let mut out = vec![0f32; x.len()];
        vectorized(self, &mut out, x);
        let shape = Shape::from((3, self.batch, self.heads, tokens, d));
        Ok((CpuStorage::F32(out), shape))
    }
}

impl Kernel for SplitHeads<'_> {
    type Input = f32;

    #[inline(always)]
    fn apply(&self, out: &mut [f32], x: &[f32]) {
        let width = self.bias.len();
        let hidden = width / 3;
        let (tokens, d) = (x.len() / width / self.batch, hidden / self.heads);
        // Destination blocks of `d` values in order: part, text, head, token.
        for (i, dst) in out.chunks_exact_mut(d).enumerate() {
            let t = i % tokens;
            let h = (i / tokens) % self.heads;
            let b = (i / (tokens * self.heads)) % self.batch;
            let part = i / (tokens * self.heads * self.batch);
            let col = part * hidden + h * d;
            let src = &x[(b * tokens + t) * width + col..][..d];
            for ((o, s), bias) in dst.iter_mut().zip(src).zip(&self.bias[col..col + d]) {
                *o = s + bias;
            }
        }
    }
}

/// `scores[i]` ← the dot product of `probe` with row `i` of the 8-bit `codes`
/// (`probe.len()` each) times `scales[i]`.
pub fn dots(probe: &[f32], codes: &[i8], scales: &[f32], scores: &mut [f32]) {
    vectorized(&Dots { probe, scales }, scores, codes);
}

struct Dots<'a> {
    probe: &'a [f32],
    scales: &'a [f32],
}

impl Kernel for Dots<'_> {
    type Input = i8;

    #[inline(always)]
    fn apply(&self, scores: &mut [f32], codes: &[i8]) {
        let rows = codes.chunks_exact(self.probe.len());
        for ((score, row), scale) in scores.iter_mut().zip(rows).zip(self.scales) {
            *score = super::dot_codes(self.probe, row) * scale;
        }
    }
}

/// `scores[i]` ← the dot product of `probe` with the 8-bit row `rows[i]` of `codes`
/// (`probe.len()` each) times its scale: [`dots`] over chosen rows, for the approximate index.
pub fn dots_rows(probe: &[f32], codes: &[i8], scales: &[f32], rows: &[u32], scores: &mut [f32]) {
    vectorized(
        &DotsRows {
            probe,
            codes,
            scales,
        },
        scores,
        rows,
    );
}

struct DotsRows<'a> {
    probe: &'a [f32],
    codes: &'a [i8],
    scales: &'a [f32],
}

impl Kernel for DotsRows<'_> {
    type Input = u32;

    #[inline(always)]
    fn apply(&self, scores: &mut [f32], rows: &[u32]) {
        let dim = self.probe.len();
        for (score, &row) in scores.iter_mut().zip(rows) {
            let row = row as usize;
            *score =
                super::dot_codes(self.probe, &self.codes[row * dim..][..dim]) * self.scales[row];
        }
    }
}

/// `scores[i]` ← the dot product of row `i` of the f32 `matrix` (`codes.len()` each) with the
/// 8-bit `codes`: one stored vector against every centroid of the approximate index.
pub fn dots_with_codes(matrix: &[f32], codes: &[i8], scores: &mut [f32]) {
    vectorized(&DotsWithCodes(codes), scores, matrix);
}

struct DotsWithCodes<'a>(&'a [i8]);

impl Kernel for DotsWithCodes<'_> {
    type Input = f32;

    #[inline(always)]
    fn apply(&self, scores: &mut [f32], matrix: &[f32]) {
        for (score, row) in scores.iter_mut().zip(matrix.chunks_exact(self.0.len())) {
            *score = super::dot_codes(row, self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    /// Deterministic values in (-3, 3).
    fn values(shape: &[usize], seed: f32) -> Tensor {
        let n = shape.iter().product::<usize>();
        let v: Vec<f32> = (0..n)
            .map(|i| 3.0 * (i as f32 * 0.37 + seed).sin())
            .collect();
        Tensor::from_vec(v, shape, &Device::Cpu).unwrap()
    }

    fn assert_close(ours: &Tensor, theirs: &Tensor, tolerance: f32) {
        let diff = (ours - theirs).unwrap().abs().unwrap().max_all().unwrap();
        let diff = diff.to_scalar::<f32>().unwrap();
        assert!(diff < tolerance, "largest difference {diff}");
    }

    #[test]
    fn masked_softmax_matches_softmax_with_a_padding_bias() {
        // Two texts of 19 tokens (more than one lane block), the second with 7 real ones.
        let (heads, tokens, lengths, scale) = (3, 19, [19usize, 7], 0.5f32);
        let scores = values(&[2, heads, tokens, tokens], 0.1);
        let mask: Vec<f32> = lengths
            .iter()
            .flat_map(|&len| (0..tokens).map(move |t| if t < len { 0.0 } else { -1e4 }))
            .collect();
        let bias = Tensor::from_vec(mask, (2, 1, 1, tokens), &Device::Cpu).unwrap();
        let expected = candle_nn::ops::softmax_last_dim(
            &(&scores * scale as f64)
                .unwrap()
                .broadcast_add(&bias)
                .unwrap(),
        )
        .unwrap();
        let ours = scores.copy().unwrap();
        ours.inplace_op1(&MaskedSoftmax {
            lengths: &lengths,
            tokens,
            scale,
        })
        .unwrap();
        assert_close(&ours, &expected, 1e-6);
    }

    #[test]
    fn bias_residual_norm_matches_layer_norm() {
        let (rows, width) = (5, 40);
        let (x, residual) = (values(&[rows, width], 0.2), values(&[rows, width], 0.9));
        let vector = |seed: f32| values(&[width], seed).to_vec1::<f32>().unwrap();
        let (bias, weight, shift) = (vector(0.3), vector(0.5), vector(0.7));
        let sum = (&x + &residual)
            .unwrap()
            .broadcast_add(&Tensor::new(bias.as_slice(), &Device::Cpu).unwrap())
            .unwrap();
        let expected = candle_nn::ops::layer_norm(
            &sum,
            &Tensor::new(weight.as_slice(), &Device::Cpu).unwrap(),
            &Tensor::new(shift.as_slice(), &Device::Cpu).unwrap(),
            1e-12,
        )
        .unwrap();
        x.inplace_op2(
            &residual,
            &BiasResidualNorm {
                bias: &bias,
                weight: &weight,
                shift: &shift,
                eps: 1e-12,
            },
        )
        .unwrap();
        assert_close(&x, &expected, 1e-5);
    }

    #[test]
    fn split_heads_matches_reshaping() {
        let (batch, tokens, heads, d) = (2, 5, 3, 4);
        let hidden = heads * d;
        let qkv = values(&[batch * tokens, 3 * hidden], 0.4);
        let bias = values(&[3 * hidden], 0.8).to_vec1::<f32>().unwrap();
        let with_bias = qkv
            .broadcast_add(&Tensor::new(bias.as_slice(), &Device::Cpu).unwrap())
            .unwrap();
        let ours = qkv
            .apply_op1_no_bwd(&SplitHeads {
                bias: &bias,
                batch,
                heads,
            })
            .unwrap();
        for part in 0..3 {
            let expected = with_bias
                .narrow(1, part * hidden, hidden)
                .and_then(|t| t.reshape((batch, tokens, heads, d)))
                .and_then(|t| t.transpose(1, 2))
                .unwrap();
            assert_close(&ours.get(part).unwrap(), &expected, 1e-6);
        }
    }

    #[test]
    fn exp_is_close_to_std() {
        for i in -8700..=8800 {
            let x = i as f32 / 100.0;
            let (ours, std) = (super::exp(x), x.exp());
            assert!(
                ((ours - std) / std).abs() < 1e-6,
                "{x}: {ours} against {std}"
            );
        }
    }

    #[test]
    fn gelu_matches_the_exact_one() {
        for i in -800..=800 {
            let x = i as f32 / 100.0;
            let exact = candle_core::Tensor::new(&[x], &candle_core::Device::Cpu)
                .and_then(|t| t.gelu_erf())
                .and_then(|t| t.to_vec1::<f32>())
                .unwrap()[0];
            assert!(
                (super::gelu(x) - exact).abs() < 1e-6,
                "{x}: {} vs {exact}",
                super::gelu(x)
            );
        }
    }
}
