//! `aspk bench`: load a server and hold it against the speed targets (see `aspk-bench`).

pub use aspk_bench::BenchArgs;

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    aspk_bench::run(args).await
}
