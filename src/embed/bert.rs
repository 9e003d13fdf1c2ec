//! A BERT encoder (the sentence-transformers layout, tensor names without a `bert.` prefix)
//! in candle: token ids and text lengths in, last hidden states out.

use super::kernels::{BiasGelu, BiasResidualNorm, MaskedSoftmax, SplitHeads};
use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm};
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

/// One encoder layer: weights as candle tensors for the matrix products, biases and norm
/// parameters as plain vectors for the fused kernels.
struct Layer {
    /// Query, key and value projections as one matrix product.
    qkv: Linear,
    qkv_bias: Vec<f32>,
    attention_out: Linear,
    attention_norm: Norm,
    intermediate: Linear,
    intermediate_bias: Vec<f32>,
    output: Linear,
    output_norm: Norm,
}

/// A dense layer's bias and the layer norm after it.
struct Norm {
    bias: Vec<f32>,
    weight: Vec<f32>,
    shift: Vec<f32>,
    eps: f32,
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
                let (qkv, qkv_bias) = fused_qkv(h, &l.pp("attention.self"))?;
                let (attention_out, attention_bias) = dense(h, h, &l.pp("attention.output.dense"))?;
                let (intermediate, intermediate_bias) =
                    dense(h, cfg.intermediate_size, &l.pp("intermediate.dense"))?;
                let (output, output_bias) = dense(cfg.intermediate_size, h, &l.pp("output.dense"))?;
                Ok(Layer {
                    qkv,
                    qkv_bias,
                    attention_out,
                    attention_norm: Norm::load(
                        attention_bias,
                        h,
                        eps,
                        &l.pp("attention.output.LayerNorm"),
                    )?,
                    intermediate,
                    intermediate_bias,
                    output,
                    output_norm: Norm::load(output_bias, h, eps, &l.pp("output.LayerNorm"))?,
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

    /// `ids` is `[batch, tokens]` (u32, padded at the end); `lengths` holds each text's
    /// real tokens. Returns `[batch, tokens, hidden]`.
    pub fn forward(&self, ids: &Tensor, lengths: &[usize]) -> Result<Tensor> {
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
        for layer in &self.layers {
            x = layer.forward(&x, lengths, self.heads)?;
        }
        x.reshape((batch, tokens, ()))
    }
}

impl Layer {
    /// `x` is `[batch × tokens, hidden]`: every projection is one large matrix product,
    /// and what follows each product runs fused on its output.
    fn forward(&self, x: &Tensor, lengths: &[usize], heads: usize) -> Result<Tensor> {
        let (rows, hidden) = x.dims2()?;
        let batch = lengths.len();
        let d = hidden / heads;
        let qkv = self.qkv.forward(x)?.apply_op1_no_bwd(&SplitHeads {
            bias: &self.qkv_bias,
            batch,
            heads,
        })?;
        let (q, k, v) = (qkv.get(0)?, qkv.get(1)?, qkv.get(2)?);
        let probs = q.matmul(&k.t()?)?;
        probs.inplace_op1(&MaskedSoftmax {
            lengths,
            tokens: rows / batch,
            scale: 1.0 / (d as f32).sqrt(),
        })?;
        let context = probs.matmul(&v)?.transpose(1, 2)?.reshape((rows, hidden))?;
        let attended = self.attention_out.forward(&context)?;
        attended.inplace_op2(x, &self.attention_norm.op())?;
        let h = self.intermediate.forward(&attended)?;
        h.inplace_op1(&BiasGelu(&self.intermediate_bias))?;
        let out = self.output.forward(&h)?;
        out.inplace_op2(&attended, &self.output_norm.op())?;
        Ok(out)
    }
}

impl Norm {
    fn load(bias: Vec<f32>, h: usize, eps: f64, vb: &VarBuilder) -> Result<Self> {
        Ok(Norm {
            bias,
            weight: vb.get(h, "weight")?.to_vec1()?,
            shift: vb.get(h, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }

    fn op(&self) -> BiasResidualNorm<'_> {
        BiasResidualNorm {
            bias: &self.bias,
            weight: &self.weight,
            shift: &self.shift,
            eps: self.eps,
        }
    }
}

/// A `[out, in]` dense layer of `vb` without its bias, and the bias.
fn dense(inputs: usize, outputs: usize, vb: &VarBuilder) -> Result<(Linear, Vec<f32>)> {
    Ok((
        Linear::new(vb.get((outputs, inputs), "weight")?, None),
        vb.get(outputs, "bias")?.to_vec1()?,
    ))
}

/// The query, key and value projections of `vb` stacked into one `[3h, h]` layer, and
/// their biases.
fn fused_qkv(h: usize, vb: &VarBuilder) -> Result<(Linear, Vec<f32>)> {
    let (mut weights, mut bias) = (Vec::new(), Vec::new());
    for name in ["query", "key", "value"] {
        let (w, b) = dense(h, h, &vb.pp(name))?;
        weights.push(w.weight().clone());
        bias.extend(b);
    }
    Ok((Linear::new(Tensor::cat(&weights, 0)?, None), bias))
}

/// Loads weights from a safetensors file read into memory (no mmap: this crate forbids
/// `unsafe`).
pub fn load(config: &BertConfig, weights: Vec<u8>, device: &Device) -> Result<Bert> {
    let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, device)?;
    Bert::load(vb, config)
}
