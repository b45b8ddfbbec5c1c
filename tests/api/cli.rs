//! The `tahsilat` binary as an operator uses it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDatabase};

fn tahsilat(dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tahsilat"));
    command.current_dir(dir).env("RUST_LOG", "warn");
    for (key, _) in std::env::vars() {
        if key.starts_with("TAHSILAT_") {
            command.env_remove(key);
        }
    }
    command
}

#[test]
fn a_bad_database_url_exits_2_with_one_line_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = tahsilat(dir.path())
        .arg("serve")
        .env("TAHSILAT_DATABASE_URL", "nope://x")
        .output()
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("TAHSILAT_DATABASE_URL"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(output.stdout.is_empty());
}

#[test]
fn other_bad_settings_exit_2_too() {
    let dir = tempfile::tempdir().unwrap();
    for (variable, value) in [
        ("TAHSILAT_LISTEN", "everywhere"),
        ("TAHSILAT_INSTALLMENT_RATES", "1:0,3:lots"),
        ("TAHSILAT_DATABASE_URL", "postgres://[bad"),
    ] {
        let output = tahsilat(dir.path())
            .arg("migrate")
            .env(variable, value)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{variable}={value}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains(variable) && !stderr.contains("panicked"),
            "{stderr}"
        );
    }
    // A bad value in tahsilat.toml is named the same way.
    std::fs::write(dir.path().join("tahsilat.toml"), "listen = \"nowhere\"\n").unwrap();
    let output = tahsilat(dir.path()).arg("migrate").output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("TAHSILAT_LISTEN")
    );
}

#[test]
fn help_explains_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (vec!["--help"], "serve"),
        (vec!["serve", "--help"], "--demo"),
        (vec!["migrate", "--help"], "migrations"),
        (vec!["schema", "--help"], "SDL"),
        (vec!["user", "add", "--help"], "COLLECTOR"),
        (vec!["import", "--help"], "all-or-nothing"),
    ] {
        let output = tahsilat(dir.path()).args(&args).output().unwrap();
        assert!(output.status.success(), "{args:?}");
        let text = String::from_utf8(output.stdout).unwrap();
        assert!(text.contains(expected), "{args:?}: {text}");
    }
    let unknown_role = tahsilat(dir.path())
        .args(["user", "add", "--email", "a@example.com", "--role", "ROOT"])
        .output()
        .unwrap();
    assert_eq!(unknown_role.status.code(), Some(2));
}

#[test]
fn schema_prints_the_sdl() {
    let dir = tempfile::tempdir().unwrap();
    let output = tahsilat(dir.path()).arg("schema").output().unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        tahsilat::graphql::sdl()
    );
}

