//! Test harness: a real moto server (S3, KMS, Athena) that the tests provision and start
//! themselves, the trawl binary, and the fixtures.
//!
//! moto and the other Python test tools (tests/requirements.txt) are installed into a virtual
//! environment under `target/` on first use. One server per test binary, on a free loopback port;
//! tests keep apart by using their own buckets. With CI=true a missing endpoint fails the test.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const ACCESS_KEY: &str = "testing";
pub const SECRET_KEY: &str = "testing-secret-key-canary";
pub const REGION: &str = "us-east-1";

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    manifest_dir().join("tests/fixtures").join(name)
}

pub fn corpus(name: &str) -> PathBuf {
    fixture("corpus").join(name)
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("target"))
}

/// The launcher stops moto when the test process that started it is gone, so no server outlives
/// its tests (a static is never dropped).
const LAUNCHER: &str = r#"
import os, sys, threading, time
parent = os.getppid()
def watch():
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
"#;

/// The venv is current when it was installed from this very requirements file.
fn venv_is_current(venv: &Path, requirements: &str) -> bool {
    std::fs::read_to_string(venv.join("trawl-requirements.txt")).is_ok_and(|r| r == requirements)
}

/// A Python with the test tools of `tests/requirements.txt`, in a venv under `target/`.
pub fn python() -> Result<PathBuf, String> {
    static PY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    PY.get_or_init(find_or_install_python).clone()
}

fn find_or_install_python() -> Result<PathBuf, String> {
    let requirements = std::fs::read_to_string(manifest_dir().join("tests/requirements.txt"))
        .map_err(|e| format!("tests/requirements.txt: {e}"))?;
    let venv = target_dir().join("test-venv");
    let venv_py = venv.join("bin/python");
    if venv_is_current(&venv, &requirements) {
        return Ok(venv_py);
    }
    // Several test binaries may get here at once (nextest): one installs, the others wait.
    let lock = target_dir().join("test-venv.lock");
    std::fs::create_dir_all(target_dir()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        if started.elapsed() > Duration::from_secs(900) {
            return Err(format!("waited 15 minutes for {}", lock.display()));
        }
        std::thread::sleep(Duration::from_millis(500));
        if venv_is_current(&venv, &requirements) {
            return Ok(venv_py);
        }
    }
    let result = install_venv(&venv, &venv_py, &requirements);
    let _ = std::fs::remove_dir(&lock);
    result
}

fn install_venv(venv: &Path, venv_py: &Path, requirements: &str) -> Result<PathBuf, String> {
    let _ = writeln!(
        std::io::stderr(),
        "test harness: installing tests/requirements.txt into {} (first run only)",
        venv.display()
    );
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    if !venv_py.exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    }
    run(Command::new(venv_py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(manifest_dir().join("tests/requirements.txt")))?;
    std::fs::write(venv.join("trawl-requirements.txt"), requirements).map_err(|e| e.to_string())?;
    Ok(venv_py.to_path_buf())
}

pub struct Moto {
    pub endpoint: String,
    pub port: u16,
}

fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn http_ok(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().expect("address"),
        Duration::from_millis(300),
    ) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /moto-api/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 12];
    s.read_exact(&mut buf).is_ok() && buf.starts_with(b"HTTP/1.")
}

fn start_moto() -> Result<Moto, String> {
    start_moto_with(&[])
}

fn start_moto_with(env: &[(&str, &str)]) -> Result<Moto, String> {
    let py = python()?;
    let port = free_port().map_err(|e| e.to_string())?;
    let logs = target_dir().join("moto-logs");
    std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
    prune_logs(&logs, Duration::from_secs(24 * 3600));
    let log_path = logs.join(format!("moto-{port}.log"));
    let log = std::fs::File::create(&log_path).map_err(|e| e.to_string())?;
    let log2 = log.try_clone().map_err(|e| e.to_string())?;
    // Output goes to a file: an inherited pipe would keep `cargo test`'s caller waiting.
    let mut child = Command::new(&py)
        .args(["-c", LAUNCHER, &port.to_string()])
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .spawn()
        .map_err(|e| format!("cannot start moto with {}: {e}", py.display()))?;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if http_ok(port) {
            return Ok(Moto {
                endpoint: format!("http://127.0.0.1:{port}"),
                port,
            });
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!(
                "moto exited ({status}); see {}",
                log_path.display()
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let _ = child.kill();
    Err(format!(
        "moto did not answer within 60 s; see {}",
        log_path.display()
    ))
}

/// Removes the logs of moto servers started more than `age` ago: every test run starts some,
/// and a server of a run still going (another clone's, another binary's) is younger.
fn prune_logs(dir: &Path, age: Duration) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|a| a > age);
        if old {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// The moto server of this test binary. `None` (with a loud message) only outside CI.
pub fn moto() -> Option<&'static Moto> {
    static MOTO: OnceLock<Result<Moto, String>> = OnceLock::new();
    match MOTO.get_or_init(start_moto) {
        Ok(m) => Some(m),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("the local AWS endpoint (moto) is required in CI and is unavailable: {e}");
            }
            // Written past the test harness's capture, so that a skip is never silent.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: the local AWS endpoint (moto) is unavailable: {e} ***\n"
            );
            None
        }
    }
}

