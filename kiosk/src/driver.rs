//! The kiosk's I/O: readers, touches, the server and the panel feed events into the state
//! machine, and its effects are carried out here. Nothing here decides what to show.

use std::future::Future;
use std::time::{Duration, Instant};

use embedded_graphics::prelude::Size;
use tokio::sync::mpsc::{self, UnboundedSender};

use crate::app::{Effect, Event, Kiosk};
use crate::client::{Client, ClientError, Presenting};
use crate::display::{self, Display, DisplayError, DisplaySpec, Frame};
use crate::readers::{self, ReaderSpec};
use crate::screens;
use crate::sound::{self, Speaker};
use crate::touch::{self, TouchSpec};
use crate::ui;
use crate::ui::text::FontError;

/// How often the idle screen's figures are refreshed from the server.
const STATUS_EVERY: Duration = Duration::from_secs(5);
/// A scan is retried (with the same scan id, so it counts once) this many times before the
/// kiosk says it failed.
const ATTEMPTS: u32 = 3;
/// How long a reader waits before reopening a device that went away.
const REOPEN_EVERY: Duration = Duration::from_secs(1);

#[derive(Debug, Clone)]
pub struct KioskConfig {
    /// The home's address, e.g. `http://127.0.0.1:8080`.
    pub server: String,
    pub token: String,
    pub display: DisplaySpec,
    /// The canvas for `png:` and `mirror:`; `fb:` takes the panel's own size.
    pub size: Size,
    pub readers: Vec<ReaderSpec>,
    /// The touch panel's input device, if any (the mirror page's clicks are touches too).
    pub touch: Option<TouchSpec>,
}

#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    #[error("{0}")]
    Font(#[source] FontError),
    #[error("cannot open the display: {0}")]
    Display(#[source] DisplayError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("cannot start a reader or the touch panel: {0}")]
    Reader(std::io::Error),
}

/// Runs the kiosk until `shutdown` completes.
pub async fn run(
    config: KioskConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), KioskError> {
    ui::text::init().map_err(KioskError::Font)?;
    let client = Client::new(&config.server, &config.token)?;
    let (touch_sender, mut touches) = mpsc::unbounded_channel();
    let mut panel = display::open(&config.display, config.size, touch_sender.clone())
        .await
        .map_err(KioskError::Display)?;
    let size = panel.size();
    if let Some(spec) = config.touch {
        touch::spawn(spec, size, touch_sender, REOPEN_EVERY).map_err(KioskError::Reader)?;
    }
    let (scan_sender, mut scans) = mpsc::unbounded_channel();
    for spec in config.readers {
        readers::port::spawn(spec, scan_sender.clone(), REOPEN_EVERY)
            .map_err(KioskError::Reader)?;
    }
    let (event_sender, mut events) = mpsc::unbounded_channel();
    let mut kiosk = Kiosk::new(size, "科技工作者之家");
    let mut frame = Frame::new(size);
    let speaker = Speaker::detect();
    let mut clock = HomeClock::default();
    screens::render(kiosk.screen(), &mut frame);
    frame.mark_all_dirty();
    present(&mut frame, panel.as_mut());
    refresh_status(&client, &event_sender);
    let mut second = tokio::time::interval(Duration::from_secs(1));
    let mut status_timer = tokio::time::interval(STATUS_EVERY);
    tokio::pin!(shutdown);
    loop {
        let event = tokio::select! {
            () = &mut shutdown => break,
            Some(scan) = scans.recv() => Event::Scan(scan),
            Some(point) = touches.recv() => Event::Touch(point),
            Some(event) = events.recv() => event,
            _ = second.tick() => Event::Tick { clock: clock.text() },
            _ = status_timer.tick() => {
                refresh_status(&client, &event_sender);
                continue;
            }
        };
        if let Event::Status(Some(status)) = &event {
            clock.learn_offset(status);
        }
        let answered = matches!(event, Event::Answered { .. });
        for effect in kiosk.handle(event, Instant::now()) {
            match effect {
                Effect::Show(screen) => {
                    screens::render(&screen, &mut frame);
                    present(&mut frame, panel.as_mut());
                    if let Some(tone) = sound::tone_for(&screen) {
                        // Not waited for: a busy or missing device never holds up a scan.
                        drop(speaker.play(tone));
                    }
                }
                Effect::PostCheckin {
                    scan,
                    presenting,
                    activity_id,
                } => {
                    post(
                        client.clone(),
                        event_sender.clone(),
                        scan,
                        presenting,
                        activity_id,
                    );
                }
                Effect::FindMembers {
                    lookup,
                    phone_suffix,
                } => {
                    find_members(client.clone(), event_sender.clone(), lookup, phone_suffix);
                }
            }
        }
        if answered {
            // The count on the idle screen should already include this check-in.
            refresh_status(&client, &event_sender);
        }
    }
    Ok(())
}

/// Sends what changed on the canvas to the panel.
fn present(frame: &mut Frame, panel: &mut dyn Display) {
    if let Some(dirty) = frame.take_dirty() {
        let shown = tokio::task::block_in_place(|| panel.show(frame, dirty));
        if let Err(error) = shown {
            tracing::warn!(%error, "could not update the display");
        }
    }
}

fn refresh_status(client: &Client, events: &UnboundedSender<Event>) {
    let (client, events) = (client.clone(), events.clone());
    tokio::spawn(async move {
        let status = client.status().await;
        if let Err(error) = &status {
            tracing::debug!(%error, "status not available");
        }
        let _ = events.send(Event::Status(status.ok()));
    });
}

/// Delivers one scan, retrying with the same scan id so the server counts it once.
fn post(
    client: Client,
    events: UnboundedSender<Event>,
    scan: u64,
    presenting: Presenting,
    activity_id: Option<String>,
) {
    tokio::spawn(async move {
        let scan_id = uuid::Uuid::new_v4().to_string();
        let mut last_error = None;
        for attempt in 0..ATTEMPTS {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
            }
            match client
                .checkin(&presenting, activity_id.as_deref(), &scan_id)
                .await
            {
                Ok(reply) => {
                    let _ = events.send(Event::Answered { scan, reply });
                    return;
                }
                Err(error) => last_error = Some(error),
            }
        }
        if let Some(error) = &last_error {
            tracing::warn!(%error, "a scan could not be delivered");
        }
        let _ = events.send(gave_up(scan, last_error));
    });
}

