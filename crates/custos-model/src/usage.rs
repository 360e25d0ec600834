//! Usage and cost results (the ten `/organization/usage/*` endpoints and `/organization/costs`).

use crate::Extra;
use crate::unix;
use serde::{Deserialize, Serialize};

/// The ten usage endpoints. Each knows its path, result tag, filters, `group_by` values and the
/// numeric fields that a bucket sums (`docs/admin-api-notes.md` "Usage and costs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    Completions,
    Embeddings,
    Moderations,
    Images,
    AudioSpeeches,
    AudioTranscriptions,
    VectorStores,
    CodeInterpreterSessions,
    FileSearchCalls,
    WebSearchCalls,
}

/// A filter parameter and the result field it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageFilter {
    /// Query parameter, e.g. `project_ids`.
    pub param: &'static str,
    /// Result field, e.g. `project_id`.
    pub field: &'static str,
}

const fn filter(param: &'static str, field: &'static str) -> UsageFilter {
    UsageFilter { param, field }
}

const PROJECT: UsageFilter = filter("project_ids", "project_id");
const USER: UsageFilter = filter("user_ids", "user_id");
const KEY: UsageFilter = filter("api_key_ids", "api_key_id");
const MODEL: UsageFilter = filter("models", "model");
const BATCH: UsageFilter = filter("batch", "batch");
const SOURCE: UsageFilter = filter("sources", "source");
const SIZE: UsageFilter = filter("sizes", "size");
const VECTOR_STORE: UsageFilter = filter("vector_store_ids", "vector_store_id");
const CONTEXT_LEVEL: UsageFilter = filter("context_levels", "context_level");

impl UsageKind {
    pub const ALL: [UsageKind; 10] = [
        UsageKind::Completions,
        UsageKind::Embeddings,
        UsageKind::Moderations,
        UsageKind::Images,
        UsageKind::AudioSpeeches,
        UsageKind::AudioTranscriptions,
        UsageKind::VectorStores,
        UsageKind::CodeInterpreterSessions,
        UsageKind::FileSearchCalls,
        UsageKind::WebSearchCalls,
    ];

