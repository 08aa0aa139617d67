//! The stdio transport with a reply for every line. rmcp's own line transport silently drops
//! input that is not JSON (invalid UTF-8, lone surrogates, nesting beyond the parser's limit),
//! so the client waits for its own timeout; this one answers such a line with a JSON-RPC parse
//! error (id null), a line over the size limit with an invalid-request error, and a
//! `tools/call` whose `arguments` is not an object with invalid-params (-32602) instead of
//! method-not-found. Valid lines are parsed by rmcp's message types. Replies are written one
//! JSON line each, as rmcp's writer does, except that an error whose request id could not be
//! read carries `"id": null`, as JSON-RPC 2.0 §5 requires (rmcp leaves the member out, which
//! the 2026-07-28 revision allows but older clients do not read as an answer).
//!
//! The upstream fix would be for `AsyncRwTransport::receive` to queue `-32700` for Syntax/Eof
//! errors (as it already queues `-32600` for Data errors) and to check `params.arguments`.

use rmcp::model::{ErrorData, NumberOrString};
use rmcp::service::{RoleServer, RxJsonRpcMessage, TxJsonRpcMessage};
use rmcp::transport::Transport;
use serde_json::Value;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

/// The largest request line accepted (arguments included).
pub const MAX_LINE: usize = 1 << 20;

pub struct GuardedStdio<R, W: AsyncWrite + Send + Unpin + 'static> {
    reader: BufReader<R>,
    line: Vec<u8>,
    discarding: bool,
    writer: Arc<tokio::sync::Mutex<Option<W>>>,
    /// Replies to lines rmcp never sees, written by their own tasks: rmcp's loop drops the
    /// `receive` future whenever another event wins, and a reply written inside it would be
    /// lost (or half written) then.
    replies: Vec<tokio::task::JoinHandle<()>>,
}

impl<R, W> GuardedStdio<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    pub fn new(read: R, write: W) -> Self {
        Self {
            reader: BufReader::new(read),
            line: Vec::new(),
            discarding: false,
            writer: Arc::new(tokio::sync::Mutex::new(Some(write))),
            replies: Vec::new(),
        }
    }

    /// The process's own stdin and stdout.
    pub fn stdio() -> GuardedStdio<tokio::io::Stdin, tokio::io::Stdout> {
        GuardedStdio::new(tokio::io::stdin(), tokio::io::stdout())
    }

    /// Answers a line rmcp will not see. The write happens on its own task, so a `receive`
    /// dropped by rmcp's loop never loses it; it never blocks the next line.
    fn reply(&mut self, error: ErrorData, id: Option<NumberOrString>) {
        self.replies.retain(|task| !task.is_finished());
        let writer = self.writer.clone();
        let message = TxJsonRpcMessage::<RoleServer>::error(error, id);
        self.replies.push(tokio::spawn(async move {
            if let Err(e) = write_line(&writer, message).await {
                tracing::debug!("could not write an error reply: {e}");
            }
        }));
    }
}

/// One message as one line: `"id": null` on an error whose request id could not be read.
fn encode(item: &TxJsonRpcMessage<RoleServer>) -> std::io::Result<Vec<u8>> {
    let mut value = serde_json::to_value(item)?;
    if let Some(map) = value.as_object_mut()
        && map.contains_key("error")
        && !map.contains_key("id")
    {
        map.insert("id".into(), Value::Null);
    }
    let mut line = serde_json::to_vec(&value)?;
    line.push(b'\n');
    Ok(line)
}

async fn write_line<W: AsyncWrite + Send + Unpin>(
    writer: &tokio::sync::Mutex<Option<W>>,
    item: TxJsonRpcMessage<RoleServer>,
) -> std::io::Result<()> {
    let line = encode(&item)?;
    let mut guard = writer.lock().await;
    let Some(out) = guard.as_mut() else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotConnected,
            "Transport is closed",
        ));
    };
    out.write_all(&line).await?;
    out.flush().await
}

