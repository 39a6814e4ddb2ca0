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
            // The count comes first: when the title is too long, the "…" only shortens it.
            position = format!("第 {n} 位签到：《{activity}》");
            Card {
                colour: theme::SUCCESS,
                headline: "签到成功",
                name: Some(name),
                lines: [Some(employer), Some(&position)],
                phone: None,
            }
        }
        Screen::AlreadyCheckedIn { name, activity } => {
            position = format!("《{activity}》");
            Card {
                colour: theme::NOTICE,
                headline: "已经签到过了",
                name: Some(name),
                lines: [Some("您已签到，无需重复签到"), Some(&position)],
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
                Some("请您联系工作人员登记为会员"),
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
            lines: [Some("本次未能签到，请您联系工作人员"), None],
            phone: None,
        },
        Screen::NotOpen { activity } => {
            // The title on its own line, so "…" on a long one never cuts what to do.
            position = match activity {
                Some(title) => format!("《{title}》"),
                None => "该活动".to_owned(),
            };
            Card {
                colour: theme::WARNING,
                headline: "活动未开放签到",
                name: None,
                lines: [
                    Some(&position),
                    Some("现在不在签到时间内，请您联系工作人员"),
                ],
                phone: None,
            }
        }
        Screen::Failed { message } => Card {
            colour: theme::DANGER,
            headline: "签到未成功",
            name: None,
            lines: failure_lines(message),
            phone: None,
        },
        Screen::Idle(_)
        | Screen::Choose { .. }
        | Screen::Keypad { .. }
        | Screen::Matches { .. } => return,
    };
    card::draw(&card, frame);
}

/// A failure's two lines: a server's reason of two sentences (what happened, what to do) takes
/// both, one per line, so neither is cut off; a short reason gets the usual advice below it.
fn failure_lines(message: &str) -> [Option<&str>; 2] {
    match message.split_once('。') {
        Some((happened, next)) if !next.is_empty() => {
            let what = &message[..happened.len() + '。'.len_utf8()];
            [Some(what), Some(next.trim_end_matches('。'))]
        }
        _ => [Some(message), Some("请您稍后重试，或联系工作人员")],
    }
}

#[cfg(test)]
mod tests {
    use super::failure_lines;

    #[test]
    fn a_two_sentence_reason_takes_both_lines_and_a_short_one_gets_the_advice() {
        assert_eq!(
            failure_lines("存储空间已满，本次未保存。请工作人员清理存储空间后重试"),
            [
                Some("存储空间已满，本次未保存。"),
                Some("请工作人员清理存储空间后重试")
            ]
        );
        assert_eq!(
            failure_lines("无法连接服务器，本次未计入"),
            [
                Some("无法连接服务器，本次未计入"),
                Some("请您稍后重试，或联系工作人员")
            ]
        );
        assert_eq!(
            failure_lines("活动已取消。"),
            [Some("活动已取消。"), Some("请您稍后重试，或联系工作人员")]
        );
    }
}