    /// The key in a scenario's `usage` object and the last segment of the endpoint path.
    pub fn name(self) -> &'static str {
        match self {
            UsageKind::Completions => "completions",
            UsageKind::Embeddings => "embeddings",
            UsageKind::Moderations => "moderations",
            UsageKind::Images => "images",
            UsageKind::AudioSpeeches => "audio_speeches",
            UsageKind::AudioTranscriptions => "audio_transcriptions",
            UsageKind::VectorStores => "vector_stores",
            UsageKind::CodeInterpreterSessions => "code_interpreter_sessions",
            UsageKind::FileSearchCalls => "file_search_calls",
            UsageKind::WebSearchCalls => "web_search_calls",
        }
    }

    pub fn from_name(name: &str) -> Option<UsageKind> {
        UsageKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// `/organization/usage/<name>`.
    pub fn path(self) -> String {
        format!("/organization/usage/{}", self.name())
    }

    /// The `object` tag of a result (note `file_searches` and `web_searches`).
    pub fn result_object(self) -> &'static str {
        match self {
            UsageKind::Completions => "organization.usage.completions.result",
            UsageKind::Embeddings => "organization.usage.embeddings.result",
            UsageKind::Moderations => "organization.usage.moderations.result",
            UsageKind::Images => "organization.usage.images.result",
            UsageKind::AudioSpeeches => "organization.usage.audio_speeches.result",
            UsageKind::AudioTranscriptions => "organization.usage.audio_transcriptions.result",
            UsageKind::VectorStores => "organization.usage.vector_stores.result",
            UsageKind::CodeInterpreterSessions => {
                "organization.usage.code_interpreter_sessions.result"
            }
            UsageKind::FileSearchCalls => "organization.usage.file_searches.result",
            UsageKind::WebSearchCalls => "organization.usage.web_searches.result",
        }
    }

    /// Filter parameters the endpoint accepts, besides time and paging.
    pub fn filters(self) -> &'static [UsageFilter] {
        match self {
            UsageKind::Completions => &[PROJECT, USER, KEY, MODEL, BATCH],
            UsageKind::Embeddings
            | UsageKind::Moderations
            | UsageKind::AudioSpeeches
            | UsageKind::AudioTranscriptions => &[PROJECT, USER, KEY, MODEL],
            UsageKind::Images => &[PROJECT, USER, KEY, MODEL, SOURCE, SIZE],
            UsageKind::VectorStores | UsageKind::CodeInterpreterSessions => &[PROJECT],
            UsageKind::FileSearchCalls => &[PROJECT, USER, KEY, VECTOR_STORE],
            UsageKind::WebSearchCalls => &[PROJECT, USER, KEY, MODEL, CONTEXT_LEVEL],
        }
    }

    /// Values `group_by` accepts; they are also the result's grouping fields.
    pub fn group_by(self) -> &'static [&'static str] {
        match self {
            UsageKind::Completions => &[
                "project_id",
                "user_id",
                "api_key_id",
                "model",
                "batch",
                "service_tier",
            ],
            UsageKind::Embeddings
            | UsageKind::Moderations
            | UsageKind::AudioSpeeches
            | UsageKind::AudioTranscriptions => &["project_id", "user_id", "api_key_id", "model"],
            UsageKind::Images => &[
                "project_id",
                "user_id",
                "api_key_id",
                "model",
                "size",
                "source",
            ],
            UsageKind::VectorStores | UsageKind::CodeInterpreterSessions => &["project_id"],
            UsageKind::FileSearchCalls => {
                &["project_id", "user_id", "api_key_id", "vector_store_id"]
            }
            UsageKind::WebSearchCalls => &[
                "project_id",
                "user_id",
                "api_key_id",
                "model",
                "context_level",
            ],
        }
    }

    /// Numeric fields a bucket sums; the first ones are required in a result.
    pub fn metrics(self) -> &'static [&'static str] {
        match self {
            UsageKind::Completions => &[
                "input_tokens",
                "output_tokens",
                "num_model_requests",
                "input_cached_tokens",
                "input_audio_tokens",
                "output_audio_tokens",
            ],
            UsageKind::Embeddings | UsageKind::Moderations => {
                &["input_tokens", "num_model_requests"]
            }
            UsageKind::Images => &["images", "num_model_requests"],
            UsageKind::AudioSpeeches => &["characters", "num_model_requests"],
            UsageKind::AudioTranscriptions => &["seconds", "num_model_requests"],
            UsageKind::VectorStores => &["usage_bytes"],
            UsageKind::CodeInterpreterSessions => &["num_sessions"],
            UsageKind::FileSearchCalls => &["num_requests"],
            UsageKind::WebSearchCalls => &["num_model_requests", "num_requests"],
        }
    }

    /// Metrics the spec requires in every result of this kind.
    pub fn required_metrics(self) -> &'static [&'static str] {
        match self {
            UsageKind::Completions => &["input_tokens", "output_tokens", "num_model_requests"],
            other => other.metrics(),
        }
    }
}

/// `organization.usage.<kind>.result`, any kind: grouping fields and counters are all optional
/// here because each kind has a different subset (see [`UsageKind`]).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct UsageResult {
    pub object: String,
    /// (sim) the record's time in a scenario; never present in API answers.
    #[serde(
        default,
        deserialize_with = "unix::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_tokens: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_model_requests: Option<i64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// `amount` of a cost result: `value` in currency units, `currency` lower-case (`"usd"`).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Amount {
    #[serde(default)]
    pub value: f64,
    #[serde(default)]
    pub currency: String,
}

/// `organization.costs.result`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CostResult {
    pub object: String,
    /// (sim) the record's time in a scenario; never present in API answers.
    #[serde(
        default,
        deserialize_with = "unix::optional",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<i64>,
    #[serde(default)]
    pub amount: Amount,
    #[serde(default)]
    pub line_item: Option<String>,
    #[serde(default)]
    pub project_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_unit: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Values `group_by` accepts on `/organization/costs`.
pub const COST_GROUP_BY: &[&str] = &["project_id", "line_item", "api_key_id"];

/// Filters `/organization/costs` accepts.
pub const COST_FILTERS: &[UsageFilter] = &[PROJECT, KEY];
