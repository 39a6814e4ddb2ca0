//! `kejia`: the command line. Parses arguments and hands over to the library; nothing else.
#![allow(clippy::print_stdout)]

use std::io::BufRead;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use kejia_kiosk::display::DisplaySpec;
use kejia_kiosk::readers::ReaderSpec;
use kejia_kiosk::touch::TouchSpec;
use kejia_kiosk::{KioskConfig, Size};
use kejia_server::clock::{Clock, SystemClock};
use kejia_server::config::{self, RawConfig};
use kejia_server::domain::access::{DeviceRole, StaffRole};
use kejia_server::hub::Hub;
use kejia_server::hub::profile::NewHome;
use kejia_server::sync::client::{self, SyncClient};
use kejia_server::{Home, accounts, store::Store, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "kejia",
    version,
    about = "科家（kejia）：科技工作者之家的签到与考勤系统"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// 运行科技工作者之家：网页、接口和数据库（在数据目录中）
    Serve(ServeArgs),
    /// 运行门口签到机：连接 kejia serve，带屏幕和串口读卡器
    Kiosk(KioskArgs),
    /// 管理科技工作者之家的工作人员账号（科协平台的账号用 kejia hub user add）
    #[command(subcommand)]
    User(UserCommand),
    /// 管理设备令牌
    #[command(subcommand)]
    Token(TokenCommand),
    /// 配置文件说明
    #[command(subcommand)]
    Config(ConfigCommand),
    /// 用科协平台给的一次性登记码，把本馆登记到科协平台
    Enroll(EnrollArgs),
    /// 立即把所有变更推送到科协平台，并等待平台确认
    Sync(SyncArgs),
    /// 运行市科协平台（各家向它同步），或用子命令管理平台
    Hub(HubArgs),
    /// 把数据库备份到文件并校验；服务运行中也可以备份
    Backup(BackupArgs),
    /// 用备份文件恢复数据库；须先停止服务
    Restore(RestoreArgs),
}

#[derive(Debug, Args)]
struct BackupArgs {
    /// 科技工作者之家的数据目录
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// 要写入的备份文件（不能已存在），例如 ./kejia-data/backups/manual-20261202.db
    #[arg(long)]
    to: PathBuf,
}