/// A line's verdict: a message for rmcp, an error to answer, or nothing at all.
enum Verdict {
    Message(Box<RxJsonRpcMessage<RoleServer>>),
    Reply(ErrorData, Option<NumberOrString>),
    Skip,
}

fn request_id(value: &Value) -> Option<NumberOrString> {
    match value.get("id")? {
        Value::Number(n) => n.as_i64().map(NumberOrString::Number),
        Value::String(s) => Some(NumberOrString::String(s.as_str().into())),
        _ => None,
    }
}

/// What makes a JSON object no JSON-RPC 2.0 request, if anything (§4: `jsonrpc` exactly
/// "2.0", `id` a string or an integer, `params` structured; MCP takes an object).
fn malformed(value: &Value, id: Option<&NumberOrString>) -> Option<&'static str> {
    let map = value.as_object()?;
    if map.contains_key("id") && id.is_none() {
        return Some("`id` must be a string or an integer");
    }
    if map.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Some("`jsonrpc` must be \"2.0\"");
    }
    if map
        .get("params")
        .is_some_and(|p| !p.is_object() && !p.is_null())
    {
        return Some("`params` must be an object");
    }
    None
}

fn judge(line: &[u8]) -> Verdict {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return Verdict::Skip;
    }
    if std::str::from_utf8(line).is_err() {
        return Verdict::Reply(
            ErrorData::parse_error("Parse error: the message is not valid UTF-8", None),
            None,
        );
    }
    let value: Value = match serde_json::from_slice(line) {
        Ok(value) => value,
        Err(e) => {
            return Verdict::Reply(
                ErrorData::parse_error(format!("Parse error: {e}"), None),
                None,
            );
        }
    };
    let id = request_id(&value);
    // A notification (no `id`) gets no answer, whatever is wrong with it, and neither does a
    // response (no `method`).
    if value.get("id").is_some()
        && value.get("method").is_some()
        && let Some(why) = malformed(&value, id.as_ref())
    {
        return Verdict::Reply(
            ErrorData::invalid_request(format!("Invalid request: {why}"), None),
            id,
        );
    }
    if value.get("method").and_then(Value::as_str) == Some("tools/call")
        && let Some(arguments) = value.pointer("/params/arguments")
        && !arguments.is_object()
        && !arguments.is_null()
    {
        return Verdict::Reply(
            ErrorData::invalid_params("`arguments` must be an object", None),
            id,
        );
    }
    match serde_json::from_value::<RxJsonRpcMessage<RoleServer>>(value.clone()) {
        Ok(message) => Verdict::Message(Box::new(message)),
        // A notification nobody understands is dropped, as the protocol says.
        Err(_) if id.is_none() && value.get("method").is_some() => Verdict::Skip,
        Err(e) => Verdict::Reply(
            ErrorData::invalid_request(format!("Invalid request: {e}"), None),
            id,
        ),
    }
}

