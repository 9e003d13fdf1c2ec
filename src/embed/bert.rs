//! A BERT encoder (the sentence-transformers layout, tensor names without a `bert.` prefix)
//! in candle: token ids and attention mask in, last hidden states out.

use candle_core::{DType, Device, Module, Result, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder, embedding, layer_norm, linear};
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
        let h = self.intermediate.forward(&x)?.gelu_erf()?;
        self.output_norm.forward(&(self.output.forward(&h)? + x)?)
    }
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
