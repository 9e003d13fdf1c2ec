//! The admin pages and API: venue import jobs (start, watch, cancel, retry), behind the
//! `PAPERS_ADMIN_TOKEN` secret. No token configured means no admin at all (404).

use super::admin_session::{LoginLimiter, SESSION_TTL, Sessions};
use super::error::PageError;
use super::{AppError, AppState};
use crate::store::{Job, JobStatus};
use crate::venues::{ImportRequest, Source, worker::KIND};
use askama::Template;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use cookie::{Cookie, SameSite};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Jobs listed at most.
const LISTED: i64 = 100;
/// The session cookie of a logged-in admin.
const COOKIE: &str = "papers_admin";

/// The admin secret, the sessions of those who logged in with it, and failed logins.
pub struct Admin {
    token: String,
    /// The CSRF token every admin form carries (a digest of the token, never the token).
    csrf: String,
    sessions: Sessions,
    logins: LoginLimiter,
}

impl Admin {
    /// `None` (admin disabled) for a missing or blank token.
    pub fn new(token: Option<String>) -> Option<Self> {
        let token = token.filter(|t| !t.trim().is_empty())?;
        let mut h = Sha256::new();
        h.update(b"papers admin csrf\0");
        h.update(token.as_bytes());
        let csrf = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Some(Admin {
            token,
            csrf,
            sessions: Sessions::default(),
            logins: LoginLimiter::default(),
        })
    }
}

fn same(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Proof that the request carries the admin token (`Authorization: Bearer …`), or, on the
/// HTML routes only, the session cookie. Refusals are logged without anything the client
/// sent.
pub struct Authorized;

impl FromRequestParts<AppState> for Authorized {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let admin = state.admin.as_ref().ok_or(AppError::NotFound)?;
        let cookie_ok = !parts.uri.path().starts_with("/api/");
        if authorized(admin, &parts.headers, cookie_ok) {
            return Ok(Authorized);
        }
        tracing::warn!(path = %parts.uri.path(), "admin request refused: no valid token");
        Err(AppError::Unauthorized)
    }
}

fn authorized(admin: &Admin, headers: &HeaderMap, cookie_ok: bool) -> bool {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(token) = bearer {
        return same(token.trim(), &admin.token);
    }
    cookie_ok && request_cookie(headers, COOKIE).is_some_and(|id| admin.sessions.valid(&id))
}

/// The value of the request's cookie `name` (RFC 6265 `Cookie` headers, parsed by `cookie`).
fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_string())
}

/// The admin session cookie: `HttpOnly`, `SameSite=Strict`, for the whole site, lasting
/// `max_age` (zero ends it), `Secure` when clients come over HTTPS.
fn session_cookie(value: String, max_age: std::time::Duration, secure: bool) -> String {
    Cookie::build((COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .max_age(cookie::time::Duration::seconds(max_age.as_secs() as i64))
        .secure(secure)
        .build()
        .to_string()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/imports", post(form_start))
        .route("/admin/imports/{id}/{action}", post(form_action))
        .route("/api/admin/imports", post(api_start).get(api_list))
        .route("/api/admin/imports/{id}", get(api_job))
        .route("/api/admin/imports/{id}/{action}", post(api_action))
}

/// A job as the API and the page show it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobView {
    id: i64,
    status: JobStatus,
    venue: String,
    year: u16,
    source: String,
    fetched: i64,
    stored: i64,
    skipped: i64,
    error: Option<String>,
    /// The job's last report.
    message: String,
    /// Records fetched per second while it ran.
    rate: f64,
    /// Unix seconds.
    created: i64,
    started: Option<i64>,
    finished: Option<i64>,
}

impl From<Job> for JobView {
    fn from(job: Job) -> Self {
        let req: Option<ImportRequest> = serde_json::from_str(&job.params).ok();
        let source = req.as_ref().map_or(String::new(), |r| {
            let name = r.source().name();
            match &r.from_file {
                Some(path) => format!("{name} file {}", path.display()),
                None => name.to_string(),
            }
        });
        let seconds = match (job.started, job.finished.or(job.heartbeat)) {
            (Some(a), Some(b)) if b > a => (b - a) as f64,
            _ => 0.0,
        };
        JobView {
            id: job.id,
            status: job.status,
            venue: req.as_ref().map_or(String::new(), |r| r.venue.clone()),
            year: req.as_ref().map_or(0, |r| r.year),
            source,
            fetched: job.fetched,
            stored: job.stored,
            skipped: job.skipped,
            error: job.error,
            message: job.message,
            rate: if seconds > 0.0 {
                (job.fetched as f64 / seconds * 10.0).round() / 10.0
            } else {
                0.0
            },
            created: job.created,
            started: job.started,
            finished: job.finished,
        }
    }
}

/// What starts an import: `{"venue": "ICLR", "year": 2024}`, optionally `source`
/// (`openreview`, `openreview-v1`, `pmlr`) and `include_rejected`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StartImport {
    /// `ICLR` or `ICML` (any case).
    #[schema(pattern = "^\\s*([Ii][Cc][Ll][Rr]|[Ii][Cc][Mm][Ll])\\s*$")]
    venue: String,
    #[schema(minimum = 2013, maximum = 2100)]
    year: u16,
    #[serde(default)]
    source: Option<Source>,
    #[serde(default)]
    include_rejected: bool,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Queued {
    id: i64,
    status: JobStatus,
}

async fn start(state: &AppState, body: StartImport) -> Result<Job, AppError> {
    let req = ImportRequest {
        venue: body.venue,
        year: body.year,
        source: body.source,
        from_file: None,
        format: None,
        include_rejected: body.include_rejected,
    }
    .validated()
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let params = serde_json::to_string(&req).map_err(|e| AppError::Internal(e.into()))?;
    let job = state.store.create_job(KIND, &params).await?;
    tracing::info!(job = job.id, %params, "import queued");
    Ok(job)
}

/// Queues an import of a venue edition; a background worker of `papers serve` runs it.
#[utoipa::path(
    post,
    path = "/api/admin/imports",
    request_body = StartImport,
    security(("admin_token" = [])),
    responses(
        (status = 202, description = "Queued", body = Queued),
        (status = 400, description = "Unknown venue, bad year or body", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = super::error::ErrorBody),
    )
)]
pub async fn api_start(
    _: Authorized,
    State(state): State<AppState>,
    body: Result<Json<StartImport>, JsonRejection>,
) -> Result<(StatusCode, Json<Queued>), AppError> {
    let Json(body) = body?;
    let job = start(&state, body).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Queued {
            id: job.id,
            status: job.status,
        }),
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct JobList {
    jobs: Vec<JobView>,
}

