//! The two halves of the client: [`ReadClient`] reads, [`WriteClient`] writes.
//!
//! **A scan cannot write.** Everything that walks an organization (custos-scan, custos-app's
//! provider, the binary's commands) and the re-reads of an action hold a [`ReadClient`], which
//! has no method that sends anything but a GET: the transport's write path is private to this
//! crate and reached only through [`WriteClient::send`]. The compiler holds this; the
//! `compile_fail` examples on [`ReadClient`] are the proof that runs with the tests.
//!
//! **Only an approved action builds a [`WriteClient`].** Rust has no visibility "public to one
//! crate", and a cargo feature would be unified across the workspace (the binary links
//! custos-actions), so neither would keep another crate of the workspace from building one.
//! What holds instead: its one constructor is [`WriteClient::new`], which custos-actions calls
//! with the separate read-write key once an approval has been proven, and a test
//! (`custos-actions/tests/flow/plans.rs`) fails, naming the file, on any source file outside
//! custos-openai and custos-actions that names the type.
//!
//! **What a write is.** A [`WriteCall`]: a write operation of the table
//! ([`crate::endpoints::OPERATIONS`]), its path ids and its JSON body. The path is encoded here,
//! once, by [`Fill::fill`], and the call is serialized as the `method`, `path` and `body`
//! sent, so that whoever approves a plan reads the exact request.

use crate::endpoints::{Fill, Operation, operation_of};
use crate::path::decode_segment;
use crate::{ClientConfig, Error, ReadClient, Result};
use bytes::Bytes;
use http::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One write of the operation table with its arguments, checked when built: what a plan holds
/// and a [`WriteClient`] sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(into = "WireCall", try_from = "WireCall")]
pub struct WriteCall {
    operation: &'static Operation,
    ids: Vec<String>,
    /// `operation.path` filled with `ids`, percent-encoded.
    path: String,
    body: Option<Value>,
}

impl WriteCall {
    /// `operation` with `ids` for its placeholders, in order, and `body` (a POST's JSON;
    /// `None`: an empty POST). Refused, naming the operation, when it is a read, a DELETE has a
    /// body, the ids are more or fewer than the placeholders, an id cannot name one object, or
    /// the ids would make the path another operation's (a certificate id `activate` would turn
    /// modifying it into activating every certificate).
    pub fn new(operation: &'static Operation, ids: &[&str], body: Option<Value>) -> Result<Self> {
        let refused = |reason: String| {
            Error::Config(format!(
                "{} {}: {reason}; nothing was sent",
                operation.method, operation.path
            ))
        };
        if !operation.write {
            return Err(refused("a read is not a write".to_owned()));
        }
        if operation.method == "DELETE" && body.is_some() {
            return Err(refused("a DELETE has no body".to_owned()));
        }
        let placeholders = operation.path.matches('{').count();
        if ids.len() != placeholders {
            return Err(refused(format!(
                "{} ids for {placeholders} placeholders",
                ids.len()
            )));
        }
        let path = operation.fill(ids)?;
        if operation_of(operation.method, &path) != Some(operation) {
            return Err(refused(format!(
                "the ids make the path {path}, which is another operation's"
            )));
        }
        Ok(WriteCall {
            operation,
            ids: ids.iter().map(|id| (*id).to_owned()).collect(),
            path,
            body,
        })
    }

    /// [`WriteCall::new`] with a typed body, one of the spec's request schemas
    /// ([`crate::endpoints::ProjectCreateRequest`], ...).
    pub fn with_body<B: Serialize>(
        operation: &'static Operation,
        ids: &[&str],
        body: &B,
    ) -> Result<Self> {
        let body = serde_json::to_value(body).map_err(|e| {
            Error::Config(format!(
                "{} {}: the request body is not JSON-encodable: {e}",
                operation.method, operation.path
            ))
        })?;
        WriteCall::new(operation, ids, Some(body))
    }

    /// The call a `method`, an encoded `path` and a `body` describe (a stored plan). Refused
    /// unless `path` is exactly what [`WriteCall::new`] writes for its operation and ids, so
    /// that what was approved is what is sent.
    pub fn from_wire(method: &str, path: &str, body: Option<Value>) -> Result<Self> {
        let refused = |reason: &str| {
            Error::Config(format!(
                "{method} {path} is not a write of the operation table as custos encodes it: \
                 {reason}"
            ))
        };
        let operation =
            operation_of(method, path).ok_or_else(|| refused("no operation has this path"))?;
        let ids: Vec<String> = operation
            .path
            .split('/')
            .zip(path.split('/'))
            .filter(|(part, _)| part.starts_with('{'))
            .map(|(_, segment)| decode_segment(segment))
            .collect::<Option<_>>()
            .ok_or_else(|| refused("an id is not percent-encoded UTF-8"))?;
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let call = WriteCall::new(operation, &ids, body).map_err(|e| refused(&e.to_string()))?;
        if call.method() != method || call.path != path {
            return Err(refused(&format!(
                "custos writes it as {} {}",
                call.method(),
                call.path
            )));
        }
        Ok(call)
    }

    /// The operation of the table.
    pub fn operation(&self) -> &'static Operation {
        self.operation
    }

    /// The ids of the path's placeholders, in order, as given (not encoded).
    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    /// `POST` or `DELETE`.
    pub fn method(&self) -> &'static str {
        self.operation.method
    }

    /// The path below the API root, ids percent-encoded, e.g.
    /// `/organization/users/user%2F1`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The JSON body of a POST (`None`: empty).
    pub fn body(&self) -> Option<&Value> {
        self.body.as_ref()
    }
}

/// A [`WriteCall`] as it is stored and shown: the request exactly as sent.
#[derive(Debug, Serialize, Deserialize)]
struct WireCall {
    method: String,
    path: String,
    body: Option<Value>,
}

