//! Who is at the other end of a loopback connection: the uid that owns the server's side of it,
//! read from `/proc/net/tcp` and `/proc/net/tcp6`. Any local user can bind a free port first, so
//! a client proves that the server it connected to runs as the same user before it sends the
//! token (`doctor`, `service status`, `install --http`).
//!
//! The server's side of a connection is found exactly (local = the server's address, remote =
//! the client's); a connection still waiting in the backlog is listed too, with the listener's
//! uid. Where it is not found (a kernel that lists it late), the LISTEN socket of the port
//! decides.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// TCP states in `/proc/net/tcp`.
const ESTABLISHED: u8 = 0x01;
const LISTEN: u8 = 0x0A;

/// One socket line: local and remote address, state, uid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Socket {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    pub state: u8,
    pub uid: u32,
}

fn ip_of(hex: &str) -> Option<IpAddr> {
    // The kernel prints each 32-bit word of the address as a native-endian integer.
    let word = |s: &str| u32::from_str_radix(s, 16).ok().map(u32::to_ne_bytes);
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(hex)?))),
        32 => {
            let mut b = [0u8; 16];
            for i in 0..4 {
                b[i * 4..i * 4 + 4].copy_from_slice(&word(hex.get(i * 8..i * 8 + 8)?)?);
            }
            let v6 = Ipv6Addr::from(b);
            // A dual-stack socket shows IPv4 peers as ::ffff:a.b.c.d.
            Some(v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4))
        }
        _ => None,
    }
}

fn addr_of(field: &str) -> Option<SocketAddr> {
    let (ip, port) = field.split_once(':')?;
    Some(SocketAddr::new(
        ip_of(ip)?,
        u16::from_str_radix(port, 16).ok()?,
    ))
}

/// The sockets of one `/proc/net/tcp{,6}` text (the header line and malformed lines skipped).
pub(crate) fn parse(text: &str) -> Vec<Socket> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            Some(Socket {
                local: addr_of(f.get(1)?)?,
                remote: addr_of(f.get(2)?)?,
                state: u8::from_str_radix(f.get(3)?, 16).ok()?,
                uid: f.get(7)?.parse().ok()?,
            })
        })
        .collect()
}

/// Whether a listener bound to `bound` takes connections to `to`.
fn serves(bound: SocketAddr, to: SocketAddr) -> bool {
    bound.port() == to.port() && (bound.ip() == to.ip() || bound.ip().is_unspecified())
}

/// The uid that owns the server's side of the connection from `client` to `server`, given the
/// system's sockets: the connection's own if it is listed; else the uid of the listeners that
/// take it, one other than `me` if any is (so that the caller refuses); `None`: none listed.
pub(crate) fn owner_in(
    sockets: &[Socket],
    client: SocketAddr,
    server: SocketAddr,
    me: u32,
) -> Option<u32> {
    if let Some(s) = sockets
        .iter()
        .find(|s| s.state == ESTABLISHED && s.local == server && s.remote == client)
    {
        return Some(s.uid);
    }
    let uids: Vec<u32> = sockets
        .iter()
        .filter(|s| s.state == LISTEN && serves(s.local, server))
        .map(|s| s.uid)
        .collect();
    uids.iter().find(|u| **u != me).or(uids.first()).copied()
}

/// The uid that owns the server's side of the connection from `client` to `server`; `Ok(None)`
/// where `/proc/net/tcp` cannot be read (not Linux).
pub(crate) fn owner(client: SocketAddr, server: SocketAddr) -> Result<Option<u32>, String> {
    let me = rustix::process::geteuid().as_raw();
    let mut sockets = Vec::new();
    let mut read_any = false;
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        if let Ok(text) = std::fs::read_to_string(file) {
            read_any = true;
            sockets.extend(parse(&text));
        }
    }
    if !read_any {
        return Ok(None);
    }
    owner_in(&sockets, client, server, me)
        .map(Some)
        .ok_or_else(|| format!("no socket of {server} is listed in /proc/net/tcp"))
}

/// Refuses a server whose side of the connection another user owns.
pub(crate) fn verify(client: SocketAddr, server: SocketAddr) -> Result<(), String> {
    let me = rustix::process::geteuid().as_raw();
    match owner(client, server)? {
        Some(uid) if uid != me => Err(format!(
            "the process listening on {server} runs as uid {uid}, not as this user (uid {me}): \
             another user holds the port; the token was not sent"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TCP: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:B8C7 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0 100 0 0 10 0
   1: 0100007F:B8C7 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 2 1 0 20 4 30 10 -1
   2: 0100007F:D431 0100007F:B8C7 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 20 4 30 10 -1
   3: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    65534        0 4 1 0 100 0 0 10 0
   x: garbage
";
    const TCP6: &str = "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0000000000000000FFFF00000100007F:2382 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000   42        0 5 1 0 20 4 30 10 -1
   1: 00000000000000000000000001000000:2383 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000   43        0 6 1 0 100 0 0 10 0
";

    fn a(s: &str) -> SocketAddr {
        s.parse().expect("addr")
    }

    #[test]
    fn parses_both_families() {
        let s = parse(TCP);
        assert_eq!(s.len(), 4, "{s:?}");
        if cfg!(target_endian = "little") {
            assert_eq!(s[0].local, a("127.0.0.1:47303"));
            assert_eq!((s[0].state, s[0].uid), (LISTEN, 1000));
            let v6 = parse(TCP6);
            assert_eq!(v6[0].local, a("127.0.0.1:9090"), "v4-mapped shown as v4");
            assert_eq!(v6[0].remote, a("127.0.0.1:40000"));
            assert_eq!(v6[1].local, a("[::1]:9091"));
        }
    }

    #[test]
    fn the_connection_decides_then_the_listener() {
        if !cfg!(target_endian = "little") {
            return;
        }
        let s = parse(TCP);
        let server = a("127.0.0.1:47303");
        let me = 1000;
        assert_eq!(owner_in(&s, a("127.0.0.1:54321"), server, me), Some(1000));
        // Not listed yet: the listener's uid.
        assert_eq!(owner_in(&s, a("127.0.0.1:1"), server, me), Some(1000));
        // A wildcard listener of another user takes 127.0.0.1:8080.
        let squatted = a("127.0.0.1:8080");
        assert_eq!(owner_in(&s, a("127.0.0.1:2"), squatted, me), Some(65534));
        assert_eq!(
            owner_in(&s, a("127.0.0.1:2"), a("127.0.0.1:8081"), me),
            None
        );
        for first in [true, false] {
            let mut both = s.clone();
            let other = Socket {
                local: a("127.0.0.1:47303"),
                remote: a("0.0.0.0:0"),
                state: LISTEN,
                uid: 7,
            };
            if first {
                both.insert(0, other);
            } else {
                both.push(other);
            }
            assert_eq!(owner_in(&both, a("127.0.0.1:1"), server, me), Some(7));
        }
    }

    #[test]
    fn a_real_listener_of_this_user_is_verified() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let server = l.local_addr().expect("addr");
        let c = std::net::TcpStream::connect(server).expect("connect");
        let client = c.local_addr().expect("addr");
        if std::path::Path::new("/proc/net/tcp").exists() {
            assert_eq!(
                owner(client, server).expect("listed"),
                Some(rustix::process::geteuid().as_raw())
            );
        }
        assert!(verify(client, server).is_ok());
    }
}
