//! Notification sinks named in a plan's `notify` list: every cutover event is also sent to a
//! webhook (the event's JSON, as `--json` prints it) or to a Slack incoming webhook (the
//! event in words). URLs and headers are secrets: they never appear in Debug output, errors,
//! logs or journals.
//!
//! [`Notifier`] is the runtime: an [`Observer`] that queues each event without blocking and
//! delivers it from a background task per sink, in order, with bounded retries. A sink that
//! fails or hangs never blocks or fails the run; what it costs is counted ([`NotifyStats`])
//! and reported once through a warning callback.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, mpsc};

use super::events::{CutoverEvent, EventRecord, Observer};
use crate::{Error, Result};

/// What a redacted URL or header value reads as.
pub const REDACTED: &str = "(redacted)";

/// One notification sink of a plan.
///
/// JSON: `{"type": "webhook", "url": "https://...", "headers": {"Authorization": "..."}}` or
/// `{"type": "slack", "webhook_url": "https://hooks.slack.com/services/..."}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum NotifySink {
    /// A POST of each event's JSON.
    Webhook {
        /// Where to POST (http or https).
        url: String,
        /// Extra request headers (e.g. an authorization token).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, String>,
    },
    /// A Slack incoming webhook: each event as a line of text.
    Slack {
        /// The incoming webhook's URL.
        webhook_url: String,
    },
}

impl std::fmt::Debug for NotifySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotifySink::Webhook { url, headers } => f
                .debug_struct("Webhook")
                .field("url", &redact_url(url))
                .field("headers", &headers.keys().collect::<Vec<_>>())
                .finish(),
            NotifySink::Slack { webhook_url } => f
                .debug_struct("Slack")
                .field("webhook_url", &redact_url(webhook_url))
                .finish(),
        }
    }
}

/// A URL with everything after its host replaced (`https://hooks.slack.com/(redacted)`), and
/// any user:password dropped: enough to say where events go without giving the secret away.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s, r),
        None => return REDACTED.into(),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    format!("{scheme}://{host}/{REDACTED}")
}

impl NotifySink {
    /// The sink's type name (`webhook`, `slack`).
    pub fn kind(&self) -> &'static str {
        match self {
            NotifySink::Webhook { .. } => "webhook",
            NotifySink::Slack { .. } => "slack",
        }
    }

    /// The URL events are sent to.
    pub fn url(&self) -> &str {
        match self {
            NotifySink::Webhook { url, .. } => url,
            NotifySink::Slack { webhook_url } => webhook_url,
        }
    }

    /// The same sink with its URL and header values redacted (what a journal keeps).
    pub fn redacted(&self) -> NotifySink {
        match self {
            NotifySink::Webhook { url, headers } => NotifySink::Webhook {
                url: redact_url(url),
                headers: headers
                    .keys()
                    .map(|k| (k.clone(), REDACTED.to_owned()))
                    .collect(),
            },
            NotifySink::Slack { webhook_url } => NotifySink::Slack {
                webhook_url: redact_url(webhook_url),
            },
        }
    }

    /// Checks the sink: an http(s) URL with a host, header names that HTTP allows. Errors
    /// never quote the URL (it is a secret); they name the field.
    pub fn validate(&self) -> Result<()> {
        let field = match self {
            NotifySink::Webhook { .. } => "url",
            NotifySink::Slack { .. } => "webhook_url",
        };
        let url = self.url();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"));
        let host_ok = rest
            .map(|r| r.split(['/', '?', '#']).next().unwrap_or(""))
            .map(|a| a.rsplit('@').next().unwrap_or(""))
            .is_some_and(|h| !h.is_empty() && !h.contains(char::is_whitespace));
        if !host_ok {
            return Err(Error::invalid_input(format!(
                "the {} sink's {field} must be an http:// or https:// URL with a host (the \
                 value is not shown: it is treated as a secret)",
                self.kind()
            ))
            .at(field));
        }
        if let NotifySink::Webhook { headers, .. } = self {
            for name in headers.keys() {
                let token = !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
                if !token {
                    return Err(Error::invalid_input(format!(
                        "{name:?} is not an HTTP header name"
                    ))
                    .at(format!("headers.{name}")));
                }
            }
        }
        Ok(())
    }
}