#[derive(Debug, Args)]
struct RestoreArgs {
    /// 科技工作者之家的数据目录（不存在则新建）
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// 备份文件，例如 ./kejia-data/backups/kejia-20261201-193000Z.db
    #[arg(long)]
    from: PathBuf,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
struct HubArgs {
    #[command(subcommand)]
    command: Option<HubCommand>,
    /// 科协平台的数据目录；首次启动时连同数据库一起新建
    #[arg(long, default_value = "./kejia-hub-data")]
    data: PathBuf,
    /// 监听地址
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// TOML 配置文件（时区等；见 kejia config example）
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum HubCommand {
    /// 管理在平台登记的科技工作者之家
    #[command(subcommand)]
    Home(HubHomeCommand),
    /// 管理科协平台的工作人员账号
    #[command(subcommand)]
    User(HubUserCommand),
}

#[derive(Debug, Subcommand)]
enum HubUserCommand {
    /// 在科协平台的数据库中新建工作人员账号（数据库不存在则新建）；密码从标准输入读取
    Add {
        /// 科协平台的数据目录（kejia hub --data 所用的目录，其中有 kejia-hub.db）
        #[arg(long, default_value = "./kejia-hub-data")]
        data: PathBuf,
        #[command(flatten)]
        account: AccountArgs,
    },
}

/// A staff account to create.
#[derive(Debug, Args)]
struct AccountArgs {
    /// 登录名，例如 zhangmin
    #[arg(long)]
    username: String,
    /// 角色：staff（日常工作）或 admin（另可管理账号和设置）
    #[arg(long, value_enum)]
    role: RoleArg,
    /// 从标准输入的第一行读取密码
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Debug, Subcommand)]
enum HubHomeCommand {
    /// 登记一家科技工作者之家，并打印其一次性登记码（有效期 7 天）
    Add {
        /// 科协平台的数据目录
        #[arg(long, default_value = "./kejia-hub-data")]
        data: PathBuf,
        /// 该家的名称，例如 益阳高新区科技工作者之家
        #[arg(long)]
        name: String,
        #[command(flatten)]
        details: HomeDetailsArgs,
    },
    /// 为尚未接入的家换发新的登记码（旧码丢失或已过期）；旧码随即失效
    Code {
        /// 科协平台的数据目录
        #[arg(long, default_value = "./kejia-hub-data")]
        data: PathBuf,
        /// 该家的编号（kejia hub home add 打印的）或完整名称
        #[arg(long)]
        home: String,
    },
}

/// What the association already knows of a home it registers (all optional; the hub's pages
/// change them later).
#[derive(Debug, Args)]
struct HomeDetailsArgs {
    /// 依托单位，例如 益阳某新材料有限公司
    #[arg(long)]
    host_unit: Option<String>,
    /// 类型
    #[arg(long, value_enum)]
    kind: Option<HomeKindArg>,
    /// 地址
    #[arg(long)]
    address: Option<String>,
    /// 联系人，例如 "张敏 0737-1234567"
    #[arg(long)]
    contact: Option<String>,
    /// 申报日期，例如 2025-09-01
    #[arg(long, value_parser = parse_day)]
    applied_on: Option<String>,
    /// 授牌日期，例如 2026-03-18
    #[arg(long, value_parser = parse_day)]
    awarded_on: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum HomeKindArg {
    /// 高新技术企业
    Enterprise,
    /// 产业园区
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
    /// 本馆的数据目录（kejia serve --data 所用的目录）
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// 科协平台的地址，例如 https://hub.yiyang-kexie.cn
    #[arg(long)]
    hub: String,
    /// 科协平台给本馆的一次性登记码，例如 ABCD-EFGH（不分大小写）
    #[arg(long)]
    code: String,
    /// 允许用明文 http 连接不在本机的平台（仅供测试）
    #[arg(long)]
    allow_http: bool,
}

#[derive(Debug, Args)]
struct SyncArgs {
    /// 本馆的数据目录
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// 科技工作者之家的数据目录；首次启动时连同数据库一起新建
    #[arg(long, default_value = "./kejia-data")]
    data: PathBuf,
    /// 监听地址；要让场馆网络访问，用 0.0.0.0:8080
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// TOML 配置文件（见 kejia config example）
    #[arg(long)]
    config: Option<PathBuf>,
    /// 同时在此显示上运行一台签到机，例如 mirror:127.0.0.1:8081（在浏览器中显示签到机画面，点击即触摸）
    #[arg(long)]
    kiosk: Option<DisplaySpec>,
}

#[derive(Debug, Args)]
struct KioskArgs {
    /// 科技工作者之家的地址，例如 http://127.0.0.1:8080
    #[arg(long)]
    server: String,
    /// 存放签到机令牌的文件（由 kejia token add --role kiosk 生成）
    #[arg(long)]
    token_file: PathBuf,
    /// 显示：fb:/dev/fb0（树莓派屏幕）、png:DIR（每帧存为 PNG）或 mirror:ADDR（网页）
    #[arg(long, default_value = "fb:/dev/fb0")]
    display: DisplaySpec,
    /// png: 和 mirror: 的画面尺寸，例如 800x480、1024x600 或 720x1280
    #[arg(long, default_value = "800x480", value_parser = parse_size)]
    size: Size,
    /// 串口读卡器：rdm6300:PATH 或 qr:PATH，默认 9600 8N1，路径后可加 @波特率
    #[arg(long = "reader")]
    readers: Vec<ReaderSpec>,
    /// 触摸屏：/dev/input/eventN，可加 :rotate=90,x=MIN-MAX,y=MIN-MAX,invert-x,invert-y
    #[arg(long)]
    touch: Option<TouchSpec>,
}

fn parse_size(text: &str) -> Result<Size, String> {
    kejia_kiosk::display::parse_size(text).map_err(|e| e.to_string())
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// 新建工作人员账号，密码从标准输入读取；目录中有科协平台的数据库则建在平台，否则建在科技工作者之家（数据库不存在则新建）
    Add {
        /// 数据目录：科技工作者之家的（kejia serve --data），或已有 kejia-hub.db 的科协平台的（新平台请用 kejia hub user add）
        #[arg(long, default_value = "./kejia-data")]
        data: PathBuf,
        #[command(flatten)]
        account: AccountArgs,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    /// 工作人员：日常工作
    Staff,
    /// 管理员：另可管理账号和设置
    Admin,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// 为设备生成新的接口令牌并打印（一行）
    Add {
        /// 科技工作者之家的数据目录
        #[arg(long, default_value = "./kejia-data")]
        data: PathBuf,
        /// 设备名称，说明是哪台设备，例如 "门口签到机"
        #[arg(long)]
        name: String,
        /// 设备角色
        #[arg(long, value_enum)]
        role: DeviceRoleArg,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceRoleArg {
    /// 签到机：只能签到和读取签到所需的信息
    Kiosk,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// 打印带注释的配置文件示例
    Example,
}

/// How long a command waits for the database to close cleanly on its way out.
const CLOSE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// A line for the person who started a long-running role. Written without `println!`, which
/// panics when standard output is gone (a closed pipe, a terminal that went away): the server
/// must keep serving whoever reads its address or not.
macro_rules! announce {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

fn main() -> ExitCode {
    let cli = match parse_arguments() {
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
            eprintln!("kejia：无法启动：{error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("kejia：{}", message_of(&error));
            ExitCode::FAILURE
        }
    }
}

/// An error and its causes in one line, each said once. Library errors often show their
/// cause in their own text too (`#[error("{0}")]`, or "…：{cause}"), so a cause already said
/// is left out rather than printed again.
fn message_of(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        // "Error code 14: unable to open database file" adds nothing to a message that
        // already says "unable to open database file".
        let gist = text.rsplit(": ").next().unwrap_or(&text);
        if text.is_empty() || message.contains(&text) || message.contains(gist) {
            continue;
        }
        if !message.is_empty() {
            message.push('：');
        }
        message.push_str(&text);
    }
    // The operating system's reasons come in English; the common ones are said in Chinese.
    for cause in error.chain() {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && !has_chinese(&io.to_string())
            && let Some(chinese) = io_reason(io.kind())
        {
            message = message.replace(&io.to_string(), chinese);
        }
    }
    message
}

fn io_reason(kind: std::io::ErrorKind) -> Option<&'static str> {
    use std::io::ErrorKind;
    Some(match kind {
        ErrorKind::NotFound => "文件或目录不存在",
        ErrorKind::PermissionDenied => "没有权限",
        ErrorKind::AddrInUse => "地址已被占用",
        ErrorKind::AddrNotAvailable => "本机没有这个地址",
        ErrorKind::AlreadyExists => "已存在",
        ErrorKind::ReadOnlyFilesystem => "文件系统只读",
        ErrorKind::StorageFull => "磁盘已满",
        ErrorKind::NotADirectory => "路径中有一项不是目录",
        ErrorKind::IsADirectory => "这是一个目录",
        ErrorKind::ConnectionRefused => "连接被拒绝",
        ErrorKind::TimedOut => "超时",
        _ => return None,
    })
}

/// The command line, with clap's own words (headings, the help and version flags) in Chinese.
fn command_line() -> clap::Command {
    in_chinese(Cli::command()).disable_version_flag(true).arg(
        clap::Arg::new("version")
            .short('V')
            .long("version")
            .action(clap::ArgAction::Version)
            .help("显示版本")
            .help_heading(OPTIONS_HEADING),
    )
}

const OPTIONS_HEADING: &str = "选项";
const HELP_TEMPLATE: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

fn in_chinese(command: clap::Command) -> clap::Command {
    let ids: Vec<clap::Id> = command
        .get_arguments()
        .map(|arg| arg.get_id().clone())
        .collect();
    let command = ids.into_iter().fold(command, |command, id| {
        command.mut_arg(id, |arg| arg.help_heading(OPTIONS_HEADING))
    });
    command
        .help_template(HELP_TEMPLATE)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(
            clap::Arg::new("help")
                .short('h')
                .long("help")
                .action(clap::ArgAction::Help)
                .help("显示帮助")
                .help_heading(OPTIONS_HEADING),
        )
        .mut_subcommands(in_chinese)
}

fn parse_arguments() -> Result<Cli, clap::Error> {
    let matches = command_line().try_get_matches()?;
    Cli::from_arg_matches(&matches)
}

/// Help and version go out as clap writes them (help with its last English words put in
/// Chinese); a bad argument gets one line in Chinese and exit code 2.
fn refuse_arguments(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelp | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let help = chinese_help(&error.render().to_string());
            if error.use_stderr() {
                eprint!("{help}");
                ExitCode::from(2)
            } else {
                print!("{help}");
                ExitCode::SUCCESS
            }
        }
        _ => {
            eprintln!("kejia：{}（用法见 kejia --help）", argument_error(&error));
            ExitCode::from(2)
        }
    }
}

/// clap's placeholders and labels that no setting reaches.
fn chinese_help(help: &str) -> String {
    [
        ("[OPTIONS]", "[选项]"),
        ("<COMMAND>", "<命令>"),
        ("[COMMAND]", "[命令]"),
        ("[default: ", "[默认："),
        ("[possible values: ", "[可选值："),
        ("Possible values:", "可选值："),
    ]
    .iter()
    .fold(help.to_owned(), |help, (english, chinese)| {
        help.replace(english, chinese)
    })
}

/// Why the arguments were refused, in one line of Chinese.
fn argument_error(error: &clap::Error) -> String {
    use clap::error::{ContextKind, ErrorKind};
    let context = |kind| {
        error
            .get(kind)
            .map(|value| value.to_string())
            .unwrap_or_default()
    };
    let arg = context(ContextKind::InvalidArg);
    match error.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let value = context(ContextKind::InvalidValue);
            let valid = context(ContextKind::ValidValue);
            // A reason of our own parsers is Chinese; the standard library's (an address, a
            // path) is not, and the value itself shows what is wrong.
            let reason = std::error::Error::source(error)
                .map(ToString::to_string)
                .filter(|reason| has_chinese(reason))
                .or_else(|| (!valid.is_empty()).then(|| format!("可选：{valid}")));
            match reason {
                Some(reason) => format!("参数 {arg} 的值“{value}”无效：{reason}"),
                None => format!("参数 {arg} 的值“{value}”无效"),
            }
        }
        ErrorKind::UnknownArgument => format!("没有参数 {arg}"),
        ErrorKind::InvalidSubcommand => {
            format!("没有命令 {}", context(ContextKind::InvalidSubcommand))
        }
        ErrorKind::MissingRequiredArgument => format!("缺少参数 {arg}"),
        ErrorKind::MissingSubcommand => "缺少命令".to_owned(),
        ErrorKind::ArgumentConflict => format!(
            "参数 {arg} 不能与 {} 同时使用",
            context(ContextKind::PriorArg)
        ),
        _ => "参数有误".to_owned(),
    }
}

