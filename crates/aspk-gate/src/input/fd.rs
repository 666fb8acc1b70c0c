//! An `AsyncRead` over a non-blocking character device (tty, evdev) driven by epoll.

use std::io;
use std::os::fd::OwnedFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::unix::AsyncFd;
use tokio::io::{AsyncRead, ReadBuf};

/// Reads a file descriptor opened with `O_NONBLOCK`. Unlike `tokio::fs::File` it needs no
/// blocking thread per device and stops as soon as it is dropped.
#[derive(Debug)]
pub(crate) struct FdReader {
    fd: AsyncFd<OwnedFd>,
}

impl FdReader {
    /// `fd` must be non-blocking and pollable (ttys, evdev devices, pipes; not regular files).
    pub(crate) fn new(fd: OwnedFd) -> io::Result<Self> {
        // tokio deprecated this safe constructor because a generic `T` could close or
        // replace its descriptor behind the reactor's back; its replacement is `unsafe`,
        // which the workspace forbids. An `OwnedFd` we own and never replace is exactly
        // the sound case.
        #[allow(deprecated)]
        Ok(Self {
            fd: AsyncFd::with_interest(fd, tokio::io::Interest::READABLE)?,
        })
    }
}

impl AsyncRead for FdReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        loop {
            let mut guard = ready!(self.fd.poll_read_ready(cx))?;
            let unfilled = buf.initialize_unfilled();
            match guard.try_io(|fd| {
                rustix::io::read(fd.get_ref(), &mut *unfilled).map_err(io::Error::from)
            }) {
                Ok(Ok(n)) => {
                    buf.advance(n);
                    return Poll::Ready(Ok(()));
                }
                Ok(Err(e)) if e.kind() == io::ErrorKind::Interrupted => continue,
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Err(_would_block) => continue,
            }
        }
    }
}