/// Longest pause between two attempts, whatever the backoff or a `Retry-After` asks for.
pub const MAX_RETRY_WAIT: Duration = Duration::from_secs(5);

/// Most of an answer's body that is read (and thrown away) so that the connection can be
/// reused; a longer body just closes it.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Tunables of a [`Notifier`]. The defaults suit real webhooks; tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyOptions {
    /// Time allowed for one POST, from connecting to the end of the answer (default 5 s).
    pub attempt_timeout: Duration,
    /// Attempts per event, the first included (default 3). Connection failures, timeouts,
    /// 5xx and 429 are retried; other answers are not. Once a sink has given up on an event,
    /// later events get a single attempt each until one is delivered again, so that a dead
    /// sink does not fall further and further behind.
    pub attempts: u32,
    /// Pause before the first retry, doubled before each next one (default 500 ms), at most
    /// [`MAX_RETRY_WAIT`]; a 429 or 503 answer's `Retry-After` (in seconds) replaces it.
    pub backoff: Duration,
    /// Events waiting per sink (default 1024). When a sink's queue is full, new events for it
    /// are dropped and counted, never waited for.
    pub queue_capacity: usize,
}

impl Default for NotifyOptions {
    fn default() -> Self {
        NotifyOptions {
            attempt_timeout: Duration::from_secs(5),
            attempts: 3,
            backoff: Duration::from_millis(500),
            queue_capacity: 1024,
        }
    }
}

/// What a [`Notifier`] did for each of its sinks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NotifyStats {
    /// One entry per sink, in the plan's order.
    pub sinks: Vec<SinkStats>,
}

impl NotifyStats {
    /// Events delivered, over every sink.
    pub fn delivered(&self) -> u64 {
        self.sinks.iter().map(|s| s.delivered).sum()
    }

    /// Events given up, over every sink.
    pub fn failed(&self) -> u64 {
        self.sinks.iter().map(|s| s.failed).sum()
    }

    /// Events dropped because a queue was full, over every sink.
    pub fn dropped(&self) -> u64 {
        self.sinks.iter().map(|s| s.dropped).sum()
    }

    /// Events still queued or being sent, over every sink.
    pub fn pending(&self) -> u64 {
        self.sinks.iter().map(|s| s.pending).sum()
    }
}

/// The counts of one sink. `events = delivered + failed + dropped + pending`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SinkStats {
    /// The sink's type and redacted URL (`slack https://hooks.slack.com/(redacted)`).
    pub sink: String,
    /// Events handed to this sink (a `notify_failed` event is not sent to the sink it is
    /// about).
    pub events: u64,
    /// Delivered: the sink answered 2xx.
    pub delivered: u64,
    /// Given up: after the last attempt, on an answer that is not retried (a 4xx other than
    /// 429, a redirect), with no tokio runtime to send from, or still queued when the runtime
    /// that was sending stopped.
    pub failed: u64,
    /// Dropped without an attempt: the sink's queue was full.
    pub dropped: u64,
    /// Queued or being sent.
    pub pending: u64,
}

/// How an event ended for one sink.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Delivered,
    Failed,
    Dropped,
}

/// One sink as its delivery task sees it. It holds no queue sender, so dropping the
/// [`Notifier`] closes the queues and each task ends once it has sent what was queued.
struct Target {
    /// `webhook https://host/(redacted)`: the only way the sink is ever named.
    label: String,
    slack: bool,
    url: reqwest::Url,
    /// Content-Type and the configured headers (marked sensitive).
    headers: HeaderMap,
    events: AtomicU64,
    delivered: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    /// The sink gave up on its last event: later events get one attempt each, and their
    /// failures are counted, not reported again, until one is delivered.
    failing: AtomicBool,
    /// Woken whenever an event of any sink ends (shared by every sink; `flush` waits on it).
    progress: Arc<Notify>,
}

impl Target {
    fn end(&self, fate: Fate) {
        let counter = match fate {
            Fate::Delivered => &self.delivered,
            Fate::Failed => &self.failed,
            Fate::Dropped => &self.dropped,
        };
        counter.fetch_add(1, Ordering::SeqCst);
        self.progress.notify_waiters();
    }

    fn ended(&self) -> u64 {
        self.delivered.load(Ordering::SeqCst)
            + self.failed.load(Ordering::SeqCst)
            + self.dropped.load(Ordering::SeqCst)
    }

