//! TEMPORARY STUB (replaced by the real module)
use serde::Serialize;
use serde_json::Value;
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Ip,
    Key,
    Principal,
    PrincipalId,
    Account,
    User,
    Session,
}
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Entity {
    pub kind: EntityKind,
    pub value: String,
}
pub fn from_guardduty(_: &Value) -> Vec<Entity> {
    vec![]
}
pub fn from_cloudtrail(_: &Value) -> Vec<Entity> {
    vec![]
}
pub fn from_ocsf(_: &Value) -> Vec<Entity> {
    vec![]
}
pub fn parse_target(_: &str) -> Option<Entity> {
    None
}
pub fn matches(_: &Entity, _: &Entity) -> bool {
    false
}
