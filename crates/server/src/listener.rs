//! The API's listener: a TCP listener whose connections turn hyper's own error answers into Nango's
//! envelope.
//!
//! hyper answers some requests before axum sees them, with an empty body: `414` for a URI longer
//! than 65,534 bytes (a limit of the `http` crate that no setting raises), `431` for headers that
//! overflow its read buffer, `400` for a request it cannot parse. Each connection's writes are
//! watched for exactly such an answer — a status line of one of those three codes followed by
//! nothing but `content-length: 0`, `date` and `connection` — and that answer is replaced by the
//! same status with the envelope as its body. No response of the API has that shape (every
//! error it writes carries a JSON body; proxied answers keep their `content-type`), so nothing
//! else is touched. hyper closes the connection after such an answer; the connection then reads
//! (and drops) what the client still sends, for a moment, before closing: closing with unread
//! bytes would reset the connection, and the client could lose the answer.

use std::{
    future::Future,
    io,
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    time::Sleep,
};

use crate::error::{ErrorBody, ErrorEnvelope};

/// A TCP listener whose connections answer hyper's parse errors in the envelope.
#[derive(Debug)]
pub(crate) struct EnvelopeListener(pub(crate) TcpListener);

impl axum::serve::Listener for EnvelopeListener {
    type Io = EnvelopeIo<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (stream, address) = axum::serve::Listener::accept(&mut self.0).await;
        (
            EnvelopeIo {
                inner: stream,
                pending: Vec::new(),
                answered: false,
                linger: None,
            },
            address,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

/// How long a connection that answered an error reads what the client still sends.
const LINGER: Duration = Duration::from_secs(2);
/// The most it reads then.
const LINGER_BYTES: usize = 16 << 20;

/// A connection: reads pass through; a write of one of hyper's bodiless error answers is replaced
/// by the envelope (kept in `pending` until written).
#[derive(Debug)]
pub(crate) struct EnvelopeIo<T> {
    inner: T,
    pending: Vec<u8>,
    /// Whether an error answer was replaced (the connection lingers before closing).
    answered: bool,
    /// While lingering: until when, and how much was read.
    linger: Option<(Pin<Box<Sleep>>, usize)>,
}

impl<T: AsyncWrite + Unpin> EnvelopeIo<T> {
    /// Writes what is pending; ready once nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while !self.pending.is_empty() {
            let written = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending))?;
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.pending.drain(..written);
        }
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for EnvelopeIo<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for EnvelopeIo<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        match enveloped(buf) {
            Some(answer) => {
                this.pending = answer;
                this.answered = true;
                // Taken whole; the rest goes out on the next write or flush.
                let _ = this.poll_pending(cx)?;
                Poll::Ready(Ok(buf.len()))
            }
            None => Pin::new(&mut this.inner).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let mut filled = bufs.iter().filter(|buf| !buf.is_empty());
        match (filled.next(), filled.next()) {
            // An error answer is a head alone: one buffer.
            (Some(only), None) if enveloped(only).is_some() => self.poll_write(cx, only),
            _ => {
                let this = self.get_mut();
                ready!(this.poll_pending(cx))?;
                Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
            }
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        if !this.answered {
            return Pin::new(&mut this.inner).poll_shutdown(cx);
        }
        if this.linger.is_none() {
            ready!(Pin::new(&mut this.inner).poll_shutdown(cx))?;
            this.linger = Some((Box::pin(tokio::time::sleep(LINGER)), 0));
        }
        let Some((deadline, read)) = this.linger.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        let mut scratch = [0u8; 8192];
        loop {
            if deadline.as_mut().poll(cx).is_ready() || *read > LINGER_BYTES {
                return Poll::Ready(Ok(()));
            }
            let mut buf = ReadBuf::new(&mut scratch);
            match ready!(Pin::new(&mut this.inner).poll_read(cx, &mut buf)) {
                Ok(()) if !buf.filled().is_empty() => *read += buf.filled().len(),
                // The client is done (or gone).
                _ => return Poll::Ready(Ok(())),
            }
        }
    }
}

/// The envelope answer that replaces `head` when it is one of hyper's bodiless error answers.
fn enveloped(head: &[u8]) -> Option<Vec<u8>> {
    if head.len() > 512 {
        return None;
    }
    let text = std::str::from_utf8(head).ok()?.strip_suffix("\r\n\r\n")?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next()?;
    let status = status_line.strip_prefix("HTTP/1.1 ")?.get(..3)?;
    let (code, message) = match status {
        "400" => (
            "invalid_request",
            "the request is not valid HTTP/1.1: its request line, method, URI or a header could \
             not be parsed (a URI is ASCII: percent-encode other bytes; header values hold no \
             control characters)",
        ),
        "414" => (
            "uri_too_long",
            "the request's URI is longer than 65,534 bytes; send fewer or shorter query \
             parameters (page with the cursor, or split a list of ids over several requests)",
        ),
        "431" => (
            "request_header_fields_too_large",
            "the request's headers are larger than the server reads (about 400 KB in all); send \
             fewer or smaller headers",
        ),
        _ => return None,
    };
    let mut date = None;
    let mut empty = false;
    for line in lines {
        let (name, value) = line.split_once(':')?;
        match (name.to_ascii_lowercase().as_str(), value.trim()) {
            ("content-length", "0") => empty = true,
            ("date", _) => date = Some(line),
            ("connection", _) => {}
            _ => return None,
        }
    }
    if !empty {
        return None;
    }
    let body = serde_json::to_vec(&ErrorEnvelope {
        error: ErrorBody {
            code: code.into(),
            message: Some(message.into()),
            errors: Vec::new(),
            payload: None,
        },
    })
    .ok()?;
    let mut answer = format!(
        "{status_line}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    if let Some(date) = date {
        answer.push_str(date);
        answer.push_str("\r\n");
    }
    answer.push_str("\r\n");
    let mut answer = answer.into_bytes();
    answer.extend(body);
    Some(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_hypers_bodiless_error_answers() {
        let answer = enveloped(
            b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 0\r\ndate: Wed, 02 Dec 2026 08:00:00 GMT\r\n\r\n",
        )
        .expect("replaced");
        let text = String::from_utf8(answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 414 URI Too Long\r\n"), "{head}");
        assert!(head.contains("date: Wed, 02 Dec 2026"), "{head}");
        let body: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(body["error"]["code"], "uri_too_long");
        for kept in [
            &b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 414 URI Too Long\r\ncontent-length: 12\r\n\r\n",
            b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n{}",
        ] {
            assert!(enveloped(kept).is_none(), "{}", String::from_utf8_lossy(kept));
        }
    }
}
