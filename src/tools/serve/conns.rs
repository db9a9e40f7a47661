//! The open connections, and the bounds on what a peer that opens connections and sends nothing
//! can hold:
//! - at most [`MAX_CONNS`] connections are open at once, and at most [`MAX_PER_PEER`] idle ones
//!   per peer address (idle: between requests, or not yet sent one). Past either, the connection
//!   that has been idle longest is closed to make room; with none idle, the new one is refused;
//! - each idle connection is closed once it has sent no request head for
//!   [`super::server::HEAD_TIMEOUT`] (hyper's header-read timeout, which starts when a connection
//!   opens and again after each answer).
//!
//! On loopback every client has the address 127.0.0.1, so there the total bound is the one
//! that matters: the oldest idle connections go first, and a client that connects and sends its
//! request at once (as Claude Code does) is served.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::oneshot;

/// Open connections at most, in total.
pub(crate) const MAX_CONNS: usize = 512;
/// Idle connections at most per peer address.
pub(crate) const MAX_PER_PEER: usize = 384;

struct Entry {
    peer: IpAddr,
    /// Since when the connection is idle; `None` while a request is being answered.
    idle_since: Option<Instant>,
    /// Closes the connection when sent (or dropped).
    close: oneshot::Sender<()>,
}

/// The open connections.
#[derive(Default)]
pub(crate) struct Conns {
    open: Mutex<(u64, BTreeMap<u64, Entry>)>,
    /// Connections closed to make room, and refused.
    pub(crate) evicted: AtomicUsize,
}

impl Conns {
    fn lock(&self) -> MutexGuard<'_, (u64, BTreeMap<u64, Entry>)> {
        self.open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Open connections.
    pub(crate) fn open(&self) -> usize {
        self.lock().1.len()
    }

    /// Admits a new connection from `peer`, making room as the module's doc says: its key and
    /// the receiver that says when it is closed to make room; `None` when refused.
    pub(crate) fn admit(&self, peer: IpAddr) -> Option<(u64, oneshot::Receiver<()>)> {
        let mut g = self.lock();
        if g.1.len() >= MAX_CONNS && !self.evict_oldest(&mut g.1, None) {
            self.evicted.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let idle_of_peer =
            g.1.values()
                .filter(|e| e.peer == peer && e.idle_since.is_some())
                .count();
        if idle_of_peer >= MAX_PER_PEER {
            self.evict_oldest(&mut g.1, Some(peer));
        }
        let key = g.0;
        g.0 += 1;
        let (close, closed) = oneshot::channel();
        g.1.insert(
            key,
            Entry {
                peer,
                idle_since: Some(Instant::now()),
                close,
            },
        );
        Some((key, closed))
    }

    /// Closes the connection idle longest, of `peer` if given; `false`: none is idle.
    fn evict_oldest(&self, open: &mut BTreeMap<u64, Entry>, peer: Option<IpAddr>) -> bool {
        let key = open
            .iter()
            .filter(|(_, e)| peer.is_none_or(|p| e.peer == p))
            .filter_map(|(k, e)| Some((e.idle_since?, *k)))
            .min()
            .map(|(_, k)| k);
        let Some(e) = key.and_then(|k| open.remove(&k)) else {
            return false;
        };
        let _ = e.close.send(());
        self.evicted.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Closes every connection not answering a request (waiting for one, or for the rest of its
    /// head): what a stopping server does not wait for.
    pub(crate) fn close_idle(&self) {
        self.lock().1.retain(|_, e| e.idle_since.is_none());
    }

    /// Connection `key` is answering a request (`busy`), or has answered it and waits again.
    pub(crate) fn set_busy(&self, key: u64, busy: bool) {
        if let Some(e) = self.lock().1.get_mut(&key) {
            e.idle_since = if busy { None } else { Some(Instant::now()) };
        }
    }

    /// Connection `key` is closed.
    pub(crate) fn remove(&self, key: u64) {
        self.lock().1.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_idle_makes_room_and_a_busy_one_never_does() {
        let c = Conns::default();
        let here: IpAddr = "127.0.0.1".parse().expect("ip");
        let mut held = Vec::new();
        // All busy (each sent its request at once): nothing can be closed, the new one is
        // refused.
        for _ in 0..MAX_CONNS {
            let (k, closed) = c.admit(here).expect("room");
            c.set_busy(k, true);
            held.push((k, closed));
        }
        assert!(c.admit(here).is_none());
        // Two go idle, the second first: that one has waited longest and goes first.
        c.set_busy(held[7].0, false);
        std::thread::sleep(std::time::Duration::from_millis(2));
        c.set_busy(held[3].0, false);
        let admit_busy = || {
            let (k, _) = c.admit(here).expect("room made");
            c.set_busy(k, true);
        };
        let (_, mut first) = held.remove(7);
        admit_busy();
        assert_eq!(first.try_recv(), Ok(()));
        let (_, mut second) = held.remove(3);
        admit_busy();
        assert_eq!(second.try_recv(), Ok(()));
        assert!(c.admit(here).is_none());
        assert_eq!(c.open(), MAX_CONNS);
        assert_eq!(c.evicted.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn one_peer_holds_at_most_its_share_of_idle_connections() {
        let c = Conns::default();
        let a: IpAddr = "10.0.0.1".parse().expect("ip");
        let b: IpAddr = "10.0.0.2".parse().expect("ip");
        let mut of_a: Vec<_> = (0..MAX_PER_PEER)
            .map(|_| c.admit(a).expect("room"))
            .collect();
        let _b = c.admit(b).expect("room");
        let _again = c.admit(a).expect("room");
        // The oldest of a's was closed for it; b's was not.
        assert_eq!(of_a[0].1.try_recv(), Ok(()));
        assert_eq!(c.open(), MAX_PER_PEER + 1);
    }
}
