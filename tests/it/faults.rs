//! Failing networks, read-only proof and secrets: trawl talks to moto through a fault-injecting,
//! recording HTTP proxy on a loopback port. Throttling and server errors are retried with backoff;
//! what cannot be read is reported by name and never presented as complete; timeouts are the
//! user's to set; only GET and HEAD requests ever reach S3; the secret key never leaves.

use crate::common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to a request instead of (or while) forwarding it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Forward, answer in full.
    Pass,
    /// 503 with S3's `SlowDown` error.
    SlowDown,
    /// 500 with S3's `InternalError`.
    Internal,
    /// Headers and half the body, then a TCP reset.
    ResetMidBody,
    /// Headers and the body up to a line end in its first half, then a clean close: the part
    /// that arrived parses perfectly, and is still not the whole object.
    CutAtLine,
    /// The body in small pieces with pauses between them: slow but moving.
    SlowBody,
    /// Headers and half the body, then nothing for this many seconds.
    Stall(u64),
    /// The request is read and never answered.
    Hang,
}

/// Applies `fault` to the first `times` requests whose target contains `needle`.
struct Rule {
    needle: String,
    fault: Fault,
    times: usize,
}

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    target: String,
    at: Instant,
}

#[derive(Clone)]
struct Proxy {
    addr: SocketAddr,
    rules: Arc<Mutex<Vec<Rule>>>,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Every request head as received, to prove what was (and was not) sent.
    heads: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// A proxy to `upstream` on its own thread and runtime; it stops after two idle minutes.
    fn start(upstream: u16) -> Proxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        std_listener.set_nonblocking(true).expect("nonblocking");
        let proxy = Proxy {
            addr: std_listener.local_addr().expect("address"),
            rules: Arc::default(),
            seen: Arc::default(),
            heads: Arc::default(),
        };
        let p = proxy.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).expect("listener");
                while let Ok(Ok((client, _))) =
                    tokio::time::timeout(Duration::from_secs(120), listener.accept()).await
                {
                    let p = p.clone();
                    tokio::spawn(async move {
                        let _ = p.serve(client, upstream).await;
                    });
                }
            });
        });
        proxy
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn fail(&self, needle: &str, fault: Fault, times: usize) {
        self.rules.lock().unwrap().push(Rule {
            needle: needle.to_string(),
            fault,
            times,
        });
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    fn requests_for(&self, needle: &str) -> Vec<Seen> {
        self.seen()
            .into_iter()
            .filter(|s| s.method == "GET" && s.target.contains(needle))
            .collect()
    }

    fn fault_for(&self, target: &str) -> Fault {
        let mut rules = self.rules.lock().unwrap();
        for r in rules.iter_mut() {
            if r.times > 0 && target.contains(&r.needle) {
                r.times -= 1;
                return r.fault;
            }
        }
        Fault::Pass
    }

    /// One request per connection (answers say `Connection: close`), which keeps this simple.
    async fn serve(&self, mut client: TcpStream, upstream: u16) -> std::io::Result<()> {
        let Some((head, body)) = read_message_head(&mut client).await? else {
            return Ok(());
        };
        let head_text = String::from_utf8_lossy(&head).to_string();
        let mut request_line = head_text.lines().next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default().to_string();
        let length = header(&head_text, "content-length")
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let mut request_body = body;
        while request_body.len() < length.min(64 << 20) {
            let mut buf = vec![0u8; 64 << 10];
            let n = client.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            request_body.extend_from_slice(&buf[..n]);
        }
        let fault = self.fault_for(&target);
        self.heads.lock().unwrap().push(head_text.clone());
        self.seen.lock().unwrap().push(Seen {
            method: method.clone(),
            target,
            at: Instant::now(),
        });
        match fault {
            Fault::SlowDown => {
                return error_reply(
                    &mut client,
                    &method,
                    503,
                    "Slow Down",
                    "SlowDown",
                    "Please reduce your request rate.",
                )
                .await
            }
            Fault::Internal => {
                return error_reply(
                    &mut client,
                    &method,
                    500,
                    "Internal Server Error",
                    "InternalError",
                    "We encountered an internal error. Please try again.",
                )
                .await
            }
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return Ok(());
            }
            _ => {}
        }

        // Forward with `Connection: close`, read the whole answer, then shape what the client gets.
        let mut up = TcpStream::connect(("127.0.0.1", upstream)).await?;
        let mut forwarded = String::new();
        for line in head_text.split("\r\n").filter(|l| !l.is_empty()) {
            if !line.to_ascii_lowercase().starts_with("connection:") {
                forwarded.push_str(line);
                forwarded.push_str("\r\n");
            }
        }
        forwarded.push_str("Connection: close\r\n\r\n");
        up.write_all(forwarded.as_bytes()).await?;
        up.write_all(&request_body).await?;
        let mut answer = Vec::new();
        up.take(256 << 20).read_to_end(&mut answer).await?;
        let split = find(&answer, b"\r\n\r\n").map_or(answer.len(), |i| i + 4);
        let (resp_head, raw_body) = answer.split_at(split);
        let resp_head = String::from_utf8_lossy(resp_head).to_string();
        let body = if header(&resp_head, "transfer-encoding").is_some_and(|v| v.contains("chunked"))
        {
            dechunk(raw_body)
        } else {
            raw_body.to_vec()
        };
        // Re-framed with a length, so that a short body is detectably short.
        let mut out = String::new();
        for line in resp_head.split("\r\n").filter(|l| !l.is_empty()) {
            let l = line.to_ascii_lowercase();
            if !(l.starts_with("connection:")
                || l.starts_with("transfer-encoding:")
                || (l.starts_with("content-length:") && method != "HEAD"))
            {
                out.push_str(line);
                out.push_str("\r\n");
            }
        }
        if method != "HEAD" {
            out.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        out.push_str("Connection: close\r\n\r\n");
        client.write_all(out.as_bytes()).await?;
        let half = body.len() / 2;
        match fault {
            Fault::ResetMidBody => {
                client.write_all(&body[..half]).await?;
                client.flush().await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
                // SO_LINGER 0: closing sends RST, as a dropped connection does (and with a zero
                // linger, dropping does not block, which is what the deprecation warns of).
                #[allow(deprecated)]
                client.set_linger(Some(Duration::ZERO))?;
                drop(client);
                return Ok(());
            }
            Fault::CutAtLine => {
                let cut = body[..half]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1);
                client.write_all(&body[..cut]).await?;
            }
            Fault::SlowBody => {
                for piece in body.chunks(body.len().div_ceil(8).max(1)) {
                    client.write_all(piece).await?;
                    client.flush().await?;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
            Fault::Stall(secs) => {
                client.write_all(&body[..half]).await?;
                client.flush().await?;
                tokio::time::sleep(Duration::from_secs(secs)).await;
            }
            _ => client.write_all(&body).await?,
        }
        client.shutdown().await
    }
}

async fn read_message_head(s: &mut TcpStream) -> std::io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            let body = buf.split_off(i + 4);
            return Ok(Some((buf, body)));
        }
        if buf.len() > 1 << 20 {
            return Ok(None);
        }
        let n = s.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(i) = find(raw, b"\r\n") {
        let size_text = String::from_utf8_lossy(&raw[..i]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or(0);
        if size == 0 || raw.len() < i + 2 + size {
            break;
        }
        out.extend_from_slice(&raw[i + 2..i + 2 + size]);
        raw = &raw[(i + 4 + size).min(raw.len())..];
    }
    out
}

