//! `kejia`: the command line. Parses arguments and hands over to the library; nothing else.
#![allow(clippy::print_stdout)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use kejia_kiosk::display::DisplaySpec;
use kejia_kiosk::readers::ReaderSpec;
use kejia_kiosk::touch::TouchSpec;
use kejia_kiosk::{KioskConfig, Size};
use kejia_server::clock::{Clock, SystemClock};
use kejia_server::config::{self, RawConfig};
use kejia_server::domain::access::{DeviceRole, StaffRole};
use kejia_server::hub::Hub;
use kejia_server::hub::profile::NewHome;
use kejia_server::sync::client::SyncClient;
use kejia_server::{Home, accounts, store::Store, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "kejia",
    version,
    about = "kejia (科家): check-in and attendance for science and technology workers' homes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a home: the JSON API and pages, on an SQLite database in the data folder.
    Serve(ServeArgs),
    /// Run the door kiosk: a client of `kejia serve` with a screen and serial readers.
    Kiosk(KioskArgs),
    /// Manage staff accounts of a home (for the hub's, see `kejia hub user add`).
    #[command(subcommand)]
    User(UserCommand),
    /// Manage device tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Show configuration help.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Enrol this home with the association's hub, with the hub's one-time code.
    Enroll(EnrollArgs),
    /// Push every change to the hub now and wait until it has acknowledged them.
    Sync(SyncArgs),
    /// Run the association's hub (homes sync to it), or register a home with `hub home add`.
    Hub(HubArgs),
    /// Copy a home's database to FILE, checked; works while the home is serving.
    Backup(BackupArgs),
    /// Put a backup in place as a home's database; the home must be stopped.
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// The home's data folder.
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// The file to write (must not exist yet), e.g. ./kejia-data/backups/manual-20261202.db.
    #[arg(long)]
    to: PathBuf,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// The home's data folder (created if missing).
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// The backup file, e.g. ./kejia-data/backups/kejia-20261201-193000Z.db.
    #[arg(long)]
    from: PathBuf,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct HubArgs {
    #[command(subcommand)]
    command: Option<HubCommand>,
    /// The hub's data folder; created with its database on first start.
    #[arg(long, default_value = "./kejia-hub-data")]
    data: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// A TOML settings file (time zone; see `kejia config example`).
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// Manage the homes registered at the hub.
    #[command(subcommand)]
    Home(HubHomeCommand),
    /// Manage the hub's staff accounts.
    #[command(subcommand)]
    User(HubUserCommand),
}

#[derive(Debug, Subcommand)]
enum HubUserCommand {
    /// Create a staff account in the hub's database (made if missing); the password is read
    /// from standard input.
    Add {
        /// The hub's data folder (where `kejia hub --data` keeps kejia-hub.db).
        #[arg(long, default_value = "./kejia-hub-data")]
        data: PathBuf,
        #[command(flatten)]
        account: AccountArgs,
    },
}

/// A staff account to create.
#[derive(Debug, Args)]
struct AccountArgs {
    /// The login name, e.g. zhangmin.
    #[arg(long)]
    username: String,
    /// staff (daily work) or admin (also manages accounts and settings).
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Read the password from the first line of standard input.
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Debug, Subcommand)]
enum HubHomeCommand {
    /// Register a home and print its one-time enrolment code.
    Add {
        /// The hub's data folder.
        #[arg(long, default_value = "./kejia-hub-data")]
        data: PathBuf,
        /// The home's name, e.g. 益阳高新区科技工作者之家.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        details: HomeDetailsArgs,
    },
}

