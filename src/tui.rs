//! The full-screen investigator (being built: see the screen issue).

use crate::cli::Global;

pub async fn run(_global: Global, sources: Vec<String>) -> anyhow::Result<()> {
    anyhow::bail!(
        "the full-screen investigator is not built yet; meanwhile: trawl ls {0} / trawl records {0}",
        sources.join(" ")
    )
}