    fn stats(&self) -> SinkStats {
        let events = self.events.load(Ordering::SeqCst);
        let delivered = self.delivered.load(Ordering::SeqCst);
        let failed = self.failed.load(Ordering::SeqCst);
        let dropped = self.dropped.load(Ordering::SeqCst);
        SinkStats {
            sink: self.label.clone(),
            events,
            delivered,
            failed,
            dropped,
            pending: events.saturating_sub(delivered + failed + dropped),
        }
    }
}

/// An event's place in one sink's counts. Whoever finishes with the event ends the ticket
/// with its fate; a ticket dropped without one (its queue was dropped with a stopped
/// runtime) counts as failed, so that `flush` never waits for an event that is gone.
struct Ticket(Option<Arc<Target>>);

impl Ticket {
    fn end(mut self, fate: Fate) {
        if let Some(t) = self.0.take() {
            t.end(fate);
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.end(Fate::Failed);
        }
    }
}

/// One event for one sink.
struct Job {
    body: Arc<str>,
    /// The event is itself a `notify_failed`: its own failure is counted, never reported
    /// (reporting it would emit another one, and two dead sinks would feed each other).
    notice: bool,
    ticket: Ticket,
}

/// What every delivery task shares.
struct Shared {
    client: reqwest::Client,
    options: NotifyOptions,
    on_warning: Arc<dyn Fn(CutoverEvent) + Send + Sync>,
}

/// A sink with its queue (created, with its delivery task, by the first event).
struct Slot {
    target: Arc<Target>,
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    /// Events are being dropped: the queue was full and has not drained to half since.
    overflowing: AtomicBool,
}