/// The latest import jobs, newest first, with their progress.
#[utoipa::path(
    get,
    path = "/api/admin/imports",
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "Jobs", body = JobList),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
    )
)]
pub async fn api_list(
    _: Authorized,
    State(state): State<AppState>,
) -> Result<Json<JobList>, AppError> {
    let jobs = state.store.jobs(LISTED).await?;
    Ok(Json(JobList {
        jobs: jobs.into_iter().map(JobView::from).collect(),
    }))
}

/// One import job: `status` is `queued`, `running`, `done`, `failed` or `cancelled`.
#[utoipa::path(
    get,
    path = "/api/admin/imports/{id}",
    params(("id" = i64, Path, description = "Job id", minimum = 1, maximum = 2147483647)),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The job", body = JobView),
        (status = 400, description = "Not a job id", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
        (status = 404, description = "No such job", body = super::error::ErrorBody),
    )
)]
pub async fn api_job(
    _: Authorized,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<JobView>, AppError> {
    let job = state.store.job(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(job.into()))
}

/// `cancel` (a queued or running job) or `retry` (a failed or cancelled one, resuming
/// from its checkpoint).
#[utoipa::path(
    post,
    path = "/api/admin/imports/{id}/{action}",
    params(
        ("id" = i64, Path, description = "Job id", minimum = 1, maximum = 2147483647),
        ("action" = String, Path, description = "`cancel` or `retry`", pattern = "^(cancel|retry)$"),
    ),
    security(("admin_token" = [])),
    responses(
        (status = 200, description = "The job after the action", body = JobView),
        (status = 400, description = "Not a job id", body = super::error::ErrorBody),
        (status = 401, description = "Missing or wrong token", body = super::error::ErrorBody),
        (status = 404, description = "No such job or action", body = super::error::ErrorBody),
        (status = 409, description = "The job is not in a state the action applies to", body = super::error::ErrorBody),
    )
)]
pub async fn api_action(
    _: Authorized,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
) -> Result<Json<JobView>, AppError> {
    act(&state, id, &action).await?;
    let job = state.store.job(id).await?.ok_or(AppError::NotFound)?;
    Ok(Json(job.into()))
}

async fn act(state: &AppState, id: i64, action: &str) -> Result<(), AppError> {
    let job = state.store.job(id).await?.ok_or(AppError::NotFound)?;
    let done = match action {
        "cancel" => state.store.cancel_job(id).await?,
        "retry" => state.store.retry_job(id).await?,
        _ => return Err(AppError::NotFound),
    };
    if !done {
        return Err(AppError::Conflict(format!(
            "job {id} is {}: cannot {action} it",
            job.status.as_str()
        )));
    }
    tracing::info!(job = id, action, "admin action");
    Ok(())
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    logged_in: bool,
    refused: bool,
    csrf: String,
    jobs: Vec<JobView>,
    /// Some job is queued or running: the page refreshes itself.
    live: bool,
    venues: &'static [&'static str],
    /// With the FAQ on: its pre-generation run, if one was started.
    faq: Option<Option<crate::faq::pregen::RunStatus>>,
}

