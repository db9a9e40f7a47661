//! The waiting room: every open connection that has nothing to read yet, watched by one thread
//! with epoll, so that no worker is tied up before a request's first bytes arrive. A connection
//! that becomes readable goes to the queue the workers take from; a worker that has answered puts
//! a kept-alive connection back.
//!
//! New connections are accepted by the workers themselves, one at a time: the worker holding the
//! accept turn waits on the listener, gives the turn up as soon as it has a connection, and
//! serves that connection itself when its request has already arrived. While no worker holds the
//! turn, the watcher watches the listener, and a connection arriving then wakes a waiting worker
//! to take it; a worker that takes the turn stops that watch. A request then costs one thread
//! wake-up (the kernel's, of the accepting worker) instead of three (the watcher's on the
//! connection, again on its bytes, then a worker's), and a second one only when another request
//! arrives while the first is being served.
//!
//! Bounds on what a peer that opens connections and sends nothing can hold:
//! - a new connection must send its first byte within [`FIRST_BYTE`], a kept-alive one its next
//!   request within [`super::KEEP_ALIVE`]; past that it is closed;
//! - at most [`MAX_CONNS`] connections are open at once (waiting, queued or being served), and
//!   at most [`MAX_PER_PEER`] waiting ones per peer address: past either, the connection that
//!   has waited longest is closed to make room (none waiting: the new one is refused).
//!
//! On loopback every client has the address 127.0.0.1, so there the total bound is the one
//! that matters: the oldest idle connections go first, and a client that connects and sends its
//! request at once (as Claude Code does) is served.

use super::http::Conn;
use super::net::Listener;
use rustix::event::epoll;
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// How long a new connection may stay silent.
pub(crate) const FIRST_BYTE: Duration = Duration::from_secs(2);
/// Open connections at most, in total.
pub(crate) const MAX_CONNS: usize = 512;
/// Waiting connections at most per peer address.
pub(crate) const MAX_PER_PEER: usize = 384;

/// The key under which [`Waiting::wait`] reports the listener.
pub(crate) const LISTENER: u64 = u64::MAX;

/// What a worker is to do next.
pub(crate) enum Work {
    /// Serve this ready connection.
    Serve(Conn),
    /// Take the accept turn: wait for a new connection.
    Accept,
}

struct Parked {
    conn: Conn,
    peer: Option<IpAddr>,
    expires: Instant,
}