/// A moto server of the calling test's own, started with extra environment (for instance
/// `INITIAL_NO_AUTH_ACTION_COUNT`, which makes it enforce IAM): for tests that change server-wide
/// settings. `None` (with a loud message) only outside CI, like [`moto`].
pub fn private_moto(env: &[(&str, &str)]) -> Option<Moto> {
    match start_moto_with(env) {
        Ok(m) => Some(m),
        Err(e) => {
            if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
                panic!("the local AWS endpoint (moto) is required in CI and is unavailable: {e}");
            }
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPED: the local AWS endpoint (moto) is unavailable: {e} ***\n"
            );
            None
        }
    }
}

/// A bucket name no other test uses.
pub fn unique_bucket(tag: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "trawl-{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// The trawl binary with an environment that points at nothing but what the test gives it.
pub fn trawl() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_trawl"));
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir())
        // Each test binary gets its own object cache, so no run reads another's entries.
        .env(
            "XDG_CACHE_HOME",
            std::env::temp_dir().join(format!("trawl-test-cache-{}", std::process::id())),
        )
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", REGION)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent/trawl-test-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/trawl-test-credentials",
        )
        .stdin(Stdio::null());
    c
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("trawl runs");
    let r = Run {
        status: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    };
    assert!(
        !r.stdout.contains(SECRET_KEY) && !r.stderr.contains(SECRET_KEY),
        "the secret key leaked into trawl's output"
    );
    r
}

/// Each JSON line of stdout, parsed.
pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// SDK clients for setting up fixtures in moto (trawl itself never writes).
pub struct Aws {
    pub s3: aws_sdk_s3::Client,
    pub kms: aws_sdk_kms::Client,
}

pub async fn aws(m: &Moto) -> Aws {
    let creds = aws_sdk_s3::config::Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test");
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(creds)
        .endpoint_url(&m.endpoint)
        .load()
        .await;
    let s3conf = aws_sdk_s3::config::Builder::from(&conf)
        .force_path_style(true)
        .build();
    Aws {
        s3: aws_sdk_s3::Client::from_conf(s3conf),
        kms: aws_sdk_kms::Client::new(&conf),
    }
}

impl Aws {
    /// A bucket whose objects are all uploaded with SSE-KMS under a fresh key; returns the key id.
    pub async fn kms_bucket(&self, bucket: &str) -> String {
        self.s3
            .create_bucket()
            .bucket(bucket)
            .send()
            .await
            .expect("create bucket");
        let key = self
            .kms
            .create_key()
            .description("trawl test key")
            .send()
            .await
            .expect("create KMS key");
        key.key_metadata()
            .expect("key metadata")
            .key_id()
            .to_string()
    }