fn render(page: AdminPage, status: StatusCode) -> Result<Response, PageError> {
    let html = page.render().map_err(|e| AppError::Internal(e.into()))?;
    Ok((status, Html(html)).into_response())
}

fn login_page(status: StatusCode, refused: bool) -> Result<Response, PageError> {
    render(
        AdminPage {
            logged_in: false,
            refused,
            csrf: String::new(),
            jobs: Vec::new(),
            live: false,
            venues: &crate::venues::VENUES,
            faq: None,
        },
        status,
    )
}

/// `/admin`: the login form, or the jobs with a form to start one.
async fn page(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let admin = state.admin.as_ref().ok_or(AppError::NotFound)?;
    if !authorized(admin, &headers, true) {
        return login_page(StatusCode::UNAUTHORIZED, false);
    }
    let jobs: Vec<JobView> = state
        .store
        .jobs(LISTED)
        .await?
        .into_iter()
        .map(JobView::from)
        .collect();
    let faq = state.faq.as_ref().map(|f| f.run_status());
    let faq_running = faq.iter().flatten().any(|r| r.running);
    let live = faq_running
        || jobs
            .iter()
            .any(|j| matches!(j.status, JobStatus::Queued | JobStatus::Running));
    render(
        AdminPage {
            logged_in: true,
            refused: false,
            csrf: admin.csrf.clone(),
            jobs,
            live,
            venues: &crate::venues::VENUES,
            faq,
        },
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
struct LoginForm {
    token: String,
}

async fn login(
    State(state): State<AppState>,
    client: super::ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let admin = state.admin.as_ref().ok_or(AppError::NotFound)?;
    if let Some(wait) = client.0.and_then(|ip| admin.logins.wait(ip)) {
        tracing::warn!("admin login refused: too many failed attempts from this address");
        let message = format!("too many failed logins from this address; try again in {wait} s");
        return Err(AppError::RateLimited(message, wait).into());
    }
    if !same(form.token.trim(), &admin.token) {
        if let Some(ip) = client.0 {
            admin.logins.failed(ip);
        }
        tracing::warn!("admin login refused: wrong token");
        return login_page(StatusCode::UNAUTHORIZED, true);
    }
    if let Some(ip) = client.0 {
        admin.logins.succeeded(ip);
    }
    let cookie = session_cookie(
        admin.sessions.start(),
        SESSION_TTL,
        super::feeds::is_https(&state, &headers),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/admin")).into_response())
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf: String,
}

async fn logout(
    _: Authorized,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &form.csrf)?;
    if let (Some(admin), Some(id)) = (&state.admin, request_cookie(&headers, COOKIE)) {
        admin.sessions.end(&id);
    }
    let cookie = session_cookie(
        String::new(),
        std::time::Duration::ZERO,
        super::feeds::is_https(&state, &headers),
    );
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/admin")).into_response())
}

pub(super) fn check_csrf(state: &AppState, csrf: &str) -> Result<(), AppError> {
    let admin = state.admin.as_ref().ok_or(AppError::NotFound)?;
    if same(csrf, &admin.csrf) {
        Ok(())
    } else {
        tracing::warn!("admin form refused: bad CSRF token");
        Err(AppError::BadRequest(
            "the form has expired; reload the page".into(),
        ))
    }
}

#[derive(Deserialize)]
struct StartForm {
    csrf: String,
    venue: String,
    year: u16,
    source: String,
    #[serde(default)]
    include_rejected: Option<String>,
}

async fn form_start(
    _: Authorized,
    State(state): State<AppState>,
    Form(form): Form<StartForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &form.csrf)?;
    let source = match form.source.as_str() {
        "" | "default" => None,
        s => Some(
            [Source::Openreview, Source::OpenreviewV1, Source::Pmlr]
                .into_iter()
                .find(|known| known.name() == s)
                .ok_or_else(|| AppError::BadRequest(format!("unknown source {s:?}")))?,
        ),
    };
    start(
        &state,
        StartImport {
            venue: form.venue,
            year: form.year,
            source,
            include_rejected: form.include_rejected.is_some(),
        },
    )
    .await?;
    Ok(Redirect::to("/admin").into_response())
}

async fn form_action(
    _: Authorized,
    State(state): State<AppState>,
    Path((id, action)): Path<(i64, String)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, PageError> {
    check_csrf(&state, &form.csrf)?;
    act(&state, id, &action).await?;
    Ok(Redirect::to("/admin").into_response())
}