enum Queued {
    /// In the queue, which has `room` free places left.
    Yes {
        room: usize,
    },
    Full,
    NoRuntime,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Sends every cutover event to the plan's notification sinks: an [`Observer`] to add to a
/// [`Cutover`](super::Cutover).
///
/// `on_event` never waits on the network: it puts the event in each sink's bounded queue
/// (dropping and counting it when the queue is full) and returns. One background task per
/// sink, spawned on the tokio runtime current at the first event, sends the events in order,
/// each POST with a timeout and bounded retries. When a sink gives up, `on_warning` gets one
/// sentence (the [`CutoverEvent::NotifyFailed`] description) naming the sink by its type and
/// redacted URL; later failures of that sink are only counted until it delivers again. Nothing
/// here fails or slows the run. `Debug` shows the sinks redacted.
pub struct Notifier {
    shared: Arc<Shared>,
    slots: Vec<Slot>,
    /// The sinks as `Debug` shows them.
    redacted: Vec<NotifySink>,
    progress: Arc<Notify>,
    /// The warning about a missing runtime was given.
    no_runtime_warned: AtomicBool,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("sinks", &self.redacted)
            .field("options", &self.shared.options)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Notifier {
    /// A notifier for `sinks` with the default [`NotifyOptions`]: one HTTP client (rustls)
    /// for all of them. No network traffic happens here.
    ///
    /// Errors (`invalid_input`, never quoting a URL or a header value): a sink that does not
    /// [validate](NotifySink::validate), a URL that cannot be parsed, a header value that
    /// cannot be sent.
    pub fn new(
        sinks: &[NotifySink],
        on_warning: Arc<dyn Fn(CutoverEvent) + Send + Sync>,
    ) -> Result<Notifier> {
        Notifier::with_options(sinks, NotifyOptions::default(), on_warning)
    }

    /// [`Notifier::new`] with other timeouts, retries or queue size (`invalid_input` for a
    /// zero timeout, zero attempts or an empty queue).
    pub fn with_options(
        sinks: &[NotifySink],
        options: NotifyOptions,
        on_warning: Arc<dyn Fn(CutoverEvent) + Send + Sync>,
    ) -> Result<Notifier> {
        if options.attempt_timeout.is_zero() {
            return Err(
                Error::invalid_input("the notification timeout must be greater than zero")
                    .at("attempt_timeout"),
            );
        }
        if options.attempts == 0 {
            return Err(
                Error::invalid_input("notifications need at least one attempt").at("attempts"),
            );
        }
        if options.queue_capacity == 0 {
            return Err(Error::invalid_input(
                "the notification queue must hold at least one event",
            )
            .at("queue_capacity"));
        }
        let progress = Arc::new(Notify::new());
        let mut slots = Vec::with_capacity(sinks.len());
        for (i, sink) in sinks.iter().enumerate() {
            let at = format!("notify[{i}]");
            sink.validate().map_err(|e| e.at(at.clone()))?;
            let url = reqwest::Url::parse(sink.url()).map_err(|_| {
                Error::invalid_input(format!(
                    "the {} sink's URL cannot be parsed (the value is not shown: it is treated \
                     as a secret)",
                    sink.kind()
                ))
                .at(at.clone())
            })?;
            let mut headers = HeaderMap::new();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if let NotifySink::Webhook { headers: extra, .. } = sink {
                for (name, value) in extra {
                    let bad = || {
                        Error::invalid_input(format!(
                            "header {name:?} of the webhook sink cannot be sent (its value is \
                             not shown: it is treated as a secret)"
                        ))
                        .at(format!("{at}.headers.{name}"))
                    };
                    let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| bad())?;
                    let mut value = HeaderValue::from_str(value).map_err(|_| bad())?;
                    value.set_sensitive(true);
                    headers.insert(name, value);
                }
            }
            slots.push(Slot {
                target: Arc::new(Target {
                    label: format!("{} {}", sink.kind(), redact_url(sink.url())),
                    slack: matches!(sink, NotifySink::Slack { .. }),
                    url,
                    headers,
                    events: AtomicU64::new(0),
                    delivered: AtomicU64::new(0),
                    failed: AtomicU64::new(0),
                    dropped: AtomicU64::new(0),
                    failing: AtomicBool::new(false),
                    progress: progress.clone(),
                }),
                queue: Mutex::new(None),
                overflowing: AtomicBool::new(false),
            });
        }
        crate::heroku::api::ensure_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(concat!("dynoshift-notify/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(options.attempt_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::internal(format!(
                    "cannot build the HTTP client for notifications: {}",
                    crate::heroku::api::describe(&e.without_url())
                ))
            })?;
        Ok(Notifier {
            shared: Arc::new(Shared {
                client,
                options,
                on_warning,
            }),
            slots,
            redacted: sinks.iter().map(NotifySink::redacted).collect(),
            progress,
            no_runtime_warned: AtomicBool::new(false),
        })
    }

    /// Waits, up to `timeout`, until every event queued before this call is delivered, given
    /// up or dropped; true if they all are (false: some were still pending at the timeout,
    /// and go on being sent in the background). The future does not borrow the notifier.
    pub fn flush(
        &self,
        timeout: Duration,
    ) -> impl std::future::Future<Output = bool> + Send + 'static {
        let goals: Vec<(Arc<Target>, u64)> = self
            .slots
            .iter()
            .map(|s| (s.target.clone(), s.target.events.load(Ordering::SeqCst)))
            .collect();
        let progress = self.progress.clone();
        async move {
            let settled = || goals.iter().all(|(t, n)| t.ended() >= *n);
            let wait = async {
                loop {
                    let notified = progress.notified();
                    let mut notified = std::pin::pin!(notified);
                    // Registered before the check, so that no wake-up is missed in between.
                    notified.as_mut().enable();
                    if settled() {
                        return;
                    }
                    notified.await;
                }
            };
            tokio::time::timeout(timeout, wait).await.is_ok()
        }
    }

    /// Delivered / failed / dropped / pending counts per sink, in the plan's order.
    pub fn stats(&self) -> NotifyStats {
        NotifyStats {
            sinks: self.slots.iter().map(|s| s.target.stats()).collect(),
        }
    }

    /// Puts `job` in the slot's queue, starting the queue and its delivery task on the current
    /// runtime when there is none yet (or the runtime of the last one stopped). Never waits.
    fn enqueue(&self, slot: &Slot, job: Job) -> Queued {
        let mut queue = lock(&slot.queue);
        let job = match queue.as_ref() {
            Some(tx) => match tx.try_send(job) {
                Ok(()) => {
                    return Queued::Yes {
                        room: tx.capacity(),
                    };
                }
                Err(mpsc::error::TrySendError::Full(job)) => {
                    job.ticket.end(Fate::Dropped);
                    return Queued::Full;
                }
                // The task is gone (its runtime stopped): start another one below.
                Err(mpsc::error::TrySendError::Closed(job)) => job,
            },
            None => job,
        };
        *queue = None;
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            job.ticket.end(Fate::Failed);
            return Queued::NoRuntime;
        };
        let (tx, rx) = mpsc::channel(self.shared.options.queue_capacity);
        runtime.spawn(deliver_all(self.shared.clone(), slot.target.clone(), rx));
        if let Err(e) = tx.try_send(job) {
            // A fresh queue has room: only a runtime that dropped the task already gets here.
            e.into_inner().ticket.end(Fate::Failed);
        }
        let room = tx.capacity();
        *queue = Some(tx);
        Queued::Yes { room }
    }
}

