//! A BERT encoder (the sentence-transformers layout, tensor names without a `bert.` prefix)
//! in candle: token ids and attention mask in, last hidden states out.

use candle_core::{CpuStorage, CustomOp1, DType, Device, Layout, Module, Result, Shape, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
use rayon::prelude::*;
use serde::Deserialize;

/// The fields of the model's `config.json` the encoder needs.
#[derive(Debug, Clone, Deserialize)]
pub struct BertConfig {
    pub vocab_size: usize,
    pub hidden_size: usize,
    pub num_hidden_layers: usize,
    pub num_attention_heads: usize,
    pub intermediate_size: usize,
    pub max_position_embeddings: usize,
    pub type_vocab_size: usize,
    #[serde(default = "default_eps")]
    pub layer_norm_eps: f64,
    #[serde(default = "default_act")]
    pub hidden_act: String,
}

fn default_eps() -> f64 {
    1e-12
}

fn default_act() -> String {
    "gelu".into()
}

pub struct Bert {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
    layers: Vec<Layer>,
    heads: usize,
}

struct Layer {
    /// Query, key and value projections as one matrix product.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: LayerNorm,
    intermediate: Linear,
    output: Linear,
    output_norm: LayerNorm,
}

impl Bert {
    pub fn load(vb: VarBuilder, cfg: &BertConfig) -> Result<Self> {
        if cfg.hidden_act != "gelu" {
            candle_core::bail!("unsupported activation {:?} (only gelu)", cfg.hidden_act);
        }
        let (h, eps) = (cfg.hidden_size, cfg.layer_norm_eps);
        let e = vb.pp("embeddings");
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let l = vb.pp(format!("encoder.layer.{i}"));
                Ok(Layer {
                    qkv: fused_qkv(h, &l.pp("attention.self"))?,
                    attention_out: linear(h, h, l.pp("attention.output.dense"))?,
                    attention_norm: layer_norm(h, eps, l.pp("attention.output.LayerNorm"))?,
                    intermediate: linear(h, cfg.intermediate_size, l.pp("intermediate.dense"))?,
                    output: linear(cfg.intermediate_size, h, l.pp("output.dense"))?,
                    output_norm: layer_norm(h, eps, l.pp("output.LayerNorm"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Bert {
            word: embedding(cfg.vocab_size, h, e.pp("word_embeddings"))?,
            position: embedding(cfg.max_position_embeddings, h, e.pp("position_embeddings"))?,
            token_type: embedding(cfg.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            norm: layer_norm(h, eps, e.pp("LayerNorm"))?,
            layers,
            heads: cfg.num_attention_heads,
        })
    }

    /// `ids` and `mask` are `[batch, tokens]` (u32; mask 1 for real tokens, 0 for padding);
    /// returns `[batch, tokens, hidden]`.
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor> {
        let (batch, tokens) = ids.dims2()?;
        let device = ids.device();
        let positions = Tensor::arange(0u32, tokens as u32, device)?;
        let types = ids.zeros_like()?;
        let x = self
            .word
            .forward(ids)?
            .broadcast_add(&self.position.forward(&positions)?)?
            .add(&self.token_type.forward(&types)?)?;
        let mut x = self.norm.forward(&x)?.reshape((batch * tokens, ()))?;
        // Padding gets a large negative bias before the softmax: [batch, 1, 1, tokens].
        let bias =
            ((mask.to_dtype(DType::F32)? - 1.0)? * 10_000.0)?.reshape((batch, 1, 1, tokens))?;
        for layer in &self.layers {
            x = layer.forward(&x, &bias, batch, self.heads)?;
        }
        x.reshape((batch, tokens, ()))
    }
}

impl Layer {
    /// `x` is `[batch × tokens, hidden]`: every projection is one large matrix product.
    fn forward(&self, x: &Tensor, bias: &Tensor, batch: usize, heads: usize) -> Result<Tensor> {
        let (rows, hidden) = x.dims2()?;
        let (tokens, d) = (rows / batch, hidden / heads);
        let qkv = self.qkv.forward(x)?;
        let split = |i: usize| {
            qkv.narrow(1, i * hidden, hidden)?
                .reshape((batch, tokens, heads, d))?
                .transpose(1, 2)?
                .contiguous()
        };
        let (q, k, v) = (split(0)?, split(1)?, split(2)?);
        let q = (q * (1.0 / (d as f64).sqrt()))?;
        let scores = q.matmul(&k.t()?)?.broadcast_add(bias)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((rows, hidden))?;
        let x = self
            .attention_norm
            .forward(&(self.attention_out.forward(&context)? + x)?)?;
        let h = self.intermediate.forward(&x)?.apply_op1_no_bwd(&Gelu)?;
        self.output_norm.forward(&(self.output.forward(&h)? + x)?)
    }
}

/// The exact (erf) GELU of BERT, with erf from Abramowitz and Stegun 7.1.26 (absolute error
/// below 1.5e-7) and spread over the threads: candle's own spends most of its time in a
/// precise erf, a seventh of a forward pass.
struct Gelu;

impl CustomOp1 for Gelu {
    fn name(&self) -> &'static str {
        "gelu-erf-fast"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (CpuStorage::F32(data), Some((from, to))) = (storage, layout.contiguous_offsets())
        else {
            candle_core::bail!("gelu: contiguous f32 input only");
        };
        let mut out = data[from..to].to_vec();
        out.par_chunks_mut(16 * 1024)
            .for_each(|chunk| chunk.iter_mut().for_each(|x| *x = gelu(*x)));
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

fn gelu(x: f32) -> f32 {
    let z = (x * std::f32::consts::FRAC_1_SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = ((((1.061_405_4 * t - 1.453_152) * t + 1.421_413_8) * t - 0.284_496_74) * t
        + 0.254_829_6)
        * t;
    let erf = (1.0 - poly * (-z * z).exp()).copysign(x);
    0.5 * x * (1.0 + erf)
}

/// The query, key and value projections of `vb` stacked into one `[3h, h]` linear layer.
fn fused_qkv(h: usize, vb: &VarBuilder) -> Result<Linear> {
    let part = |name: &str| -> Result<(Tensor, Tensor)> {
        let p = vb.pp(name);
        Ok((p.get((h, h), "weight")?, p.get(h, "bias")?))
    };
    let (q, k, v) = (part("query")?, part("key")?, part("value")?);
    let weight = Tensor::cat(&[&q.0, &k.0, &v.0], 0)?;
    let bias = Tensor::cat(&[&q.1, &k.1, &v.1], 0)?;
    Ok(Linear::new(weight, Some(bias)))
}

/// Loads weights from a safetensors file read into memory (no mmap: this crate forbids
/// `unsafe`).
pub fn load(config: &BertConfig, weights: Vec<u8>, device: &Device) -> Result<Bert> {
    let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, device)?;
    Bert::load(vb, config)
}

#[cfg(test)]
mod tests {
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
