//! A stand-in for an OpenAI-compatible chat API (`POST /v1/chat/completions`, streamed):
//! answers a FAQ made from the prompt's title, counts its calls, and can be slow, fail,
//! stop halfway or answer hostile Markdown.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// A well-formed FAQ, streamed in small pieces at once.
    Normal,
    /// The same, with this pause before each piece.
    Slow(Duration),
    /// HTTP 500.
    Fail,
    /// Markup that must never become live HTML, and math.
    Hostile,
    /// A few pieces, then the stream ends without the model finishing.
    CutShort,
}

/// What the hostile mode answers.
pub const HOSTILE: &str = "### What problem?\n\n<script>alert(1)</script>\n\n\
    [x](javascript:alert(1)) <img src=x onerror=alert(1)>\n\nThe ratio $\\frac{a}{b}$ matters.\n";

#[derive(Clone)]
struct Shared {
    calls: Arc<AtomicUsize>,
    mode: Arc<Mutex<Mode>>,
    /// The last request's body.
    last: Arc<Mutex<Option<serde_json::Value>>>,
}

pub struct StandIn {
    pub addr: SocketAddr,
    shared: Shared,
}

impl StandIn {
    pub async fn start(mode: Mode) -> StandIn {
        let shared = Shared {
            calls: Arc::default(),
            mode: Arc::new(Mutex::new(mode)),
            last: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", axum::routing::post(complete))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        StandIn { addr, shared }
    }

    /// The base URL to set as `PAPERS_LLM_URL`.
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn calls(&self) -> usize {
        self.shared.calls.load(Ordering::SeqCst)
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    pub fn last_request(&self) -> Option<serde_json::Value> {
        self.shared.last.lock().unwrap().clone()
    }
}

/// The FAQ the stand-in writes for a paper titled `title`.
pub fn answer(title: &str) -> String {
    format!(
        "### What problem does this paper try to solve?\n\nThe paper *{title}* asks how to \
         scale a model.\n\n### How does it solve the problem?\n\n- It trains with loss \
         $L = \\frac{{a}}{{b}}$.\n- It measures everything twice.\n\n### What are its \
         limitations?\n\nOnly one dataset.\n"
    )
}

async fn complete(State(shared): State<Shared>, Json(body): Json<serde_json::Value>) -> Response {
    shared.calls.fetch_add(1, Ordering::SeqCst);
    *shared.last.lock().unwrap() = Some(body.clone());
    let mode = *shared.mode.lock().unwrap();
    if mode == Mode::Fail {
        return (StatusCode::INTERNAL_SERVER_ERROR, "model crashed").into_response();
    }
    let prompt = body["messages"][1]["content"].as_str().unwrap_or_default();
    let title = prompt
        .lines()
        .find_map(|l| l.strip_prefix("Title: "))
        .unwrap_or("untitled")
        .to_string();
    let text = if mode == Mode::Hostile {
        HOSTILE.to_string()
    } else {
        answer(&title)
    };
    let pieces: Vec<String> = text
        .chars()
        .collect::<Vec<_>>()
        .chunks(12)
        .map(|c| c.iter().collect())
        .collect();
    let mut events: Vec<String> = pieces
        .iter()
        .map(|p| {
            let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"content": p}}]});
            format!("data: {chunk}\n\n")
        })
        .collect();
    if mode == Mode::CutShort {
        events.truncate(3);
    } else {
        events.push(
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                .into(),
        );
        events.push("data: [DONE]\n\n".into());
    }
    let pause = match mode {
        Mode::Slow(pause) => pause,
        _ => Duration::ZERO,
    };
    let stream = futures_util::stream::unfold(events.into_iter(), move |mut rest| async move {
        let next = rest.next()?;
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
        Some((Ok::<_, std::convert::Infallible>(next), rest))
    });
    Response::builder()
        .header("content-type", "text/event-stream")
        .body(Body::from_stream(stream))
        .unwrap()
}
