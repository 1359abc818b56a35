//! TEMPORARY STUB (replaced by the real module)
pub struct DemoLake {
    pub root: std::path::PathBuf,
    pub sources: Vec<std::path::PathBuf>,
    pub objects: usize,
    pub bytes: u64,
}
pub fn write_demo_lake(dir: &std::path::Path) -> std::io::Result<DemoLake> {
    Ok(DemoLake {
        root: dir.into(),
        sources: vec![],
        objects: 0,
        bytes: 0,
    })
}
pub mod story {
    pub const ATTACKER_IP: &str = "203.0.113.66";
    pub const STOLEN_KEY: &str = "ASIA";
    pub const PROD_ACCOUNT: &str = "111122223333";
    pub const INTRUSION_DAY: &str = "2024-05-02";
}
