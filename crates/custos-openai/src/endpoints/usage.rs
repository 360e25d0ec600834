//! Usage and costs: the ten `/organization/usage/*` endpoints and `/organization/costs`
//! (time buckets, style C). Arrays go out as `name[]=v`, as the SDK sends them.

use super::operations::{
    COSTS, USAGE_AUDIO_SPEECHES, USAGE_AUDIO_TRANSCRIPTIONS, USAGE_CODE_INTERPRETER_SESSIONS,
    USAGE_COMPLETIONS, USAGE_EMBEDDINGS, USAGE_FILE_SEARCH_CALLS, USAGE_IMAGES, USAGE_MODERATIONS,
    USAGE_VECTOR_STORES, USAGE_WEB_SEARCH_CALLS,
};
use super::{Operation, page_limit, refused, walk};
use crate::{Query, ReadClient, Result};
use custos_model::api::{CostResult, UsageKind, UsageResult};
use custos_model::page::Bucket;
use custos_model::usage::COST_GROUP_BY;
use futures::stream::BoxStream;

/// Most buckets a costs page holds (and the default custos asks for).
pub const MAX_COST_BUCKETS: u32 = 180;

/// Width of a usage bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BucketWidth {
    Minute,
    Hour,
    #[default]
    Day,
}

impl BucketWidth {
    /// The wire value: `1m`, `1h` or `1d`.
    pub fn as_str(self) -> &'static str {
        match self {
            BucketWidth::Minute => "1m",
            BucketWidth::Hour => "1h",
            BucketWidth::Day => "1d",
        }
    }

    /// Most buckets one page may hold at this width.
    pub fn max_limit(self) -> u32 {
        match self {
            BucketWidth::Minute => 1440,
            BucketWidth::Hour => 168,
            BucketWidth::Day => 31,
        }
    }
}

/// Query of the usage endpoints. Filters and `group_by` values the endpoint does not take
/// ([`UsageKind::filters`], [`UsageKind::group_by`]) are refused, not silently dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsageParams {
    /// Unix seconds, inclusive (required by the API).
    pub start_time: i64,
    /// Unix seconds, exclusive.
    pub end_time: Option<i64>,
    pub bucket_width: BucketWidth,
    pub project_ids: Vec<String>,
    pub user_ids: Vec<String>,
    pub api_key_ids: Vec<String>,
    pub models: Vec<String>,
    /// Completions only: batch or not.
    pub batch: Option<bool>,
    /// Images only: `image.generation`, `image.edit`, `image.variation`.
    pub sources: Vec<String>,
    /// Images only, e.g. `1024x1024`.
    pub sizes: Vec<String>,
    /// File search only.
    pub vector_store_ids: Vec<String>,
    /// Web search only: `low`, `medium`, `high`.
    pub context_levels: Vec<String>,
    pub group_by: Vec<String>,
    /// Buckets per page; `None`: the most the bucket width allows.
    pub limit: Option<u32>,
    /// Resume from a previous `next_page`.
    pub page: Option<String>,
}

impl UsageParams {
    /// Every bucket from `start_time` on, a day wide, ungrouped.
    pub fn new(start_time: i64) -> Self {
        UsageParams {
            start_time,
            ..UsageParams::default()
        }
    }

    fn array_filters(&self) -> [(&'static str, &[String]); 8] {
        [
            ("project_ids", &self.project_ids),
            ("user_ids", &self.user_ids),
            ("api_key_ids", &self.api_key_ids),
            ("models", &self.models),
            ("sources", &self.sources),
            ("sizes", &self.sizes),
            ("vector_store_ids", &self.vector_store_ids),
            ("context_levels", &self.context_levels),
        ]
    }

    fn query(&self, kind: UsageKind) -> Result<Query> {
        let op = usage_operation(kind);
        let accepts = |param: &str| kind.filters().iter().any(|f| f.param == param);
        let mut query = Query::new();
        query
            .push("start_time", self.start_time)
            .push_opt("end_time", self.end_time)
            .push("bucket_width", self.bucket_width.as_str());
        for (param, values) in self.array_filters() {
            if values.is_empty() {
                continue;
            }
            if !accepts(param) {
                return Err(refused(
                    op,
                    format!("filter `{param}` is not accepted here"),
                ));
            }
            query.push_array(param, values);
        }
        if let Some(batch) = self.batch {
            if !accepts("batch") {
                return Err(refused(
                    op,
                    "filter `batch` is not accepted here".to_owned(),
                ));
            }
            query.push("batch", batch);
        }
        push_group_by(&mut query, op, &self.group_by, kind.group_by())?;
        let limit = page_limit(op, self.limit, self.bucket_width.max_limit())?;
        query
            .push("limit", limit)
            .push_opt("page", self.page.as_deref());
        Ok(query)
    }
}

/// Query of GET `/organization/costs` (always one-day buckets).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CostsParams {
    /// Unix seconds, inclusive (required by the API).
    pub start_time: i64,
    /// Unix seconds, exclusive.
    pub end_time: Option<i64>,
    pub project_ids: Vec<String>,
    pub api_key_ids: Vec<String>,
    /// `project_id`, `line_item`, `api_key_id`.
    pub group_by: Vec<String>,
    /// Buckets per page, `1..=180`; `None`: 180.
    pub limit: Option<u32>,
    /// Resume from a previous `next_page`.
    pub page: Option<String>,
}

