//! TCP sockets through rustix's direct system calls rather than std's `TcpListener`/`TcpStream`.
//!
//! Why: the server lives in the same binary as the hook, whose every call pays the dynamic
//! loader's start-up work, and std's sockets import nine more libc symbols (`socket`, `bind`,
//! `accept4`, `send`, ...) that the loader must look up on every hook call (BIND_NOW), about
//! 7,000 instructions of a hook call's ~560,000. rustix's Linux backend makes the same calls
//! without importing anything.

use rustix::fd::{AsFd, OwnedFd};
use rustix::net::{self as rnet, sockopt, AddressFamily, SocketFlags, SocketType};
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

fn family(addr: &SocketAddr) -> AddressFamily {
    if addr.is_ipv4() {
        AddressFamily::INET
    } else {
        AddressFamily::INET6
    }
}

/// A new TCP socket for `addr`'s family, closed on exec.
fn tcp_socket(addr: &SocketAddr) -> io::Result<OwnedFd> {
    Ok(rnet::socket_with(
        family(addr),
        SocketType::STREAM,
        SocketFlags::CLOEXEC,
        None,
    )?)
}

/// Linux: a connection is reported to `accept` once its first bytes have arrived (waiting up to a
/// second for them), so a client that connects and sends its request at once, as Claude Code
/// does, goes straight to a worker instead of through a round of the waiting room. Elsewhere, or
/// when refused, connections are accepted as they come.
#[cfg_attr(
    target_os = "linux",
    expect(unsafe_code, reason = "TCP_DEFER_ACCEPT has no safe wrapper in rustix")
)]
fn defer_accept(fd: &OwnedFd) {
    #[cfg(target_os = "linux")]
    {
        use rustix::fd::AsRawFd;
        let secs: libc::c_int = 1;
        // SAFETY: a valid socket and a pointer to a c_int of the size given.
        let rc = unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_DEFER_ACCEPT,
                std::ptr::from_ref(&secs).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if rc != 0 {
            tracing::debug!(error = %io::Error::last_os_error(), "no TCP_DEFER_ACCEPT");
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = fd;
}

/// A listening socket.
pub(crate) struct Listener {
    fd: OwnedFd,
}

impl Listener {
    /// Binds and listens on `addr` (port 0: any free port).
    pub(crate) fn bind(addr: SocketAddr) -> io::Result<Listener> {
        let fd = tcp_socket(&addr)?;
        sockopt::set_socket_reuseaddr(&fd, true)?;
        rnet::bind(&fd, &addr)?;
        rnet::listen(&fd, 1024)?;
        defer_accept(&fd);
        Ok(Listener { fd })
    }

    /// The address bound (with the real port when 0 was asked for).
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        let any = rnet::getsockname(&self.fd)?;
        SocketAddr::try_from(any).map_err(|_| io::Error::other("not an IP socket"))
    }

    /// Makes [`Listener::accept_ready`] return at once when no connection is waiting.
    pub(crate) fn set_nonblocking(&self) -> io::Result<()> {
        Ok(rustix::io::ioctl_fionbio(&self.fd, true)?)
    }

    /// The next waiting connection and its peer's address, or `None` when none is waiting (on a
    /// listener made non-blocking). The connection itself blocks.
    pub(crate) fn accept_ready(&self) -> io::Result<Option<(Stream, Option<std::net::IpAddr>)>> {
        loop {
            match rnet::acceptfrom_with(&self.fd, SocketFlags::CLOEXEC) {
                Ok((fd, peer)) => {
                    let ip = peer
                        .and_then(|a| SocketAddr::try_from(a).ok())
                        .map(|a| a.ip());
                    return Ok(Some((Stream { fd }, ip)));
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(rustix::io::Errno::AGAIN) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The next connection, waiting up to `timeout` for one (on a listener made non-blocking);
    /// `None` when none came.
    pub(crate) fn accept_within(
        &self,
        timeout: Duration,
    ) -> io::Result<Option<(Stream, Option<std::net::IpAddr>)>> {
        use rustix::event::{poll, PollFd, PollFlags, Timespec};
        let ts = Timespec::try_from(timeout).unwrap_or_default();
        let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
        match poll(&mut fds, Some(&ts)) {
            Ok(_) | Err(rustix::io::Errno::INTR) => self.accept_ready(),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits for the next connection.
    #[cfg_attr(not(test), expect(dead_code, reason = "tests accept one connection"))]
    pub(crate) fn accept(&self) -> io::Result<Stream> {
        loop {
            match rnet::accept_with(&self.fd, SocketFlags::CLOEXEC) {
                Ok(fd) => return Ok(Stream { fd }),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
}

impl AsFd for Listener {
    fn as_fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

/// A connected socket.
pub(crate) struct Stream {
    fd: OwnedFd,
}

impl AsFd for Stream {
    fn as_fd(&self) -> rustix::fd::BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Stream {
    /// Whether bytes (or the peer's close) are waiting to be read, without reading them.
    pub(crate) fn has_bytes(&self) -> bool {
        let mut b = [0u8; 1];
        rnet::recv(
            &self.fd,
            &mut b,
            rnet::RecvFlags::PEEK | rnet::RecvFlags::DONTWAIT,
        )
        .is_ok()
    }

    /// Connects to `addr` (blocking; on loopback a refused connection fails at once).
    pub(crate) fn connect(addr: SocketAddr) -> io::Result<Stream> {
        let fd = tcp_socket(&addr)?;
        loop {
            match rnet::connect(&fd, &addr) {
                Ok(()) => return Ok(Stream { fd }),
                Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// This end's address.
    pub(crate) fn local_addr(&self) -> io::Result<SocketAddr> {
        let any = rnet::getsockname(&self.fd)?;
        SocketAddr::try_from(any).map_err(|_| io::Error::other("not an IP socket"))
    }

    /// Sends small answers at once instead of waiting to fill a packet.
    pub(crate) fn set_nodelay(&self) -> io::Result<()> {
        Ok(sockopt::set_tcp_nodelay(&self.fd, true)?)
    }

    /// Bounds each read (`None`: wait forever).
    pub(crate) fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(sockopt::set_socket_timeout(
            &self.fd,
            sockopt::Timeout::Recv,
            t.filter(|d| !d.is_zero()),
        )?)
    }

    /// Bounds each write.
    pub(crate) fn set_write_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        Ok(sockopt::set_socket_timeout(
            &self.fd,
            sockopt::Timeout::Send,
            t.filter(|d| !d.is_zero()),
        )?)
    }
}

impl io::Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(rustix::io::read(self.fd.as_fd(), buf)?)
    }
}

impl io::Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // MSG_NOSIGNAL: a peer gone away is an error to handle, not a SIGPIPE.
        Ok(rnet::send(&self.fd, buf, rnet::SendFlags::NOSIGNAL)?)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