impl<R, W> Transport<RoleServer> for GuardedStdio<R, W>
where
    R: AsyncRead + Send + Unpin,
    W: AsyncWrite + Send + Unpin + 'static,
{
    type Error = std::io::Error;

    fn send(
        &mut self,
        item: TxJsonRpcMessage<RoleServer>,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send + 'static {
        let writer = self.writer.clone();
        async move { write_line(&writer, item).await }
    }

    async fn receive(&mut self) -> Option<RxJsonRpcMessage<RoleServer>> {
        loop {
            // Bounded line read: never buffer more than MAX_LINE of one line. A cancelled read
            // keeps its partial line in `self.line` and resumes it.
            let complete = loop {
                let available = match self.reader.fill_buf().await {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!("error reading stdin: {e}");
                        return None;
                    }
                };
                if available.is_empty() {
                    return None;
                }
                let (take, done) = match available.iter().position(|b| *b == b'\n') {
                    Some(at) => (at + 1, true),
                    None => (available.len(), false),
                };
                if !self.discarding {
                    if self.line.len() + take > MAX_LINE + 1 {
                        self.discarding = true;
                        self.line.clear();
                    } else {
                        self.line.extend_from_slice(&available[..take]);
                    }
                }
                self.reader.consume(take);
                if done {
                    break !std::mem::take(&mut self.discarding);
                }
            };
            if !complete {
                self.reply(
                    ErrorData::invalid_request(
                        format!("Request too large: a message may be at most {MAX_LINE} bytes"),
                        None,
                    ),
                    None,
                );
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let trimmed = line.strip_suffix(b"\n").unwrap_or(&line);
            let trimmed = trimmed.strip_suffix(b"\r").unwrap_or(trimmed);
            match judge(trimmed) {
                Verdict::Message(message) => return Some(*message),
                Verdict::Skip => continue,
                Verdict::Reply(error, id) => self.reply(error, id),
            }
        }
    }

    async fn close(&mut self) -> Result<(), Self::Error> {
        for reply in std::mem::take(&mut self.replies) {
            let _ = reply.await;
        }
        if let Some(mut out) = self.writer.lock().await.take() {
            out.shutdown().await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(verdict: Verdict) -> Option<i32> {
        match verdict {
            Verdict::Reply(e, _) => Some(e.code.0),
            _ => None,
        }
    }

    #[test]
    fn every_undecodable_line_gets_an_error_reply() {
        assert_eq!(code(judge(b"\xff\xfe{}")), Some(-32700));
        assert_eq!(
            code(judge(
                br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"\ud800"}}"#
            )),
            Some(-32700)
        );
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(code(judge(deep.as_bytes())), Some(-32700));
        assert_eq!(code(judge(b"{\"jsonrpc\":")), Some(-32700));
        assert_eq!(
            code(judge(
                br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_claims","arguments":"x"}}"#
            )),
            Some(-32602)
        );
        assert!(matches!(
            judge(br#"{"jsonrpc":"2.0","id":4,"method":"ping"}"#),
            Verdict::Message(_)
        ));
        assert!(matches!(judge(b"   "), Verdict::Skip));
    }

    fn reply_of(line: &[u8]) -> (i32, Option<NumberOrString>) {
        match judge(line) {
            Verdict::Reply(e, id) => (e.code.0, id),
            _ => panic!("{} got no reply", String::from_utf8_lossy(line)),
        }
    }

    #[test]
    fn a_request_that_is_no_json_rpc_request_is_answered_with_its_id_where_it_has_one() {
        assert_eq!(
            reply_of(br#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#),
            (-32600, None)
        );
        assert_eq!(
            reply_of(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#),
            (-32600, None)
        );
        assert_eq!(
            reply_of(br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#),
            (-32600, None)
        );
        assert_eq!(
            reply_of(br#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#),
            (-32600, Some(NumberOrString::Number(3)))
        );
        assert_eq!(
            reply_of(br#"{"id":"x","method":"ping"}"#),
            (-32600, Some(NumberOrString::String("x".into())))
        );
        assert_eq!(
            reply_of(br#"{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[1]}"#),
            (-32600, Some(NumberOrString::Number(4)))
        );
        // A notification is never answered, even a broken one.
        assert!(matches!(
            judge(br#"{"jsonrpc":"1.0","method":"notifications/initialized"}"#),
            Verdict::Skip
        ));
    }

    #[test]
    fn an_error_without_a_readable_id_carries_id_null() {
        let line = encode(&TxJsonRpcMessage::<RoleServer>::error(
            ErrorData::parse_error("Parse error", None),
            None,
        ))
        .unwrap();
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["id"], Value::Null);
        assert!(value.as_object().unwrap().contains_key("id"));
        assert_eq!(value["error"]["code"], -32700);
        assert!(line.ends_with(b"\n"));
        let line = encode(&TxJsonRpcMessage::<RoleServer>::error(
            ErrorData::invalid_request("bad", None),
            Some(NumberOrString::Number(7)),
        ))
        .unwrap();
        let value: Value = serde_json::from_slice(&line).unwrap();
        assert_eq!(value["id"], 7);
    }
}