fn has_chinese(text: &str) -> bool {
    text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
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
            command: Some(HubCommand::Home(HubHomeCommand::Code { data, home })),
            ..
        }) => new_code(&data, &home).await,
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
        "kejia：已写入备份 {}（{} 字节，已校验；变更日志到第 {} 条）",
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
        "kejia：已恢复 {}（变更日志到第 {} 条）",
        restored.database.display(),
        restored.last_seq
    );
    if let Some(aside) = &restored.set_aside {
        eprintln!("kejia：原来的数据库保留为 {}", aside.display());
    }
    eprintln!(
        "kejia：备份之后的签到不在其中。若本馆已登记到科协平台，下次同步会核对平台所存不多于此备份；若多于，推送暂停并在首页说明（见 troubleshooting.md）。请重新启动服务，例如 `sudo systemctl start kejia-serve.service kejia-kiosk.service`（数据目录 {}）",
        data.display()
    );
    Ok(())
}

async fn hub(args: HubArgs) -> anyhow::Result<()> {
    let settings = RawConfig::load(args.config.as_deref())?.check(args.data.clone())?;
    let hub = Hub::open(settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("无法监听 {}", args.listen))?;
    let address = listener.local_addr()?;
    announce!(
        "kejia 科协平台已启动：http://{address}/  （数据目录 {}）",
        args.data.display()
    );
    // On standard output beside the address for the person at the terminal, and in the log
    // for whoever reads the journal later (tests/e2e/hub_privacy.rs relies on both).
    if let Some(hint) = hub.start_hint().await? {
        announce!("{hint}");
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
    println!("{}", registered.code);
    eprintln!(
        "kejia：已登记 {name}，编号 {}。请把上面的登记码交给该家，用于 kejia enroll。{}",
        registered.profile.id,
        code_validity(&registered)
    );
    Ok(())
}

async fn new_code(data: &Path, home: &str) -> anyhow::Result<()> {
    // Only an existing hub has homes to give codes to; opening would make an empty one.
    let database = data.join(kejia_server::store::HUB.file);
    if !database.exists() {
        bail!("{} 中没有科协平台的数据库，请检查 --data", data.display());
    }
    let settings = RawConfig::load(None)?.check(data.to_owned())?;
    let hub = Hub::open(settings)?;
    let issued = hub.new_code(home).await;
    let store = hub.store().clone();
    drop(hub);
    store.close(CLOSE_PATIENCE);
    let registered = issued?;
    println!("{}", registered.code);
    eprintln!(
        "kejia：已为 {}（编号 {}）换发登记码，旧码已失效。{}",
        registered.profile.details.name,
        registered.profile.id,
        code_validity(&registered)
    );
    Ok(())
}

/// How long a code works, in the hub's time zone would need its settings; UTC is unambiguous.
fn code_validity(registered: &kejia_server::hub::registry::Registered) -> String {
    format!(
        "登记码有效期 {}（到 {} UTC），只能使用一次。",
        kejia_server::hub::enrol_code::LIFETIME_TEXT,
        registered.code_expires_at.strftime("%Y-%m-%d %H:%M")
    )
}

async fn enroll(args: EnrollArgs) -> anyhow::Result<()> {
    let EnrollArgs {
        data,
        hub,
        code,
        allow_http,
    } = args;
    let answer = client::in_data_folder(&data, async |store| {
        let client = SyncClient::new(store, Arc::new(SystemClock))?;
        client.enroll(&hub, &code, allow_http).await
    })
    .await?;
    eprintln!(
        "kejia：已登记到科协平台 {hub}，本馆为 {}（编号 {}）",
        answer.home_name, answer.home_id
    );
    Ok(())
}

/// A backlog this large gets a progress bar.
const LARGE_BACKLOG: i64 = 5_000;

async fn sync(args: SyncArgs) -> anyhow::Result<()> {
    let report = client::in_data_folder(&args.data, async |store| {
        let client = SyncClient::new(store.clone(), Arc::new(SystemClock))?;
        let before = store.read(client::status).await?;
        drop(store);
        let bar = progress_bar(before.backlog);
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
        pushed
    })
    .await?;
    eprintln!(
        "kejia：科协平台已收到全部变更（到第 {} 条）",
        report.acked_seq
    );
    Ok(())
}

fn progress_bar(backlog: i64) -> Option<indicatif::ProgressBar> {
    (backlog >= LARGE_BACKLOG).then(|| {
        let bar = indicatif::ProgressBar::new(u64::try_from(backlog).unwrap_or(0));
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} 条变更（还需 {eta}）")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let settings = RawConfig::load(args.config.as_deref())?.check(args.data.clone())?;
    let home = Home::open(settings)?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("无法监听 {}", args.listen))?;
    let address = listener.local_addr()?;
    announce!(
        "kejia 已启动：http://{address}/  （数据目录 {}）",
        args.data.display()
    );
    if let Some(problem) = home.listening_on(address).await? {
        announce!("注意：{problem}");
    }
    if let Some(token) = home.first_start_token().await? {
        announce!("首次使用：请在浏览器打开以下一次性链接，设置工作人员账号：");
        announce!("http://{}/setup?token={token}", loopback(address));
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
            announce!("签到机画面：http://{mirror}/");
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
        .with_context(|| format!("无法读取令牌文件 {}", args.token_file.display()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command, argument and choice of the command line, with its help text, by path.
    fn help_texts(command: &clap::Command, path: &str, found: &mut Vec<(String, String)>) {
        let about = command
            .get_about()
            .map(ToString::to_string)
            .unwrap_or_default();
        found.push((path.to_owned(), about));
        for arg in command.get_arguments() {
            let name = format!("{path} --{}", arg.get_id());
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            found.push((name.clone(), help));
            // A flag's true/false are never shown; only a value's choices are.
            let choices = if arg.get_action().takes_values() {
                arg.get_possible_values()
            } else {
                Vec::new()
            };
            for value in choices {
                let help = value
                    .get_help()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                found.push((format!("{name}={}", value.get_name()), help));
            }
        }
        for sub in command.get_subcommands() {
            help_texts(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }

    #[test]
    fn every_command_argument_and_choice_has_chinese_help() {
        let mut found = Vec::new();
        help_texts(&command_line(), "kejia", &mut found);
        assert!(
            found.len() > 60,
            "the walk reached the whole tree: {found:?}"
        );
        let missing: Vec<_> = found
            .iter()
            .filter(|(_, help)| !has_chinese(help))
            .map(|(path, help)| format!("{path}: {help:?}"))
            .collect();
        assert!(missing.is_empty(), "help without Chinese: {missing:#?}");
    }

    #[test]
    fn the_command_line_is_consistent() {
        command_line().debug_assert();
    }

    #[test]
    fn an_error_repeated_by_its_cause_is_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "权限不足");
        let error = anyhow::Error::new(io).context("无法写入备份：权限不足");
        assert_eq!(message_of(&error), "无法写入备份：权限不足");
        let io = std::io::Error::new(std::io::ErrorKind::AddrInUse, "地址已被占用");
        let error = anyhow::Error::new(io).context("无法监听 127.0.0.1:8080");
        assert_eq!(message_of(&error), "无法监听 127.0.0.1:8080：地址已被占用");
        // The system's English reason, within a message or after it, is said in Chinese.
        let io = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let english = io.to_string();
        let error = anyhow::Error::new(io).context("无法监听 127.0.0.1:8080");
        assert_eq!(message_of(&error), "无法监听 127.0.0.1:8080：地址已被占用");
        let io = std::io::Error::from_raw_os_error(2);
        let within = format!("无法读取配置文件 a.toml：{io}");
        let error = anyhow::Error::new(io).context(within);
        assert_eq!(
            message_of(&error),
            "无法读取配置文件 a.toml：文件或目录不存在"
        );
        assert!(!english.is_empty());
        let io = std::io::Error::other("Error code 14: unable to open database file");
        let error =
            anyhow::Error::new(io).context("复制数据库时出错：unable to open database file");
        assert_eq!(
            message_of(&error),
            "复制数据库时出错：unable to open database file"
        );
    }
}