/// `user add` on each database: the printed token works against a server on that database.
async fn user_add_prints_a_working_token(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let output = tahsilat(database.dir.path())
        .args([
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "VIEWER",
            "--org",
            "acme",
        ])
        .env("TAHSILAT_DATABASE_URL", &database.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let token = stdout.lines().last().unwrap().trim().to_owned();
    assert!(token.starts_with("tsk_"), "{stdout}");

    // Running it again for the same user issues another token; a different role is refused.
    let again = tahsilat(database.dir.path())
        .args([
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "VIEWER",
            "--org",
            "acme",
        ])
        .env("TAHSILAT_DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert!(again.status.success());
    let refused = tahsilat(database.dir.path())
        .args([
            "user",
            "add",
            "--email",
            "a@example.com",
            "--role",
            "ADMIN",
            "--org",
            "acme",
        ])
        .env("TAHSILAT_DATABASE_URL", &database.url)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already exists"));

    let app = TestApp::spawn_on(database).await;
    let (status, body) = app
        .graphql(
            &token,
            "{ viewer { email role organization { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["email"], "a@example.com");
    assert_eq!(body["data"]["viewer"]["role"], "VIEWER");
    assert_eq!(body["data"]["viewer"]["organization"]["name"], "acme");

    // `token revoke PREFIX` from the command line: refused at once on a fresh start, and the
    // prefix no longer matches an active token.
    let prefix: String = token.chars().take(12).collect();
    let revoke = |prefix: String| {
        tahsilat(app.database.dir.path())
            .args(["token", "revoke", &prefix])
            .env("TAHSILAT_DATABASE_URL", &app.database.url)
            .output()
            .unwrap()
    };
    let revoked = revoke(prefix.clone());
    assert!(
        revoked.status.success(),
        "{}",
        String::from_utf8_lossy(&revoked.stderr)
    );
    assert!(String::from_utf8_lossy(&revoked.stdout).contains("a@example.com"));
    let again = revoke(prefix);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("no active token"));
    // A running server may hold the token in its 30-second cache; the database no longer
    // accepts it.
    assert!(
        tahsilat::auth::authenticate(&app.state.db, &app.clock, &token)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_prints_a_working_token_sqlite() {
    user_add_prints_a_working_token(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_add_prints_a_working_token_postgres() {
    user_add_prints_a_working_token(Backend::Postgres).await;
}

/// `serve --demo` as a new user runs it: it prints a token and an address, serves, and stops
/// cleanly on SIGTERM. A second run adds nothing.
async fn serve_demo_end_to_end(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let client = reqwest::Client::new();
    let mut counts = Vec::new();
    for _run in 0..2 {
        let mut child = tahsilat(database.dir.path())
            .args(["serve", "--demo"])
            .env("TAHSILAT_DATABASE_URL", &database.url)
            .env("TAHSILAT_LISTEN", "127.0.0.1:0")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut token, mut address, mut summary) = (String::new(), String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(rest) = line.strip_prefix("Tahsilat is listening on ") {
                address = rest.trim().to_owned();
                break;
            } else if line.contains(" token: ") {
                token = line.rsplit(' ').next().unwrap().to_owned();
            } else if line.starts_with("Demo organization") {
                summary = line;
            }
        }
        assert!(
            token.starts_with("tsk_") && address.starts_with("http://127.0.0.1:"),
            "{token} {address}"
        );
        counts.push(
            summary
                .split(':')
                .nth(1)
                .unwrap()
                .split('(')
                .next()
                .unwrap()
                .trim()
                .to_owned(),
        );

        assert_eq!(
            client
                .get(format!("{address}/readyz"))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        let body: serde_json::Value = client
            .post(format!("{address}/graphql"))
            .bearer_auth(&token)
            .json(&json!({"query": "{ viewer { email role } }"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["data"]["viewer"]["role"], "ADMIN", "{body}");
        // The demo pays through the test bank, which `--demo` turns on: its callback route is
        // there (an unsigned post is refused, not unknown).
        let refused = client
            .post(format!("{address}/callbacks/sandbox"))
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 401);

        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert!(status.success(), "serve exited with {status}");
    }
    assert_eq!(counts[0], "25 customers, 150 invoices");
    assert_eq!(counts[0], counts[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_end_to_end_sqlite() {
    serve_demo_end_to_end(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_demo_end_to_end_postgres() {
    serve_demo_end_to_end(Backend::Postgres).await;
}

/// `rates import --tcmb` reads the Central Bank's bulletin from a local copy served over HTTP
/// (and from a file), and the rates are then what `exchangeRates` answers.
async fn rates_import_reads_the_central_bank_bulletin(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let bulletin = include_str!("../fixtures/tcmb_today.xml");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let routes = axum::Router::new().route(
        "/kurlar/today.xml",
        axum::routing::get(move || async move { bulletin }),
    );
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let run = |args: Vec<String>| {
        let output = tahsilat(database.dir.path())
            .args(&args)
            .env("TAHSILAT_DATABASE_URL", &database.url)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run([
        "user",
        "add",
        "--email",
        "cfo@acme.com.tr",
        "--role",
        "MANAGER",
        "--org",
        "acme",
    ]
    .map(String::from)
    .to_vec());
    assert_eq!(code, Some(0), "{stderr}");
    let token = stdout.lines().last().unwrap().trim().to_owned();

    let url = format!("http://{address}/kurlar/today.xml");
    let (code, stdout, stderr) = run(["rates", "import", "--tcmb", &url]
        .map(String::from)
        .to_vec());
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "stored 3 rates of 2026-11-24 for 1 organization(s)"
    );
    // A file works too; the same day's rates are replaced, not doubled.
    let file = format!(
        "{}/tests/fixtures/tcmb_today.xml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, _, stderr) = run(["rates", "import", "--tcmb", &file, "--org", "acme"]
        .map(String::from)
        .to_vec());
    assert_eq!(code, Some(0), "{stderr}");
    // Failures say what failed and change nothing.
    let missing = format!("http://{address}/kurlar/yok.xml");
    let (code, _, stderr) = run(["rates", "import", "--tcmb", &missing]
        .map(String::from)
        .to_vec());
    assert_ne!(code, Some(0));
    assert!(stderr.contains("404"), "{stderr}");
    let (code, _, stderr) = run(["rates", "import", "--tcmb", &url, "--org", "nobody"]
        .map(String::from)
        .to_vec());
    assert_ne!(code, Some(0));
    assert!(stderr.contains("no organization named"), "{stderr}");

    let app = TestApp::spawn_on(database).await;
    let (_, body) = app
        .graphql(
            &token,
            "{ exchangeRates(date: \"2026-11-24\") { currency rate date } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"]["exchangeRates"],
        json!([
            {"currency": "EUR", "rate": "48.9642", "date": "2026-11-24"},
            {"currency": "JPY", "rate": "0.272101", "date": "2026-11-24"},
            {"currency": "USD", "rate": "42.3881", "date": "2026-11-24"},
        ]),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_import_reads_the_central_bank_bulletin_sqlite() {
    rates_import_reads_the_central_bank_bulletin(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_import_reads_the_central_bank_bulletin_postgres() {
    rates_import_reads_the_central_bank_bulletin(Backend::Postgres).await;
}

/// `import` reads the CSV files Turkish packages export — Logo-style (`;`, Windows-1254, decimal
/// comma, `dd.MM.yyyy`) and Mikro-style (`,`, UTF-8 with a BOM, decimal point, ISO dates) — into
/// the same rows; a second run changes nothing; refused rows go beside the file with the reason.
async fn import_reads_logo_and_mikro_files(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let dir = database.dir.path().to_owned();
    let run = |args: &[&str]| {
        let output = tahsilat(&dir)
            .args(args)
            .env("TAHSILAT_DATABASE_URL", &database.url)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run(&[
        "user",
        "add",
        "--email",
        "cfo@acme.com.tr",
        "--role",
        "MANAGER",
        "--org",
        "acme",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    let token = stdout.lines().last().unwrap().trim().to_owned();

    // Logo-style customers: `;`, Windows-1254, Turkish headers.
    let customers = "Cari Kod;Unvan;VKN;Telefon\n120.01.001;Şahin Çelik İnşaat A.Ş.;1234567890;0532 123 45 67\n120.01.002;Ege Gıda Ltd. Şti.;;\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(customers);
    std::fs::write(dir.join("cari.csv"), &bytes).unwrap();
    let (code, stdout, stderr) = run(&["import", "customers", "cari.csv", "--org", "acme"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "customers: 2 created, 0 updated, 0 unchanged, 0 rejected"
    );

    // The same invoices in both formats.
    let logo = "Fatura No;Cari Kod;Fatura Tarihi;Vade;Tutar;Döviz;Açıklama\nGIB2026000001;120.01.001;01.11.2026;01.12.2026;1.250,50;TL;Kasım hakedişi\nGIB2026000002;120.01.002;05.11.2026;05.12.2026;980,00;TL;\n";
    let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(logo);
    std::fs::write(dir.join("logo.csv"), &bytes).unwrap();
    let mikro = "\u{feff}Fatura No,Cari Kod,Fatura Tarihi,Vade,Tutar,Döviz,Açıklama\nGIB2026000001,120.01.001,2026-11-01,2026-12-01,1250.50,TRY,Kasım hakedişi\nGIB2026000002,120.01.002,2026-11-05,2026-12-05,980.00,TRY,\n";
    std::fs::write(dir.join("mikro.csv"), mikro).unwrap();
    let (code, stdout, stderr) = run(&[
        "import",
        "invoices",
        "logo.csv",
        "--org",
        "acme",
        "--dry-run",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "invoices: 2 created, 0 updated, 0 unchanged, 0 rejected (nothing written)"
    );
    let (code, stdout, stderr) = run(&["import", "invoices", "logo.csv", "--org", "acme"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "invoices: 2 created, 0 updated, 0 unchanged, 0 rejected"
    );
    let (code, stdout, stderr) = run(&[
        "import",
        "invoices",
        "mikro.csv",
        "--org",
        "acme",
        "--mode",
        "all-or-nothing",
    ]);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "invoices: 0 created, 0 updated, 2 unchanged, 0 rejected",
        "the same rows"
    );

    // A refused row: exit 1, the reasons in a file beside the input; the good row is written.
    let bad = "Fatura No;Cari Kod;Fatura Tarihi;Tutar\nGIB2026000003;120.01.999;07.11.2026;10,00\nGIB2026000004;120.01.002;31.02.2026;10,00\nGIB2026000005;120.01.002;07.11.2026;75,25\n";
    std::fs::write(dir.join("hatali.csv"), bad).unwrap();
    let (code, stdout, stderr) = run(&["import", "invoices", "hatali.csv", "--org", "acme"]);
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(
        stdout.trim(),
        "invoices: 1 created, 0 updated, 0 unchanged, 2 rejected"
    );
    assert!(stderr.contains("hatali.rejected.csv"), "{stderr}");
    let rejected = std::fs::read_to_string(dir.join("hatali.rejected.csv")).unwrap();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines.len(), 3, "{rejected}");
    assert!(lines[0].ends_with("Hata / Error"), "{rejected}");
    assert!(
        lines[1].starts_with("GIB2026000003;120.01.999")
            && lines[1].contains("Cari Kod")
            && lines[1].contains("CUSTOMER_NOT_FOUND"),
        "{rejected}"
    );
    assert!(
        lines[2].contains("Fatura Tarihi") && lines[2].contains("not a date"),
        "{rejected}"
    );

    let app = TestApp::spawn_on(database).await;
    let (_, body) = app
        .graphql(
            &token,
            "{ invoices(first: 10) { edges { node { number total { amount currency } dueDate customer { name taxId phone } } } } }",
            json!({}),
        )
        .await;
    let nodes: Vec<&serde_json::Value> = body["data"]["invoices"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| &edge["node"])
        .collect();
    assert_eq!(nodes.len(), 3, "{body}");
    let first = nodes
        .iter()
        .find(|node| node["number"] == "GIB2026000001")
        .unwrap();
    assert_eq!(
        first["total"],
        json!({"amount": "1250.50", "currency": "TRY"})
    );
    assert_eq!(first["dueDate"], "2026-12-01");
    assert_eq!(
        first["customer"],
        json!({"name": "Şahin Çelik İnşaat A.Ş.", "taxId": "1234567890", "phone": "+905321234567"})
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_logo_and_mikro_files_sqlite() {
    import_reads_logo_and_mikro_files(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_logo_and_mikro_files_postgres() {
    import_reads_logo_and_mikro_files(Backend::Postgres).await;
}