impl Observer for Notifier {
    fn on_event(&self, rec: &EventRecord) {
        let (notice, about) = match &rec.event {
            CutoverEvent::NotifyFailed { sink, .. } => (true, Some(sink.as_str())),
            _ => (false, None),
        };
        let mut webhook_body: Option<Arc<str>> = None;
        let mut slack_body: Option<Arc<str>> = None;
        let mut warnings = Vec::new();
        let mut no_runtime = Vec::new();
        for slot in &self.slots {
            let target = &slot.target;
            if about == Some(target.label.as_str()) {
                continue;
            }
            let body = if target.slack {
                slack_body.get_or_insert_with(|| {
                    let text = format!("{}: {}", rec.run_id, rec.event.describe());
                    serde_json::json!({ "text": text }).to_string().into()
                })
            } else {
                webhook_body.get_or_insert_with(|| rec.to_json().into())
            };
            target.events.fetch_add(1, Ordering::SeqCst);
            let job = Job {
                body: body.clone(),
                notice,
                ticket: Ticket(Some(target.clone())),
            };
            match self.enqueue(slot, job) {
                Queued::Yes { room } => {
                    if room > self.shared.options.queue_capacity / 2 {
                        slot.overflowing.store(false, Ordering::SeqCst);
                    }
                }
                Queued::Full => {
                    if !notice && !slot.overflowing.swap(true, Ordering::SeqCst) {
                        warnings.push(CutoverEvent::NotifyFailed {
                            sink: target.label.clone(),
                            reason: format!(
                                "its queue of {} events is full (the sink is slow or down): \
                                     new events are dropped and counted until it catches up",
                                self.shared.options.queue_capacity
                            ),
                        });
                    }
                }
                Queued::NoRuntime => no_runtime.push(target.label.as_str()),
            }
        }
        if !no_runtime.is_empty() && !notice && !self.no_runtime_warned.swap(true, Ordering::SeqCst)
        {
            warnings.push(CutoverEvent::NotifyFailed {
                sink: no_runtime.join(", "),
                reason: "no tokio runtime is running where the events are emitted, so none \
                             can be sent; they are counted as failed"
                    .into(),
            });
        }
        // After the queue locks are released: the callback may emit events of its own.
        for w in warnings {
            (self.shared.on_warning)(w);
        }
    }
}

/// The delivery task of one sink: its events in order, until the notifier is dropped and the
/// queue is empty.
async fn deliver_all(shared: Arc<Shared>, target: Arc<Target>, mut queue: mpsc::Receiver<Job>) {
    while let Some(job) = queue.recv().await {
        let attempts = if target.failing.load(Ordering::SeqCst) {
            1
        } else {
            shared.options.attempts
        };
        match post(&shared, &target, &job.body, attempts).await {
            Ok(()) => {
                if target.failing.swap(false, Ordering::SeqCst) {
                    tracing::info!(sink = %target.label, "notifications are delivered again");
                }
                job.ticket.end(Fate::Delivered);
            }
            Err(reason) => {
                tracing::debug!(sink = %target.label, "notification given up: {reason}");
                if !job.notice && !target.failing.swap(true, Ordering::SeqCst) {
                    // Before the ticket ends, so that a flush that sees the failure also
                    // sees the warning.
                    (shared.on_warning)(CutoverEvent::NotifyFailed {
                        sink: target.label.clone(),
                        reason: format!(
                            "{reason} (later failures of this sink are counted, not \
                                 reported, until it delivers again)"
                        ),
                    });
                }
                job.ticket.end(Fate::Failed);
            }
        }
    }
}