/// The connections waiting for bytes, and those ready for a worker.
pub(crate) struct Waiting {
    epoll: rustix::fd::OwnedFd,
    parked: Mutex<(u64, BTreeMap<u64, Parked>)>,
    /// The ready connections, and whether a worker holds the accept turn.
    queue: Mutex<(VecDeque<Conn>, bool)>,
    ready: Condvar,
    /// Connections queued or with a worker.
    held: AtomicUsize,
    /// Workers waiting for the queue.
    pub(crate) idle_workers: AtomicUsize,
    /// The server's listener, watched while no worker holds the accept turn.
    listener: OnceLock<Listener>,
    /// Connections closed to make room, and refused.
    pub(crate) evicted: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Waiting {
    /// An empty waiting room.
    pub(crate) fn new() -> std::io::Result<Waiting> {
        Ok(Waiting {
            epoll: epoll::create(epoll::CreateFlags::CLOEXEC)?,
            parked: Mutex::new((0, BTreeMap::new())),
            queue: Mutex::new((VecDeque::new(), false)),
            ready: Condvar::new(),
            held: AtomicUsize::new(0),
            idle_workers: AtomicUsize::new(0),
            listener: OnceLock::new(),
            evicted: AtomicUsize::new(0),
        })
    }

    /// Open connections: waiting, queued and being served.
    pub(crate) fn open(&self) -> usize {
        lock(&self.parked).1.len() + self.held.load(Ordering::Acquire)
    }

    /// Closes the connection that has waited longest, of `peer` if given; `false`: none waits.
    fn evict_oldest(&self, parked: &mut BTreeMap<u64, Parked>, peer: Option<IpAddr>) -> bool {
        let key = parked
            .iter()
            .find(|(_, p)| peer.is_none() || p.peer == peer)
            .map(|(k, _)| *k);
        let Some(p) = key.and_then(|k| parked.remove(&k)) else {
            return false;
        };
        let _ = epoll::delete(&self.epoll, p.conn.stream());
        self.evicted.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Admits a new connection, making room as the module's doc says: returned to be served at
    /// once when its request has already arrived (it then counts as held), else parked; `None`
    /// when refused or parked.
    pub(crate) fn admit(&self, conn: Conn, peer: Option<IpAddr>) -> Option<Conn> {
        let mut g = lock(&self.parked);
        if g.1.len() + self.held.load(Ordering::Acquire) >= MAX_CONNS
            && !self.evict_oldest(&mut g.1, None)
        {
            self.evicted.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        if conn.stream().has_bytes() {
            self.held.fetch_add(1, Ordering::AcqRel);
            return Some(conn);
        }
        if peer.is_some() && g.1.values().filter(|p| p.peer == peer).count() >= MAX_PER_PEER {
            self.evict_oldest(&mut g.1, peer);
        }
        self.insert(&mut g, conn, peer, FIRST_BYTE);
        None
    }

    /// Puts back a connection a worker has answered on, to wait up to `idle` for its next
    /// request.
    pub(crate) fn park(&self, conn: Conn, idle: Duration) {
        let mut g = lock(&self.parked);
        let peer = conn.peer();
        self.insert(&mut g, conn, peer, idle);
        self.held.fetch_sub(1, Ordering::AcqRel);
    }

    /// A worker is done with a connection (closed it).
    pub(crate) fn release(&self) {
        self.held.fetch_sub(1, Ordering::AcqRel);
    }

    fn insert(
        &self,
        g: &mut (u64, BTreeMap<u64, Parked>),
        conn: Conn,
        peer: Option<IpAddr>,
        idle: Duration,
    ) -> bool {
        let key = g.0;
        g.0 += 1;
        let flags = epoll::EventFlags::IN | epoll::EventFlags::RDHUP;
        if epoll::add(
            &self.epoll,
            conn.stream(),
            epoll::EventData::new_u64(key),
            flags,
        )
        .is_err()
        {
            return false;
        }
        let expires = Instant::now() + idle;
        g.1.insert(
            key,
            Parked {
                conn,
                peer,
                expires,
            },
        );
        true
    }

    /// Waits up to `timeout` for events: returns the keys that are ready.
    pub(crate) fn wait(&self, timeout: Duration, events: &mut Vec<epoll::Event>) -> Vec<u64> {
        events.clear();
        let ts = rustix::event::Timespec::try_from(timeout).unwrap_or_default();
        let _ = epoll::wait(
            &self.epoll,
            rustix::buffer::spare_capacity(events),
            Some(&ts),
        );
        events.iter().map(|e| e.data.u64()).collect()
    }

    /// Moves the connection `key` to the queue (it has bytes, or was closed by its peer).
    pub(crate) fn make_ready(&self, key: u64) {
        let Some(p) = lock(&self.parked).1.remove(&key) else {
            return;
        };
        let _ = epoll::delete(&self.epoll, p.conn.stream());
        self.held.fetch_add(1, Ordering::AcqRel);
        lock(&self.queue).0.push_back(p.conn);
        self.ready.notify_one();
    }

    /// Takes the server's listener (once; `false` when it already has one). The accept turn
    /// waits on it, and the watcher watches it while no worker holds the turn
    /// ([`Waiting::end_turn`]): its readiness comes out of [`Waiting::wait`] as [`LISTENER`].
    pub(crate) fn set_listener(&self, listener: Listener) -> std::io::Result<bool> {
        if self.listener.get().is_some() {
            return Ok(false);
        }
        epoll::add(
            &self.epoll,
            &listener,
            epoll::EventData::new_u64(LISTENER),
            epoll::EventFlags::ONESHOT,
        )?;
        Ok(self.listener.set(listener).is_ok())
    }

    /// The listener, once set.
    pub(crate) fn listener(&self) -> Option<&Listener> {
        self.listener.get()
    }

    /// Sets the watch on the listener: `on` while no worker holds the accept turn.
    fn watch(&self, on: bool) {
        if let Some(fd) = self.listener.get() {
            let flags = if on {
                epoll::EventFlags::IN | epoll::EventFlags::ONESHOT
            } else {
                epoll::EventFlags::ONESHOT
            };
            let _ = epoll::modify(&self.epoll, fd, epoll::EventData::new_u64(LISTENER), flags);
        }
    }

    /// The worker that held the accept turn gives it up. With a connection to serve, it leaves
    /// the turn to whoever a new connection wakes (the watcher watches the listener meanwhile);
    /// after a wait with none, it takes the turn again itself, or another waiting worker does.
    pub(crate) fn end_turn(&self, serving: bool) {
        lock(&self.queue).1 = false;
        if serving {
            self.watch(true);
        } else {
            self.ready.notify_one();
        }
    }

    /// A connection waits on the listener while no worker holds the turn: a worker to take it.
    pub(crate) fn listener_ready(&self) {
        self.ready.notify_one();
    }

    /// Closes the connections whose wait is over.
    pub(crate) fn sweep(&self) {
        let now = Instant::now();
        let mut g = lock(&self.parked);
        let expired: Vec<u64> =
            g.1.iter()
                .filter(|(_, p)| p.expires <= now)
                .map(|(k, _)| *k)
                .collect();
        for k in expired {
            if let Some(p) = g.1.remove(&k) {
                let _ = epoll::delete(&self.epoll, p.conn.stream());
            }
        }
    }

    /// The next ready connection, or the accept turn when no worker holds it, waiting for
    /// either; `None` once `stop` says so, or when `retire` says this worker has waited long
    /// enough to go.
    pub(crate) fn take(
        &self,
        stop: &dyn Fn() -> bool,
        retire: &dyn Fn(Duration) -> bool,
    ) -> Option<Work> {
        let since = Instant::now();
        let mut q = lock(&self.queue);
        loop {
            if stop() {
                return None;
            }
            if let Some(c) = q.0.pop_front() {
                if !q.1 {
                    // The turn is free: it goes to another worker, not to the next timeout.
                    self.ready.notify_one();
                }
                return Some(Work::Serve(c));
            }
            if !q.1 {
                q.1 = true;
                drop(q);
                self.watch(false);
                return Some(Work::Accept);
            }
            if retire(since.elapsed()) {
                return None;
            }
            self.idle_workers.fetch_add(1, Ordering::AcqRel);
            q = self
                .ready
                .wait_timeout(q, Duration::from_millis(100))
                .map_or_else(|p| p.into_inner().0, |(g, _)| g);
            self.idle_workers.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Wakes every worker (the server is stopping) and closes every waiting connection.
    pub(crate) fn close_all(&self) {
        self.ready.notify_all();
        let mut g = lock(&self.parked);
        for (_, p) in std::mem::take(&mut g.1) {
            let _ = epoll::delete(&self.epoll, p.conn.stream());
        }
        let queued: Vec<Conn> = lock(&self.queue).0.drain(..).collect();
        self.held.fetch_sub(queued.len(), Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn has_listener(w: &Waiting, within: Duration) -> bool {
        let mut events = Vec::with_capacity(8);
        w.wait(within, &mut events).contains(&LISTENER)
    }

    #[test]
    fn the_listener_is_watched_exactly_while_no_worker_holds_the_turn() {
        let w = Waiting::new().expect("epoll");
        let l = Listener::bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
        l.set_nonblocking().expect("nonblocking");
        let addr = l.local_addr().expect("addr");
        assert!(w.set_listener(l).expect("watch"));
        let connect = || {
            let mut s = std::net::TcpStream::connect(addr).expect("connect");
            s.write_all(b"GET / HTTP/1.1\r\n").expect("write");
            s
        };
        let (never, wait) = (|| false, |_: Duration| false);
        assert!(matches!(w.take(&never, &wait), Some(Work::Accept)));
        // The turn is held: a connection is the holder's, not the watcher's.
        let _a = connect();
        assert!(!has_listener(&w, Duration::from_millis(200)));
        // Given up to serve one: the next connection wakes the watcher.
        w.end_turn(true);
        assert!(has_listener(&w, Duration::from_secs(5)));
        // Taken again: not watched any more, whether or not a connection came meanwhile.
        assert!(matches!(w.take(&never, &wait), Some(Work::Accept)));
        let _b = connect();
        assert!(!has_listener(&w, Duration::from_millis(200)));
        w.end_turn(true);
        assert!(has_listener(&w, Duration::from_secs(5)));
        assert!(matches!(w.take(&never, &wait), Some(Work::Accept)));
        w.end_turn(true);
        assert!(matches!(w.take(&never, &wait), Some(Work::Accept)));
        let _c = connect();
        assert!(!has_listener(&w, Duration::from_millis(200)));
        // Given up after a wait with none: the holder or another worker takes it again.
        w.end_turn(false);
        assert!(!has_listener(&w, Duration::from_millis(200)));
    }
}