async fn error_reply(
    s: &mut TcpStream,
    method: &str,
    status: u16,
    reason: &str,
    code: &str,
    message: &str,
) -> std::io::Result<()> {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>FAULT</RequestId></Error>"
    );
    let body = if method == "HEAD" {
        String::new()
    } else {
        body
    };
    let reply = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(reply.as_bytes()).await?;
    s.shutdown().await
}

const CT: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/05/02";

fn event(n: u32) -> String {
    format!(
        r#"{{"eventVersion":"1.08","eventTime":"2024-05-02T03:{:02}:{:02}Z","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.{}","recipientAccountId":"111122223333","userIdentity":{{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/alice"}}}}"#,
        n / 60 % 60,
        n % 60,
        n % 250 + 1
    )
}

/// A CloudTrail object of `n` events, gzip, under a name that ends in `tag`.
fn trail_object(tag: &str, n: u32) -> (String, Vec<u8>) {
    let events: Vec<String> = (0..n).map(event).collect();
    (
        format!("{CT}/111122223333_CloudTrail_us-east-1_20240502T0300Z_{tag}.json.gz"),
        gzip(format!("{{\"Records\":[{}]}}", events.join(",")).as_bytes()),
    )
}

/// A plain JSON Lines object of `n` events.
fn lines_object(tag: &str, n: u32) -> (String, Vec<u8>) {
    let text: String = (0..n).map(|i| event(i) + "\n").collect();
    (format!("loose/{tag}.jsonl"), text.into_bytes())
}