/// What the state machine hears once every attempt failed. A server that answered it could not
/// save was reached, so the kiosk is not offline: the member reads the server's reason.
fn gave_up(scan: u64, last_error: Option<ClientError>) -> Event {
    match last_error {
        Some(ClientError::Unavailable(message)) => Event::Answered {
            scan,
            reply: crate::client::Reply::Refused(message),
        },
        _ => Event::Undeliverable { scan },
    }
}

fn find_members(client: Client, events: UnboundedSender<Event>, lookup: u64, phone_suffix: String) {
    tokio::spawn(async move {
        let matches = client.members_by_phone_suffix(&phone_suffix).await;
        if let Err(error) = &matches {
            tracing::warn!(%error, "could not look up members by phone digits");
        }
        let _ = events.send(Event::Found {
            lookup,
            matches: matches.ok(),
        });
    });
}

/// The home's wall clock for the idle screen, in the offset the server reports (the Pi's own
/// time zone setting is often UTC).
struct HomeClock {
    offset: jiff::tz::Offset,
}

impl Default for HomeClock {
    fn default() -> Self {
        // China Standard Time until the server says otherwise.
        Self {
            offset: jiff::tz::Offset::constant(8),
        }
    }
}

impl HomeClock {
    /// The server's `now` is RFC 3339 in the home's offset: local time minus the instant is it.
    fn learn_offset(&mut self, status: &crate::client::Status) {
        let instant = status.now.parse::<jiff::Timestamp>().ok();
        let local = status
            .now
            .get(..19)
            .and_then(|l| l.parse::<jiff::civil::DateTime>().ok());
        let (Some(instant), Some(local)) = (instant, local) else {
            return;
        };
        let Ok(local_as_utc) = local.to_zoned_datetime(jiff::tz::TimeZone::UTC) else {
            return;
        };
        let seconds = local_as_utc.timestamp().as_second() - instant.as_second();
        if let Ok(offset) = jiff::tz::Offset::from_seconds(i32::try_from(seconds).unwrap_or(0)) {
            self.offset = offset;
        }
    }

    // The kiosk's one reading of the wall clock: the header's time, drawn at the I/O edge.
    #[allow(clippy::disallowed_methods)]
    fn text(&self) -> String {
        let now = jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::fixed(self.offset));
        let days = ["一", "二", "三", "四", "五", "六", "日"];
        let weekday = days[usize::try_from(now.weekday().to_monday_zero_offset())
            .unwrap_or(0)
            .min(6)];
        format!(
            "{}月{}日 星期{weekday} {}",
            now.month(),
            now.day(),
            now.strftime("%H:%M")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Reply;

    #[test]
    fn a_server_that_could_not_save_is_shown_with_its_reason_not_as_unreachable() {
        let message = "存储空间已满，本次未保存。请工作人员清理存储空间后重试";
        let event = gave_up(7, Some(ClientError::Unavailable(message.into())));
        assert_eq!(
            event,
            Event::Answered {
                scan: 7,
                reply: Reply::Refused(message.into())
            }
        );
        // A real reqwest error: reqwest needs a TLS provider even to build a client.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let refused = reqwest::Client::new().get("not a url").build().unwrap_err();
        let unreachable = gave_up(8, Some(ClientError::Unreachable(refused)));
        assert_eq!(unreachable, Event::Undeliverable { scan: 8 });
        assert_eq!(gave_up(9, None), Event::Undeliverable { scan: 9 });
    }
}