    pub async fn put_kms(&self, bucket: &str, key: &str, body: Vec<u8>, kms_key: &str) {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .body(body.into())
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
            .ssekms_key_id(kms_key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("put {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    }

    /// Uploads every file under `dir` with its relative path as the key, under `prefix`.
    pub async fn upload_dir(&self, bucket: &str, prefix: &str, dir: &Path, kms_key: &str) -> usize {
        let mut n = 0;
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("read dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(dir).expect("under dir");
                    let key = format!("{prefix}{}", rel.to_string_lossy());
                    self.put_kms(bucket, &key, std::fs::read(&path).expect("read"), kms_key)
                        .await;
                    n += 1;
                }
            }
        }
        n
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// A local lake laid out as AWS writes it, built from the corpus: the same tree goes to moto.
pub fn corpus_lake(dir: &Path) {
    let put = |key: &str, bytes: Vec<u8>| {
        let p = dir.join(key);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, bytes).expect("write");
    };
    let read = |name: &str| std::fs::read(corpus(name)).expect("corpus file");
    put(
        "findings/AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/02/5a1f0c3e-9d2b-3f4a-8e6c-7b0d1e2f3a4b.jsonl.gz",
        gzip(&read("test-guardduty.log")),
    );
    put(
        "findings/AWSLogs/123456789012/GuardDuty/us-east-1/2024/05/03/6b2a1d4f-0e3c-4a5b-9f7d-8c1e2f3a4b5c.jsonl.gz",
        gzip(&read("test-guard_duty.log")),
    );
    put(
        "AWSLogs/o-a1b2c3d4e5/123456789/CloudTrail/us-east-2/2023/05/30/123456789_CloudTrail_us-east-2_20230530T1200Z_AbCdEfGh12345678.json.gz",
        read("cloudtrail-log-file.json.gz"),
    );
    put(
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail/us-east-2/2024/05/02/111122223333_CloudTrail_us-east-2_20240502T0305Z_0123456789abcdef.json.gz",
        read("elastic-cloudtrail-records.json.gz"),
    );
    put(
        "AWSLogs/o-a1b2c3d4e5/111122223333/CloudTrail-Digest/us-east-2/2024/05/02/111122223333_CloudTrail-Digest_us-east-2_org-trail_us-east-2_20240502T030512Z.json.gz",
        gzip(br#"{"awsAccountId":"111122223333","digestStartTime":"2024-05-02T02:05:12Z","digestEndTime":"2024-05-02T03:05:12Z","logFiles":[]}"#),
    );
    put(
        "aws/SH_FINDINGS/1.0/region=us-east-1/accountId=123456789012/eventDay=20240502/0a1b2c3d4e5f.gz.parquet",
        read("malware_infection_detected_sample.parquet"),
    );
    put(
        "ext/edr/region=us-east-1/accountId=123456789012/eventDay=20240502/network.json",
        read("test-network-activity.log"),
    );
}

/// Compares a rendered screen with its stored snapshot under tests/snapshots/ (UPDATE_SNAPSHOTS=1
/// rewrites it; in CI a missing snapshot is a failure, not a new file).
pub fn assert_snapshot(name: &str, screen: &str) {
    // How long a scan took is the machine's, not the screen's: it is written as `#s`.
    let elapsed = regex_lite::Regex::new(r"in \d+(\.\d*)?(s|…)").unwrap();
    let screen = &*elapsed.replace_all(screen, "in #s");
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    let update = std::env::var_os("UPDATE_SNAPSHOTS").is_some();
    match std::fs::read_to_string(&path) {
        Ok(expected) if !update => {
            if expected != screen {
                panic!(
                    "screen {name} differs from {}\n--- expected\n{expected}\n--- got\n{screen}\n(UPDATE_SNAPSHOTS=1 rewrites it)",
                    path.display()
                );
            }
        }
        Err(_) if std::env::var("CI").as_deref() == Ok("true") => {
            panic!(
                "missing snapshot {} (run the tests once locally)",
                path.display()
            )
        }
        _ => std::fs::write(&path, screen).unwrap(),
    }
}

// ---- moto's Athena: its state transitions and result queue (server-wide) ----

/// moto's Athena state transitions and result queue are server-wide, and every test shares the
/// server: the tests that set them take turns.
pub static MOTO_ATHENA: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub fn moto_post(m: &Moto, path: &str, body: &serde_json::Value) {
    let body = body.to_string();
    let mut s = TcpStream::connect(("127.0.0.1", m.port)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 20") || resp.starts_with("HTTP/1.0 20"),
        "{resp}"
    );
}

/// Each GetQueryExecution moves a query on by one state after `polls` calls.
pub fn athena_transition(m: &Moto, polls: u64) {
    moto_post(
        m,
        "/moto-api/state-manager/set-transition",
        &serde_json::json!({"model_name": "athena::execution", "transition": {"progression": "manual", "times": polls}}),
    );
}

/// Queues one result (a header row, then `records` with their objects) for the next query.
pub fn queue_result(m: &Moto, region: &str, records: &[(serde_json::Value, &str)]) {
    let cell = |s: &str| serde_json::json!({"VarCharValue": s});
    let mut rows = vec![serde_json::json!({"Data": [cell("record"), cell("object")]})];
    for (r, o) in records {
        rows.push(serde_json::json!({"Data": [cell(&r.to_string()), cell(o)]}));
    }
    let col = |n: &str| serde_json::json!({"CatalogName": "hive", "SchemaName": "", "TableName": "", "Name": n, "Label": n, "Type": "varchar", "Precision": 2147483647, "Scale": 0, "Nullable": "UNKNOWN", "CaseSensitive": true});
    moto_post(
        m,
        "/moto-api/static/athena/query-results",
        &serde_json::json!({"account_id": "123456789012", "region": region, "results": [{"rows": rows, "column_info": [col("record"), col("object")]}]}),
    );
}

/// Jumps the screen to a partition from the palette (`:` and the query) and reads it.
pub async fn read(s: &mut trawl::tui::Session, query: &str) {
    s.keys(&[":"]);
    s.type_text(query);
    s.settle().await;
    s.keys(&["enter"]);
    s.settle().await;
}