impl CostsParams {
    /// Every daily bucket from `start_time` on, ungrouped.
    pub fn new(start_time: i64) -> Self {
        CostsParams {
            start_time,
            ..CostsParams::default()
        }
    }

    fn query(&self) -> Result<Query> {
        let mut query = Query::new();
        query
            .push("start_time", self.start_time)
            .push_opt("end_time", self.end_time)
            .push_array("project_ids", &self.project_ids)
            .push_array("api_key_ids", &self.api_key_ids);
        push_group_by(&mut query, &COSTS, &self.group_by, COST_GROUP_BY)?;
        let limit = page_limit(&COSTS, self.limit, MAX_COST_BUCKETS)?;
        query
            .push("limit", limit)
            .push_opt("page", self.page.as_deref());
        Ok(query)
    }
}

/// `group_by[]=...`, each value checked against what the endpoint groups by.
fn push_group_by(
    query: &mut Query,
    op: &Operation,
    values: &[String],
    allowed: &[&str],
) -> Result<()> {
    if let Some(bad) = values.iter().find(|v| !allowed.contains(&v.as_str())) {
        let allowed = allowed.join(", ");
        return Err(refused(
            op,
            format!("cannot group by `{bad}` (allowed: {allowed})"),
        ));
    }
    query.push_array("group_by", values);
    Ok(())
}

/// The spec operation behind one usage kind.
pub fn usage_operation(kind: UsageKind) -> &'static Operation {
    match kind {
        UsageKind::Completions => &USAGE_COMPLETIONS,
        UsageKind::Embeddings => &USAGE_EMBEDDINGS,
        UsageKind::Moderations => &USAGE_MODERATIONS,
        UsageKind::Images => &USAGE_IMAGES,
        UsageKind::AudioSpeeches => &USAGE_AUDIO_SPEECHES,
        UsageKind::AudioTranscriptions => &USAGE_AUDIO_TRANSCRIPTIONS,
        UsageKind::VectorStores => &USAGE_VECTOR_STORES,
        UsageKind::CodeInterpreterSessions => &USAGE_CODE_INTERPRETER_SESSIONS,
        UsageKind::FileSearchCalls => &USAGE_FILE_SEARCH_CALLS,
        UsageKind::WebSearchCalls => &USAGE_WEB_SEARCH_CALLS,
    }
}

impl ReadClient {
    /// GET `/organization/usage/{kind}` — usage buckets of one kind (every page): one method
    /// for the ten usage operations (completions, embeddings, moderations, images, audio
    /// speeches and transcriptions, vector stores, code interpreter sessions, file search and
    /// web search calls).
    pub fn usage(
        &self,
        kind: UsageKind,
        params: &UsageParams,
    ) -> BoxStream<'static, Result<Bucket<UsageResult>>> {
        let path = usage_operation(kind).path;
        walk(params.query(kind), |query| {
            self.paginate_buckets(path, query)
        })
    }

    /// GET `/organization/costs` — daily cost buckets (every page).
    pub fn costs(&self, params: &CostsParams) -> BoxStream<'static, Result<Bucket<CostResult>>> {
        walk(params.query(), |query| {
            self.paginate_buckets(COSTS.path, query)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &Query) -> Vec<String> {
        query
            .pairs()
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect()
    }

    #[test]
    fn every_kind_maps_to_its_own_path() {
        for kind in UsageKind::ALL {
            assert_eq!(usage_operation(kind).path, kind.path());
        }
    }

    #[test]
    fn limit_defaults_to_the_widest_page_for_the_bucket_width() {
        let params = UsageParams {
            bucket_width: BucketWidth::Hour,
            models: vec!["gpt-4o".into()],
            group_by: vec!["model".into()],
            ..UsageParams::new(100)
        };
        let query = params.query(UsageKind::Completions).expect("accepted");
        assert_eq!(
            pairs(&query),
            [
                "start_time=100",
                "bucket_width=1h",
                "models[]=gpt-4o",
                "group_by[]=model",
                "limit=168",
            ]
        );
    }

    #[test]
    fn filters_and_groupings_a_kind_does_not_take_are_refused_by_name() {
        let params = UsageParams {
            models: vec!["gpt-4o".into()],
            ..UsageParams::new(0)
        };
        let error = params.query(UsageKind::VectorStores).unwrap_err();
        assert!(error.to_string().contains("`models`"), "{error}");

        let params = UsageParams {
            batch: Some(true),
            ..UsageParams::new(0)
        };
        assert!(params.query(UsageKind::Embeddings).is_err());

        let params = UsageParams {
            group_by: vec!["model".into()],
            ..UsageParams::new(0)
        };
        let error = params
            .query(UsageKind::CodeInterpreterSessions)
            .unwrap_err();
        assert!(error.to_string().contains("`model`"), "{error}");
    }

    #[test]
    fn costs_default_to_180_buckets_and_check_group_by() {
        let query = CostsParams::new(5).query().expect("accepted");
        assert_eq!(pairs(&query), ["start_time=5", "limit=180"]);
        let params = CostsParams {
            group_by: vec!["model".into()],
            ..CostsParams::new(5)
        };
        assert!(params.query().is_err());
        let params = CostsParams {
            limit: Some(181),
            ..CostsParams::new(5)
        };
        assert!(params.query().is_err());
    }
}