async fn bucket_with(m: &Moto, objects: &[(String, Vec<u8>)]) -> String {
    let aws = aws(m).await;
    let bucket = unique_bucket("faults");
    aws.s3
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    for (key, body) in objects {
        aws.s3
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.clone().into())
            .send()
            .await
            .expect("put");
    }
    bucket
}

/// Uploads every file under `dir` (relative path = key), sixteen at a time: the demo lake has
/// hundreds of objects.
async fn upload_tree(m: &Moto, bucket: &str, dir: &std::path::Path) -> usize {
    use futures::stream::{self, StreamExt};
    let aws = aws(m).await;
    aws.s3
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .expect("create bucket");
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    let s3 = &aws.s3;
    stream::iter(&files)
        .map(|path| async move {
            let key = path
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .to_string();
            s3.put_object()
                .bucket(bucket)
                .key(&key)
                .body(std::fs::read(path).unwrap().into())
                .send()
                .await
                .unwrap_or_else(|e| panic!("put {key}: {e}"));
        })
        .buffer_unordered(16)
        .count()
        .await
}

fn records_via(p: &Proxy, bucket: &str, extra: &[&str]) -> Run {
    run(trawl()
        .args([
            "records",
            "--format",
            "jsonl",
            "--endpoint-url",
            &p.endpoint(),
        ])
        .args(extra)
        .arg(format!("s3://{bucket}")))
}

fn count_from(r: &Run, key: &str) -> usize {
    json_lines(&r.stdout)
        .iter()
        .filter(|v| v["object"].as_str().unwrap_or_default().ends_with(key))
        .count()
}

