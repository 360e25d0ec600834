//! Project rate limits: `/organization/projects/{project_id}/rate_limits`.

use super::ListRateLimits;
use super::operations::LIST_PROJECT_RATE_LIMITS;
use crate::{NextAfter, ReadClient, Result};
use custos_model::api::RateLimit;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

/// `ProjectRateLimitUpdateRequest`: body of POST `.../rate_limits/{rate_limit_id}`; only the
/// limits that are set change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectRateLimitUpdateRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_images_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_audio_megabytes_per_1_minute: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_requests_per_1_day: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_1_day_max_input_tokens: Option<i64>,
}

impl ReadClient {
    /// GET `/organization/projects/{project_id}/rate_limits` — list a project's rate limits
    /// (every page).
    pub fn list_project_rate_limits(
        &self,
        project_id: &str,
        params: &ListRateLimits,
    ) -> BoxStream<'static, Result<RateLimit>> {
        let op = &LIST_PROJECT_RATE_LIMITS;
        self.walk_ids(
            op,
            &[project_id],
            params.query(op, false),
            NextAfter::LastId,
        )
    }
}
