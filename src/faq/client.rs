//! A streaming client for any OpenAI-compatible `/chat/completions` endpoint (OpenAI, Ollama,
//! vLLM, llama.cpp's server, LM Studio).

use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// Longest answer accepted, in bytes; a model that runs on past it is cut off as failed.
const MAX_ANSWER: usize = 64 * 1024;

/// Why no complete answer came.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChatError {
    /// Not reachable, an error status, too slow, or not speaking the protocol.
    #[error("the language model at {url} is unavailable: {reason}")]
    Unavailable { url: String, reason: String },
    /// The stream stopped before the model said it had finished.
    #[error("the language model's answer was cut short: {0}")]
    CutShort(String),
}

pub struct ChatClient {
    client: reqwest::Client,
    url: String,
    model: String,
    api_key: Option<String>,
    timeout: Duration,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    #[serde(default)]
    delta: Option<Message>,
    /// Servers that ignore `stream: true` answer with one whole message.
    #[serde(default)]
    message: Option<Message>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

impl ChatClient {
    /// `base` is the API's base URL (`http://127.0.0.1:11434/v1`) or the full endpoint.
    pub fn new(base: &str, model: &str, api_key: Option<String>, timeout: Duration) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let base = base.trim_end_matches('/');
        let url = if base.ends_with("/chat/completions") {
            base.to_string()
        } else {
            format!("{base}/chat/completions")
        };
        let client = reqwest::Client::builder()
            .user_agent(concat!("papers/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .expect("the HTTP client configuration is static and valid");
        ChatClient {
            client,
            url,
            model: model.to_string(),
            api_key,
            timeout,
        }
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// Asks the model and hands each piece of the answer to `on_text` as it arrives. Succeeds
    /// only when the model finished (`[DONE]` or a `stop` finish reason) within the timeout.
    pub async fn complete(
        &self,
        system: &str,
        user: &str,
        mut on_text: impl FnMut(&str) + Send,
    ) -> Result<(), ChatError> {
        match tokio::time::timeout(self.timeout, self.stream(system, user, &mut on_text)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(self.unavailable(format!(
                "no complete answer within {} s (PAPERS_LLM_TIMEOUT_SECS)",
                self.timeout.as_secs()
            ))),
        }
    }

    fn unavailable(&self, reason: impl Into<String>) -> ChatError {
        ChatError::Unavailable {
            url: self.url.clone(),
            reason: reason.into(),
        }
    }

    async fn stream(
        &self,
        system: &str,
        user: &str,
        on_text: &mut (impl FnMut(&str) + Send),
    ) -> Result<(), ChatError> {
        let body = json!({
            "model": self.model,
            "stream": true,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
        });
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| self.unavailable(describe(e)))?;
        let status = response.status();
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            let cut: String = text.chars().take(200).collect();
            return Err(self.unavailable(format!("HTTP {status}: {cut}")));
        }
        let mut answer = Answer::default();
        let mut pending = Vec::new();
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|e| ChatError::CutShort(describe(e)))?;
            let Some(chunk) = chunk else { break };
            pending.extend_from_slice(&chunk);
            while let Some(end) = pending.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = pending.drain(..=end).collect();
                answer.line(&line, on_text)?;
            }
            if answer.finished {
                return Ok(());
            }
        }
        answer.line(&pending, on_text)?;
        if answer.finished {
            Ok(())
        } else {
            Err(ChatError::CutShort(
                "the stream ended before the model finished".into(),
            ))
        }
    }
}

/// What came so far.
#[derive(Default)]
struct Answer {
    bytes: usize,
    finished: bool,
}

impl Answer {
    /// One line of the event stream (or of a whole JSON answer from a server that does not
    /// stream).
    fn line(&mut self, line: &[u8], on_text: &mut impl FnMut(&str)) -> Result<(), ChatError> {
        let line = String::from_utf8_lossy(line);
        let line = line.trim();
        let data = match line.strip_prefix("data:") {
            Some(data) => data.trim(),
            None if line.starts_with('{') => line,
            None => return Ok(()), // comments, `event:` and blank lines
        };
        if data == "[DONE]" {
            self.finished = true;
            return Ok(());
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|e| ChatError::CutShort(format!("not a chat completion chunk: {e}")))?;
        for choice in chunk.choices {
            let text = choice.delta.or(choice.message).and_then(|m| m.content);
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                self.bytes += text.len();
                if self.bytes > MAX_ANSWER {
                    return Err(ChatError::CutShort(format!(
                        "the answer ran past {MAX_ANSWER} bytes"
                    )));
                }
                on_text(&text);
            }
            match choice.finish_reason.as_deref() {
                None | Some("") => {}
                Some("stop") => self.finished = true,
                Some(other) => {
                    return Err(ChatError::CutShort(format!("finish reason {other:?}")));
                }
            }
        }
        Ok(())
    }
}

/// reqwest's message without the URL (which could carry credentials in its query).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}