/// Sends one event, retrying as [`NotifyOptions`] says. The error is the reason in words
/// that never contain the URL or a header.
async fn post(
    shared: &Shared,
    target: &Target,
    body: &str,
    attempts: u32,
) -> std::result::Result<(), String> {
    let options = &shared.options;
    let mut backoff = options.backoff;
    let mut attempt = 1;
    loop {
        let sent = shared
            .client
            .post(target.url.clone())
            .headers(target.headers.clone())
            .timeout(options.attempt_timeout)
            .body(body.to_owned())
            .send()
            .await;
        let (reason, hint) = match sent {
            Ok(answer) => {
                let status = answer.status();
                if status.is_success() {
                    drain(answer).await;
                    return Ok(());
                }
                let hint = retry_after(&answer);
                drain(answer).await;
                let code = status.as_u16();
                if status.is_redirection() {
                    return Err(format!("HTTP {code} (redirects are not followed)"));
                }
                if !(status.is_server_error() || code == 429) {
                    return Err(format!("HTTP {code} (not retried)"));
                }
                (format!("HTTP {code}"), hint)
            }
            Err(e) => (transport_reason(&e, options.attempt_timeout), None),
        };
        if attempt >= attempts {
            let s = if attempt == 1 { "" } else { "s" };
            return Err(format!("{reason} after {attempt} attempt{s}"));
        }
        tracing::debug!(sink = %target.label, attempt, "notification not delivered ({reason}); retrying");
        tokio::time::sleep(hint.unwrap_or(backoff).min(MAX_RETRY_WAIT)).await;
        backoff = backoff.saturating_mul(2);
        attempt += 1;
    }
}

/// Reads (and drops) up to [`DRAIN_LIMIT`] of an answer's body so the connection can be
/// reused; the request's timeout bounds the time this takes.
async fn drain(mut answer: reqwest::Response) {
    let mut left = DRAIN_LIMIT;
    while let Ok(Some(chunk)) = answer.chunk().await {
        if chunk.len() >= left {
            break;
        }
        left -= chunk.len();
    }
}

/// A `Retry-After` of whole seconds on a 429 or 503.
fn retry_after(answer: &reqwest::Response) -> Option<Duration> {
    let code = answer.status().as_u16();
    if code != 429 && code != 503 {
        return None;
    }
    let secs = answer.headers().get(RETRY_AFTER)?.to_str().ok()?;
    secs.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// A transport failure in our own words: reqwest's text names the URL, so it is never used.
fn transport_reason(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        return format!("no answer within {timeout:?}");
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            let kind = io.kind();
            return if e.is_connect() {
                format!("cannot connect ({kind})")
            } else {
                format!("the connection failed ({kind})")
            };
        }
        if let Some(tls) = s.downcast_ref::<rustls::Error>() {
            return format!("TLS failed ({tls})");
        }
        source = s.source();
    }
    if e.is_connect() {
        "cannot connect".into()
    } else {
        "the connection failed before an answer".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_redaction_hide_the_secret_parts() {
        let s = NotifySink::Webhook {
            url: "https://user:pw@hooks.example.com/T000/B000/XXXXSECRET?x=1".into(),
            headers: [("Authorization".to_owned(), "Bearer SECRET".to_owned())].into(),
        };
        let debug = format!("{s:?}");
        assert!(
            !debug.contains("SECRET") && !debug.contains("pw"),
            "{debug}"
        );
        assert!(debug.contains("hooks.example.com"), "{debug}");
        let json = serde_json::to_string(&s.redacted()).unwrap();
        assert!(!json.contains("SECRET") && !json.contains("pw"), "{json}");
        assert!(json.contains("Authorization"), "{json}");
    }

    #[test]
    fn only_http_urls_with_a_host() {
        for bad in [
            "ftp://x.example/",
            "hooks.example.com/x",
            "https:///path",
            "",
        ] {
            let s = NotifySink::Slack {
                webhook_url: bad.into(),
            };
            let err = s.validate().unwrap_err();
            assert_eq!(err.context(), Some("webhook_url"));
            assert!(bad.is_empty() || !err.to_string().contains(bad), "{err}");
        }
        let ok = NotifySink::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            headers: BTreeMap::new(),
        };
        assert!(ok.validate().is_ok());
        let bad_header = NotifySink::Webhook {
            url: "http://127.0.0.1:9/hook".into(),
            headers: [("X Bad".to_owned(), "v".to_owned())].into(),
        };
        assert!(bad_header.validate().is_err());
    }
}