/// What the association already knows of a home it registers (all optional; the hub's pages
/// change them later).
#[derive(Debug, Args)]
struct HomeDetailsArgs {
    /// The host unit (依托单位), e.g. 益阳某新材料有限公司.
    #[arg(long)]
    host_unit: Option<String>,
    /// The type of home.
    #[arg(long, value_enum)]
    kind: Option<HomeKindArg>,
    #[arg(long)]
    address: Option<String>,
    /// The staffer to contact, e.g. "张敏 0737-1234567".
    #[arg(long)]
    contact: Option<String>,
    /// The day the home applied (申报), e.g. 2025-09-01.
    #[arg(long, value_parser = parse_day)]
    applied_on: Option<String>,
    /// The day the home was awarded its plaque (授牌), e.g. 2026-03-18.
    #[arg(long, value_parser = parse_day)]
    awarded_on: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HomeKindArg {
    /// 高新技术企业 (high-tech enterprise)
    Enterprise,
    /// 产业园区 (industrial park)
    Park,
    /// 其他
    Other,
}

fn parse_day(text: &str) -> Result<String, String> {
    match kejia_server::hub::profile::parse_date("date", "日期", text) {
        Ok(Some(day)) => Ok(day.to_string()),
        Ok(None) => Err("日期不能为空".into()),
        Err(invalid) => Err(invalid.message),
    }
}

#[derive(Debug, Args)]
struct EnrollArgs {
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// The hub's address, e.g. https://hub.yiyang-kexie.cn.
    #[arg(long)]
    hub: String,
    /// The one-time code the hub printed for this home.
    #[arg(long)]
    code: String,
    /// Allow plain HTTP to a hub that is not on this machine (testing only).
    #[arg(long)]
    allow_http: bool,
}

#[derive(Debug, Args)]
struct SyncArgs {
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The home's data folder; created with its database on first start.
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// Address to listen on; use 0.0.0.0:8080 to serve the venue network.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// A TOML settings file (see `kejia config example`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Also run a kiosk beside the home on this display, e.g. mirror:127.0.0.1:8081 (the
    /// kiosk screen in a browser, clicks act as touches). It is an ordinary kiosk client.
    #[arg(long)]
    kiosk: Option<DisplaySpec>,
}

#[derive(Debug, Args)]
struct KioskArgs {
    /// The home's address, e.g. http://127.0.0.1:8080.
    #[arg(long)]
    server: String,
    /// A file holding the kiosk's token (from `kejia token add --role kiosk`).
    #[arg(long)]
    token_file: PathBuf,
    /// fb:/dev/fb0 (the Pi's panel), png:DIR (each frame as a PNG) or mirror:ADDR (a web page).
    #[arg(long, default_value = "fb:/dev/fb0")]
    display: DisplaySpec,
    /// Canvas size for png: and mirror:, e.g. 800x480, 1024x600 or 720x1280.
    #[arg(long, default_value = "800x480", value_parser = parse_size)]
    size: Size,
    /// A serial reader: rdm6300:PATH or qr:PATH, 9600 8N1 unless @BAUD follows the path.
    #[arg(long = "reader")]
    readers: Vec<ReaderSpec>,
    /// The touch panel: /dev/input/eventN, optionally with :rotate=90,x=MIN-MAX,y=MIN-MAX,invert-x,invert-y.
    #[arg(long)]
    touch: Option<TouchSpec>,
}

fn parse_size(text: &str) -> Result<Size, String> {
    kejia_kiosk::display::parse_size(text).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a staff account; the password is read from standard input. Writes to the hub's
    /// database if the folder holds one, else to a home's (made if missing).
    Add {
        /// The data folder: a home's (`kejia serve --data`), or a hub's that already holds
        /// kejia-hub.db (for a new hub use `kejia hub user add`).
        #[arg(long, default_value = "./kejia-data")]
        data: PathBuf,
        #[command(flatten)]
        account: AccountArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    /// 工作人员: daily work.
    Staff,
    /// 管理员: also manages accounts and settings.
    Admin,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Print a new API token (one line) for a device.
    Add {
        #[arg(long, default_value = "./kejia-data")]
        data: PathBuf,
        /// A name that says which device this is, e.g. "门口签到机".
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: DeviceRoleArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceRoleArg {
    Kiosk,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print an annotated example settings file.
    Example,
}

/// How long a command waits for the database to close cleanly on its way out.
const CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return refuse_arguments(error),
    };
    telemetry::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(16)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("kejia: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kejia: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Help and version go out as clap writes them; a bad argument gets one line and exit code 2.
fn refuse_arguments(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = error.print();
        return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
    }
    let text = error.to_string();
    let reason = text
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ");
    eprintln!("kejia: {reason} (see kejia --help)");
    ExitCode::from(2)
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve(args).await,
        Command::Kiosk(args) => kiosk(args).await,
        Command::User(UserCommand::Add { data, account }) => {
            add_user(&data, &account, Accounts::Any).await
        }
        Command::Token(TokenCommand::Add { data, name, role }) => {
            add_token(&data, &name, role).await
        }
        Command::Config(ConfigCommand::Example) => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Enroll(args) => enroll(args).await,
        Command::Sync(args) => sync(args).await,
        Command::Hub(HubArgs {
            command:
                Some(HubCommand::Home(HubHomeCommand::Add {
                    data,
                    name,
                    details,
                })),
            ..
        }) => add_home(&data, &name, details).await,
        Command::Hub(HubArgs {
            command: Some(HubCommand::User(HubUserCommand::Add { data, account })),
            ..
        }) => add_user(&data, &account, Accounts::Hub).await,
        Command::Hub(args) => hub(args).await,
        Command::Backup(args) => backup(args).await,
        Command::Restore(args) => restore(args).await,
    }
}

async fn backup(args: BackupArgs) -> anyhow::Result<()> {
    let copied =
        tokio::task::spawn_blocking(move || kejia_server::backup::backup_to(&args.data, &args.to))
            .await??;
    eprintln!(
        "kejia: backup written to {} ({} bytes, checked; change log up to {})",
        copied.path.display(),
        copied.bytes,
        copied.last_seq
    );
    Ok(())
}

async fn restore(args: RestoreArgs) -> anyhow::Result<()> {
    let now = SystemClock.now();
    let data = args.data.clone();
    let restored = tokio::task::spawn_blocking(move || {
        kejia_server::backup::restore(&args.data, &args.from, now)
    })
    .await??;
    eprintln!(
        "kejia: restored {} (change log up to {})",
        restored.database.display(),
        restored.last_seq
    );
    if let Some(aside) = &restored.set_aside {
        eprintln!(
            "kejia: the database that was there is kept as {}",
            aside.display()
        );
    }
    eprintln!(
        "kejia: check-ins after the backup was taken are not in it. If the home is enrolled, its next sync checks that the hub holds no more than this backup; if it does, pushing stops and the dashboard says so (see troubleshooting.md). Start the home again, e.g. `sudo systemctl start kejia-serve.service kejia-kiosk.service` (data folder {})",
        data.display()
    );
    Ok(())
}

async fn hub(args: HubArgs) -> anyhow::Result<()> {
    let settings = RawConfig::load(args.config.as_deref())?.check(args.data.clone())?;
    let hub = Hub::open(settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!(
        "kejia 科协平台已启动：http://{address}/  （数据目录 {}）",
        args.data.display()
    );
    if let Some(hint) = hub.start_hint().await? {
        println!("{hint}");
        tracing::warn!("{hint}");
    }
    tracing::info!(%address, "hub serving");
    hub.serve(listener, shutdown_signal()).await?;
    tracing::info!("hub stopped");
    Ok(())
}

async fn add_home(data: &Path, name: &str, details: HomeDetailsArgs) -> anyhow::Result<()> {
    let settings = RawConfig::load(None)?.check(data.to_owned())?;
    let hub = Hub::open(settings)?;
    let kind = details.kind.map(|kind| {
        match kind {
            HomeKindArg::Enterprise => "enterprise",
            HomeKindArg::Park => "park",
            HomeKindArg::Other => "other",
        }
        .to_owned()
    });
    let new = NewHome {
        name: Some(name.to_owned()),
        host_unit: details.host_unit,
        kind,
        address: details.address,
        contact: details.contact,
        applied_on: details.applied_on,
        awarded_on: details.awarded_on,
    };
    let added = hub.register(&new).await;
    let store = hub.store().clone();
    drop(hub);
    store.close(CLOSE_PATIENCE);
    let registered = added?;
    let (id, code) = (registered.profile.id, registered.code);
    println!("{code}");
    eprintln!("kejia: home {name} registered as {id}; give it the code above for `kejia enroll`");
    Ok(())
}

async fn enroll(args: EnrollArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.data)?;
    let client = SyncClient::new(store.clone(), Arc::new(SystemClock))?;
    let enrolled = client.enroll(&args.hub, &args.code, args.allow_http).await;
    // The client holds the store too; the writer stops only when every handle is gone.
    drop(client);
    store.close(CLOSE_PATIENCE);
    let answer = enrolled?;
    eprintln!(
        "kejia: enrolled as {} (home {}) with {}",
        answer.home_name, answer.home_id, args.hub
    );
    Ok(())
}

/// A backlog this large gets a progress bar.
const LARGE_BACKLOG: i64 = 5_000;

async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let store = Store::open(&args.data)?;
    let client = SyncClient::new(store.clone(), Arc::new(SystemClock))?;
    let before = store.read(kejia_server::sync::client::status).await?;
    let bar = (before.backlog >= LARGE_BACKLOG).then(|| {
        let bar = indicatif::ProgressBar::new(u64::try_from(before.backlog).unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} changes ({eta} left)")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let pushed = client
        .push_all(|report| {
            if let Some(bar) = &bar {
                bar.set_position(u64::try_from(before.backlog - report.backlog).unwrap_or(0));
            }
        })
        .await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    drop(client);
    store.close(CLOSE_PATIENCE);
    let report = pushed?;
    eprintln!(
        "kejia: the hub holds every change (up to {})",
        report.acked_seq
    );
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = RawConfig::load(args.config.as_deref())?.check(args.data.clone())?;
    let home = Home::open(settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let address = listener.local_addr()?;
    println!(
        "kejia 已启动：http://{address}/  （数据目录 {}）",
        args.data.display()
    );
    if let Some(problem) = home.listening_on(address).await? {
        println!("注意：{problem}");
    }
    if let Some(token) = home.first_start_token().await? {
        println!("首次使用：请在浏览器打开以下一次性链接，设置工作人员账号：");
        println!("http://{}/setup?token={token}", loopback(address));
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    if let Some(display) = args.kiosk {
        let token = home.local_kiosk_token().await?;
        let server = format!("http://{}", loopback(address));
        if let DisplaySpec::Mirror(mirror) = &display {
            println!("签到机画面：http://{mirror}/");
        }
        let config = KioskConfig {
            server,
            token,
            display,
            size: Size::new(800, 480),
            readers: Vec::new(),
            touch: None,
        };
        let until = stop_signal(stopped.clone());
        // The kiosk is a client like any other: if it fails, the home keeps serving.
        tokio::spawn(async move {
            if let Err(error) = kejia_kiosk::run(config, until).await {
                tracing::error!(%error, "the built-in kiosk stopped");
            }
        });
    }
    tracing::info!(%address, "serving");
    home.serve(listener, stop_signal(stopped)).await?;
    tracing::info!("stopped");
    Ok(())
}

/// The address a client on this machine reaches a listener on.
fn loopback(address: SocketAddr) -> SocketAddr {
    if address.ip().is_unspecified() {
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), address.port())
    } else {
        address
    }
}

async fn stop_signal(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn kiosk(args: KioskArgs) -> anyhow::Result<()> {
    let token = std::fs::read_to_string(&args.token_file)
        .with_context(|| format!("cannot read the token file {}", args.token_file.display()))?;
    let config = KioskConfig {
        server: args.server,
        token: token.trim().to_owned(),
        display: args.display,
        size: args.size,
        readers: args.readers,
        touch: args.touch,
    };
    // The kiosk has no store to prove; its watchdog shows the runtime still runs its tasks.
    let watchdog = kejia_server::systemd::spawn_plain_watchdog();
    kejia_server::systemd::ready();
    let ran = kejia_kiosk::run(config, shutdown_signal()).await;
    kejia_server::systemd::stopping();
    if let Some(task) = watchdog {
        task.abort();
    }
    ran?;
    Ok(())
}

/// Completes on SIGTERM (systemd) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Whose accounts a command makes: the hub's (`kejia hub user add`), or whichever database the
/// folder holds (`kejia user add`).
#[derive(Debug, Clone, Copy)]
enum Accounts {
    Hub,
    Any,
}

async fn add_user(data: &Path, account: &AccountArgs, accounts: Accounts) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("无法从标准输入读取密码")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        bail!("标准输入中没有密码");
    }
    let role = match account.role {
        RoleArg::Staff => StaffRole::Staff,
        RoleArg::Admin => StaffRole::Admin,
    };
    let (store, opened) = match accounts {
        Accounts::Hub => (
            Store::open_schema(data, &kejia_server::store::HUB)?,
            accounts::AccountsIn::Hub,
        ),
        Accounts::Any => accounts::open_for_accounts(data)?,
    };
    let username = account.username.as_str();
    let added = accounts::add_user(&store, username, role, password, SystemClock.now()).await;
    store.close(CLOSE_PATIENCE);
    added?;
    let place = match opened {
        accounts::AccountsIn::Hub => "科协平台",
        accounts::AccountsIn::Home | accounts::AccountsIn::NewHome => "科技工作者之家",
    };
    eprintln!(
        "kejia：已在{place}的数据目录 {} 中创建账号 {username}",
        data.display()
    );
    if opened == accounts::AccountsIn::NewHome {
        eprintln!("kejia：{}", accounts::new_home_hint(data));
    }
    Ok(())
}

async fn add_token(data: &Path, name: &str, role: DeviceRoleArg) -> anyhow::Result<()> {
    let role = match role {
        DeviceRoleArg::Kiosk => DeviceRole::Kiosk,
    };
    let store = Store::open(data)?;
    let added = accounts::add_token(&store, name, role, SystemClock.now()).await;
    store.close(CLOSE_PATIENCE);
    let token = added?;
    println!("{token}");
    Ok(())
}