impl From<WriteCall> for WireCall {
    fn from(call: WriteCall) -> Self {
        WireCall {
            method: call.operation.method.to_owned(),
            path: call.path,
            body: call.body,
        }
    }
}

impl TryFrom<WireCall> for WriteCall {
    type Error = Error;

    fn try_from(wire: WireCall) -> Result<Self> {
        WriteCall::from_wire(&wire.method, &wire.path, wire.body)
    }
}

/// What a write did.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// The API applied it and answered with this body.
    Applied(Value),
    /// A DELETE answered 404: the object is not there, whether an earlier attempt of this
    /// request deleted it (the answer was lost and the DELETE retried) or it never existed.
    /// Either way the desired state holds, so this is not an error. A caller that must tell
    /// the two apart reads the object first.
    AlreadyGone,
}

/// The write half of the Admin API client: sends [`WriteCall`]s, and reads with the same key
/// through [`WriteClient::reader`]. Only custos-actions builds one (see the module
/// documentation).
///
/// ```no_run
/// # async fn act(write: &custos_openai::WriteClient) -> custos_openai::Result<()> {
/// use custos_openai::WriteCall;
/// use custos_openai::endpoints::operations::DELETE_USER;
/// let call = WriteCall::new(&DELETE_USER, &["user_1"], None)?;
/// write.send(&call).await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct WriteClient {
    client: ReadClient,
}

impl WriteClient {
    /// A client for `config`, whose key must be allowed to write; checked as
    /// [`ReadClient::new`] checks it. Nothing is sent.
    pub fn new(config: ClientConfig) -> Result<Self> {
        Ok(WriteClient {
            client: ReadClient::new(config)?,
        })
    }

    /// Reads with the same key (re-reading what a write is about to change or has changed).
    pub fn reader(&self) -> &ReadClient {
        &self.client
    }

    /// Sends `call`. A POST is retried only when the server surely did not act; a DELETE
    /// answered 404 is [`WriteOutcome::AlreadyGone`].
    pub async fn send(&self, call: &WriteCall) -> Result<WriteOutcome> {
        match call.method() {
            "DELETE" => match self
                .client
                .send_write(Method::DELETE, call.path(), None)
                .await
            {
                Ok(answer) => Ok(WriteOutcome::Applied(answer)),
                Err(error) if error.is_not_found() => Ok(WriteOutcome::AlreadyGone),
                Err(error) => Err(error),
            },
            "POST" => {
                let body = match call.body() {
                    Some(body) => Bytes::from(serde_json::to_vec(body).map_err(|e| {
                        Error::Config(format!(
                            "POST {}: the request body is not JSON-encodable: {e}",
                            call.path()
                        ))
                    })?),
                    None => Bytes::new(),
                };
                let answer = self
                    .client
                    .send_write(Method::POST, call.path(), Some(body))
                    .await?;
                Ok(WriteOutcome::Applied(answer))
            }
            other => Err(Error::Config(format!(
                "{other} {}: not a write method; nothing was sent",
                call.path()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::operations::{
        ACTIVATE_ORGANIZATION_CERTIFICATES, DELETE_PROJECT_USER, DELETE_USER, LIST_USERS,
        MODIFY_CERTIFICATE,
    };
    use serde_json::json;

    #[test]
    fn a_call_is_checked_when_built() {
        let refused = |result: Result<WriteCall>| result.unwrap_err().to_string();
        assert!(refused(WriteCall::new(&LIST_USERS, &[], None)).contains("not a write"));
        assert!(
            refused(WriteCall::new(&DELETE_USER, &["u1"], Some(json!({})))).contains("no body")
        );
        assert!(refused(WriteCall::new(&DELETE_USER, &["u1", "u2"], None)).contains("2 ids"));
        assert!(refused(WriteCall::new(&DELETE_USER, &[".."], None)).contains("cannot name"));
        assert!(
            refused(WriteCall::new(&MODIFY_CERTIFICATE, &["activate"], None))
                .contains("another operation's")
        );
        let call = WriteCall::new(&DELETE_PROJECT_USER, &["proj 1", "user/2"], None).unwrap();
        assert_eq!(
            call.path(),
            "/organization/projects/proj%201/users/user%2F2"
        );
        assert_eq!(call.ids(), ["proj 1", "user/2"]);
    }

    #[test]
    fn a_call_round_trips_through_its_wire_form_only_when_encoded_as_custos_does() {
        for call in [
            WriteCall::new(&DELETE_PROJECT_USER, &["p/1", "u%2"], None).unwrap(),
            WriteCall::new(
                &ACTIVATE_ORGANIZATION_CERTIFICATES,
                &[],
                Some(json!({"certificate_ids": ["c"]})),
            )
            .unwrap(),
        ] {
            let wire = serde_json::to_value(&call).unwrap();
            assert_eq!(wire["method"], json!(call.method()));
            assert_eq!(wire["path"], json!(call.path()));
            assert_eq!(serde_json::from_value::<WriteCall>(wire).unwrap(), call);
        }
        for (method, path) in [
            // Not encoded as custos encodes: lower-case hex, an unreserved byte encoded.
            ("DELETE", "/organization/users/a%2fb"),
            ("DELETE", "/organization/users/%61"),
            ("DELETE", "/organization/users/%zz"),
            ("GET", "/organization/users/u1"),
            ("delete", "/organization/users/u1"),
            ("DELETE", "/nowhere/u1"),
        ] {
            let wire = json!({"method": method, "path": path, "body": null});
            assert!(
                serde_json::from_value::<WriteCall>(wire).is_err(),
                "{method} {path}"
            );
        }
    }
}
