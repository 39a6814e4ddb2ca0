//! The screens that answer a scan. Each returns to idle on its own after a few seconds.

use super::Screen;
use super::card::{self, Card, Phone};
use crate::display::Frame;
use crate::ui::theme;

pub fn draw(screen: &Screen, frame: &mut Frame) {
    let position;
    let card = match screen {
        Screen::CheckedIn {
            name,
            employer,
            activity,
            position: n,
        } => {
            position = format!("《{activity}》第 {n} 位签到");
            Card {
                colour: theme::SUCCESS,
                headline: "签到成功",
                name: Some(name),
                lines: [Some(employer), Some(&position)],
                phone: None,
            }
        }
        Screen::AlreadyCheckedIn { name, activity } => {
            position = format!("您已签到《{activity}》，无需重复签到");
            Card {
                colour: theme::NOTICE,
                headline: "已经签到过了",
                name: Some(name),
                lines: [Some(&position), None],
                phone: None,
            }
        }
        Screen::Visit { name } => Card {
            colour: theme::NOTICE,
            headline: "欢迎来到科技工作者之家",
            name: Some(name),
            lines: [Some("现在没有进行中的活动，已登记您的到访"), None],
            phone: None,
        },
        Screen::Unknown { phone_url } => Card {
            colour: theme::WARNING,
            headline: "未识别的卡或二维码",
            name: None,
            lines: [
                Some("请联系工作人员登记为会员"),
                Some("登记后即可扫码或刷卡签到"),
            ],
            phone: phone_url.as_deref().map(|url| Phone {
                url,
                caption: "用手机扫码登记",
            }),
        },
        Screen::Suspended { name } => Card {
            colour: theme::DANGER,
            headline: "会员资格已暂停",
            name: Some(name),
            lines: [Some("本次未能签到，请联系工作人员"), None],
            phone: None,
        },
        Screen::NotOpen { activity } => {
            position = match activity {
                Some(title) => format!("《{title}》现在不在签到时间内"),
                None => "该活动现在不在签到时间内".to_owned(),
            };
            Card {
                colour: theme::WARNING,
                headline: "活动未开放签到",
                name: None,
                lines: [Some(&position), Some("请联系工作人员")],
                phone: None,
            }
        }
        Screen::Failed { message } => Card {
            colour: theme::DANGER,
            headline: "签到未成功",
            name: None,
            lines: [Some(message), Some("请稍后重试，或联系工作人员")],
            phone: None,
        },
        Screen::Idle(_)
        | Screen::Choose { .. }
        | Screen::Keypad { .. }
        | Screen::Matches { .. } => return,
    };
    card::draw(&card, frame);
}
