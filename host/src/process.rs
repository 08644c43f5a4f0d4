//! Owner processes: the Erlang side of sockets, for Rust tasks.
//!
//! A [`Pid`] is a mailbox. Code runs "as a process" inside [`run`] or
//! [`spawn`]; there [`self_pid`] names it, and [`receive`] takes its
//! messages (`{ssl, S, Data}`, `{ssl_closed, S}`...). A socket belongs to the
//! process that created it (its controlling process); when that process ends,
//! its sockets close, as an Erlang socket dies with its linked owner.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::{watch, Notify};

use crate::ssl::{Data, Reason, SslSocket, Timeout};

/// A message in a process's mailbox.
pub enum Message {
    /// `{ssl, S, Data}`: data from an active socket.
    Ssl(SslSocket, Data),
    /// `{ssl_closed, S}`: the peer closed the connection.
    SslClosed(SslSocket),
    /// `{ssl_error, S, Reason}`: the connection failed.
    SslError(SslSocket, Reason),
    /// `{ssl_passive, S}`: an `{active, N}` socket has delivered N packets.
    SslPassive(SslSocket),
    /// `{ssl, session_ticket, Ticket}`: a TLS 1.3 ticket for
    /// `{use_ticket, [Ticket]}` (clients with `{session_tickets, manual}`).
    SessionTicket(crate::ssl::Ticket),
    /// `{ssl, S, {early_data, accepted | rejected}}`: after a client's
    /// handshake with `{early_data, Data}`.
    EarlyData(SslSocket, crate::ssl::EarlyDataStatus),
    /// Anything else, sent with [`Pid::send`].
    Other(Box<dyn Any + Send>),
}

impl fmt::Debug for Message {
    /// Prints the Erlang term.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Message::Ssl(s, d) => write!(f, "{{ssl,{s:?},{d:?}}}"),
            Message::SslClosed(s) => write!(f, "{{ssl_closed,{s:?}}}"),
            Message::SslError(s, r) => write!(f, "{{ssl_error,{s:?},{r}}}"),
            Message::SslPassive(s) => write!(f, "{{ssl_passive,{s:?}}}"),
            Message::SessionTicket(t) => write!(f, "{{ssl,session_ticket,{t:?}}}"),
            Message::EarlyData(s, e) => {
                write!(
                    f,
                    "{{ssl,{s:?},{{early_data,{}}}}}",
                    format!("{e:?}").to_lowercase()
                )
            }
            Message::Other(_) => write!(f, "<other message>"),
        }
    }
}

struct Proc {
    id: u64,
    queue: Mutex<VecDeque<Message>>,
    notify: Notify,
    exited: watch::Sender<bool>,
}

/// A process identifier: the address of a mailbox.
#[derive(Clone)]
pub struct Pid(Arc<Proc>);

impl PartialEq for Pid {
    fn eq(&self, other: &Pid) -> bool {
        self.0.id == other.0.id
    }
}
impl Eq for Pid {}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0.id)
    }
}

static NEXT_PID: AtomicU64 = AtomicU64::new(100);

impl Pid {
    fn new() -> Pid {
        let (exited, _) = watch::channel(false);
        Pid(Arc::new(Proc {
            id: NEXT_PID.fetch_add(1, Ordering::Relaxed),
            queue: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
            exited,
        }))
    }

    /// Put a message in this process's mailbox (Erlang's `Pid ! Msg`).
    /// Messages to a process that has ended are dropped, as in Erlang.
    pub fn send<T: Any + Send>(&self, msg: T) {
        self.deliver(Message::Other(Box::new(msg)));
    }

    pub(crate) fn deliver(&self, msg: Message) {
        if self.is_alive() {
            self.0
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push_back(msg);
            self.0.notify.notify_waiters();
        }
    }

    /// True until the process's body has returned (or panicked).
    pub fn is_alive(&self) -> bool {
        !*self.0.exited.borrow()
    }

    /// Resolves when the process has ended (what an Erlang monitor's
    /// `'DOWN'` message tells).
    pub fn exited(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.exited.subscribe();
        async move {
            let _ = rx.wait_for(|gone| *gone).await;
        }
    }

    /// Number of messages waiting.
    pub fn message_queue_len(&self) -> usize {
        self.0.queue.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    async fn take(
        &self,
        mut pred: impl FnMut(&Message) -> bool,
        timeout: Timeout,
    ) -> Option<Message> {
        let deadline = timeout.deadline();
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut q = self.0.queue.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(i) = q.iter().position(&mut pred) {
                    return q.remove(i);
                }
            }
            match deadline {
                Some(d) => {
                    if tokio::time::timeout_at(d, notified).await.is_err() {
                        return None;
                    }
                }
                None => notified.await,
            }
        }
    }
}

/// Marks the process as ended when its body finishes, however it finishes.
pub(crate) struct ExitGuard(Pid);

/// A pid that names something other than a process body (a socket's task):
/// it ends when the guard is dropped.
pub(crate) fn task_pid() -> (Pid, ExitGuard) {
    let pid = Pid::new();
    (pid.clone(), ExitGuard(pid))
}

impl Drop for ExitGuard {
    fn drop(&mut self) {
        self.0 .0.exited.send_replace(true);
        self.0
             .0
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}

tokio::task_local! {
    static SELF: Pid;
}

/// Run `body` as a process (for `main` and tests); returns what it returns.
pub async fn run<F: Future>(body: F) -> F::Output {
    let pid = Pid::new();
    let _guard = ExitGuard(pid.clone());
    SELF.scope(pid, body).await
}

/// Start `body` as a new process on the tokio runtime, like `erlang:spawn/1`.
pub fn spawn<F>(body: F) -> Pid
where
    F: Future<Output = ()> + Send + 'static,
{
    let pid = Pid::new();
    let guard = ExitGuard(pid.clone());
    tokio::spawn(SELF.scope(pid.clone(), async move {
        let _guard = guard;
        body.await
    }));
    pid
}

/// The current process, or `None` outside [`run`] and [`spawn`] (the `ssl`
/// calls answer `no_process` there).
pub fn try_self_pid() -> Option<Pid> {
    SELF.try_with(Pid::clone).ok()
}

/// The current process (`self()`). Panics outside [`run`] or [`spawn`]:
/// sockets need an owner to send their messages to. The `ssl` calls do
/// not panic there: they answer `{error, no_process}` (see [`try_self_pid`]).
pub fn self_pid() -> Pid {
    SELF.try_with(Pid::clone).unwrap_or_else(|_| {
        panic!("wassl: this call needs an owner process; run it inside wassl::process::run or wassl::process::spawn")
    })
}

/// Take the oldest message, waiting for one.
pub async fn receive() -> Message {
    loop {
        if let Some(m) = self_pid().take(|_| true, Timeout::Infinity).await {
            return m;
        }
    }
}

/// Take the oldest message, or `None` after `timeout`.
pub async fn receive_timeout(timeout: impl Into<Timeout>) -> Option<Message> {
    self_pid().take(|_| true, timeout.into()).await
}

/// Erlang's selective receive: the oldest message for which `pred` holds,
/// or `None` after `timeout`. Other messages stay queued, in order.
pub async fn receive_match(
    pred: impl FnMut(&Message) -> bool,
    timeout: impl Into<Timeout>,
) -> Option<Message> {
    self_pid().take(pred, timeout.into()).await
}

/// Take every queued message without waiting.
pub fn flush() -> Vec<Message> {
    let me = self_pid();
    let mut q = me.0.queue.lock().unwrap_or_else(|e| e.into_inner());
    q.drain(..).collect()
}