fn assert_warns(r: &Run, key: &str, what: &str) {
    assert!(
        r.stderr
            .lines()
            .any(|w| w.starts_with("trawl: warning: ") && w.contains(key) && w.contains(what)),
        "no warning naming {key} with '{what}' in:\n{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_and_server_errors_are_retried_with_backoff() {
    let Some(m) = moto() else { return };
    let a = trail_object("throttled0000001", 40);
    let b = trail_object("brokenserver0002", 40);
    let c = trail_object("healthy000000003", 40);
    let bucket = bucket_with(m, &[a.clone(), b.clone(), c.clone()]).await;
    let p = Proxy::start(m.port);
    p.fail(&a.0, Fault::SlowDown, 2);
    p.fail(&b.0, Fault::Internal, 1);
    // Listings fail too, once: a folder is retried like an object.
    p.fail("list-type=2", Fault::SlowDown, 1);

    let r = records_via(&p, &bucket, &["--retries", "3"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(!r.stderr.contains("warning"), "{}", r.stderr);
    for (key, _) in [&a, &b, &c] {
        assert_eq!(count_from(&r, key), 40, "{key}");
    }
    let tries = p.requests_for(&a.0);
    assert_eq!(tries.len(), 3, "two SlowDowns, then the answer: {tries:?}");
    // Backoff: the retries were spread out, not fired at once (full jitter makes single gaps
    // random; two of them under 10 ms is vanishingly unlikely with a 1 s base).
    let waited = tries[2].at - tries[0].at;
    assert!(waited > Duration::from_millis(10), "{waited:?}");
    assert_eq!(p.requests_for(&b.0).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_that_keep_failing_cost_only_their_object_after_the_last_retry() {
    let Some(m) = moto() else { return };
    let a = trail_object("throttled0000001", 10);
    let b = trail_object("brokenserver0002", 10);
    let c = trail_object("healthy000000003", 10);
    let bucket = bucket_with(m, &[a.clone(), b.clone(), c.clone()]).await;
    let p = Proxy::start(m.port);
    p.fail(&a.0, Fault::SlowDown, usize::MAX);
    p.fail(&b.0, Fault::Internal, usize::MAX);

    let r = records_via(&p, &bucket, &["--retries", "2"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_warns(
        &r,
        &a.0,
        "throttled (SlowDown: Please reduce your request rate.)",
    );
    assert_warns(
        &r,
        &b.0,
        "failed (InternalError: We encountered an internal error",
    );
    assert_eq!(
        p.requests_for(&a.0).len(),
        3,
        "--retries 2 is three attempts"
    );
    assert_eq!(p.requests_for(&b.0).len(), 3);
    assert_eq!(count_from(&r, &c.0), 10);
    assert_eq!(count_from(&r, &a.0) + count_from(&r, &b.0), 0);
    assert!(r.stderr.ends_with(
        "2 of 3 objects and 0 folder listings could not be read completely (see warnings)\n"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_cut_short_is_never_presented_as_complete() {
    let Some(m) = moto() else { return };
    let a = trail_object("resetmidbody0001", 2000);
    let b = lines_object("cut-at-a-line-end", 2000);
    let c = trail_object("healthy000000003", 10);
    let bucket = bucket_with(m, &[a.clone(), b.clone(), c.clone()]).await;
    let p = Proxy::start(m.port);
    p.fail(&a.0, Fault::ResetMidBody, usize::MAX);
    p.fail(&b.0, Fault::CutAtLine, usize::MAX);

    let r = records_via(&p, &bucket, &["--retries", "1"]);
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(count_from(&r, &c.0), 10);
    for key in [&a.0, &b.0] {
        let got = count_from(&r, key);
        assert!(got < 2000, "{key}: {got} records of a cut object");
        assert_warns(&r, key, "connection lost after");
        if got > 0 {
            assert_warns(
                &r,
                key,
                &format!("incomplete: only the {got} records before the failure were read"),
            );
        }
    }
    assert!(r.stderr.contains("2 of 3 objects"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_bodies_finish_stalled_ones_time_out_and_the_timeout_is_configurable() {
    let Some(m) = moto() else { return };
    let a = trail_object("slowbutmoving001", 300);
    let b = trail_object("stalledbody00002", 300);
    let c = trail_object("healthy000000003", 10);
    let d = trail_object("neveranswers0004", 10);
    let bucket = bucket_with(m, &[a.clone(), b.clone(), c.clone(), d.clone()]).await;
    let p = Proxy::start(m.port);
    p.fail(&a.0, Fault::SlowBody, usize::MAX);
    p.fail(&b.0, Fault::Stall(40), usize::MAX);
    p.fail(&d.0, Fault::Hang, usize::MAX);

    let started = Instant::now();
    let r = records_via(&p, &bucket, &["--timeout", "3", "--retries", "1"]);
    let took = started.elapsed();
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert_eq!(
        count_from(&r, &a.0),
        300,
        "slow is not stalled: {}",
        r.stderr
    );
    assert_eq!(count_from(&r, &c.0), 10);
    assert!(count_from(&r, &b.0) < 300);
    assert_warns(
        &r,
        &b.0,
        "stalled: the body stopped arriving for longer than --timeout",
    );
    assert_warns(&r, &d.0, "timed out (");
    assert_warns(&r, &d.0, "after 3s");
    assert_eq!(p.requests_for(&d.0).len(), 2, "a timeout is retried");
    // Neither the 40 s stall nor the 60 s hang was waited out.
    assert!(took < Duration::from_secs(30), "{took:?}");
}

/// Every S3 request trawl made: method and target.
fn methods(p: &Proxy) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for s in p.seen() {
        *m.entry(s.method).or_insert(0) += 1;
    }
    m
}

#[tokio::test(flavor = "multi_thread")]
async fn trawl_sends_s3_nothing_but_get_and_head() {
    let Some(m) = moto() else { return };
    let dir = tempfile::tempdir().unwrap();
    corpus_lake(&dir.path().join("corpus"));
    let demo = run(trawl()
        .args(["demo", "--no-tui", "--dir"])
        .arg(dir.path().join("demo")));
    assert_eq!(demo.status, 0, "{}", demo.stderr);
    let bucket = unique_bucket("readonly");
    let uploaded = upload_tree(m, &bucket, dir.path()).await;
    assert!(uploaded > 600, "{uploaded}");
    let p = Proxy::start(m.port);
    let s3 = |sub: &str| format!("s3://{bucket}/{sub}");
    let ep = p.endpoint();
    let runs: Vec<Vec<String>> = vec![
        vec!["ls".into(), s3("")],
        vec!["records".into(), s3("corpus/")],
        vec!["records".into(), s3("demo/")],
        vec!["pivot".into(), s3("demo/"), trawl::demo::story::ATTACKER_IP.into()],
        // One object named directly: HEAD, then GET (Parquet by ranges).
        vec!["records".into(), s3("corpus/aws/SH_FINDINGS/1.0/region=us-east-1/accountId=123456789012/eventDay=20240502/0a1b2c3d4e5f.gz.parquet")],
    ];
    for args in &runs {
        let r = run(trawl()
            .args(&args[..1])
            .args(["--format", "jsonl", "--endpoint-url", &ep])
            .args(&args[1..]));
        assert_eq!(r.status, 0, "{args:?}: {}", r.stderr);
        assert!(!r.stdout.is_empty(), "{args:?} read nothing");
    }
    let seen = methods(&p);
    assert!(
        seen.keys().all(|m| m == "GET" || m == "HEAD"),
        "trawl sent more than GET and HEAD: {seen:?}"
    );
    assert!(seen["GET"] > 10 && seen["HEAD"] > 0, "{seen:?}");
    // Listing is a GET, and no GET carries a sub-resource that changes anything.
    let targets: Vec<String> = p.seen().into_iter().map(|s| s.target).collect();
    assert!(targets.iter().any(|t| t.contains("list-type=2")));
    for t in &targets {
        for verb in [
            "uploads", "delete", "acl", "policy", "tagging", "restore", "select",
        ] {
            assert!(
                !t.contains(&format!("?{verb}")) && !t.contains(&format!("&{verb}")),
                "{t}"
            );
        }
    }
    // The signature is sent; the secret it is made with never is.
    assert!(p
        .heads
        .lock()
        .unwrap()
        .iter()
        .all(|h| !h.contains(SECRET_KEY)));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_secret_key_never_appears_on_error_paths() {
    let Some(m) = moto() else { return };
    let (key, body) = trail_object("healthy000000003", 5);
    let bucket = bucket_with(m, &[(key.clone(), body)]).await;
    let p = Proxy::start(m.port);
    p.fail(&key, Fault::Hang, usize::MAX);
    // Every run goes through `run()`, which fails the test if the canary secret shows up on
    // stdout or stderr; debug logging and backtraces are on to give it every chance to.
    let noisy = |c: &mut std::process::Command| {
        c.env("RUST_LOG", "trace").env("RUST_BACKTRACE", "full");
    };
    // Timeouts (GET hangs).
    let mut c = trawl();
    noisy(&mut c);
    let r = run(c
        .args([
            "records",
            "--timeout",
            "1",
            "--retries",
            "0",
            "--endpoint-url",
            &p.endpoint(),
        ])
        .arg(format!("s3://{bucket}")));
    assert_eq!(r.status, 1, "{}", r.stderr);
    assert!(r.stderr.contains("timed out"), "{}", r.stderr);
    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut c = trawl();
    noisy(&mut c);
    let r = run(c
        .args([
            "ls",
            "--retries",
            "1",
            "--timeout",
            "2",
            "--endpoint-url",
            &format!("http://{closed}"),
        ])
        .arg(format!("s3://{bucket}")));
    assert_eq!(r.status, 1, "{}", r.stderr);
    // Not an endpoint at all.
    let mut c = trawl();
    noisy(&mut c);
    let r = run(c
        .args(["ls", "--endpoint-url", "not a url"])
        .arg(format!("s3://{bucket}")));
    assert_ne!(r.status, 0, "{}", r.stderr);
    // 403: a moto that enforces IAM does not know the test's key.
    if let Some(strict) = private_moto(&[("INITIAL_NO_AUTH_ACTION_COUNT", "0")]) {
        let mut c = trawl();
        noisy(&mut c);
        let r = run(c
            .args([
                "records",
                "--retries",
                "0",
                "--endpoint-url",
                &strict.endpoint,
            ])
            .arg(format!("s3://{bucket}/{key}")));
        assert_eq!(r.status, 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("access denied") || r.stderr.contains("InvalidAccessKeyId"),
            "{}",
            r.stderr
        );
    }
    // An error of the command line's own.
    let mut c = trawl();
    noisy(&mut c);
    let r = run(c.args(["records", "--since", "never", "/nonexistent"]));
    assert_eq!(r.status, 1);
}
