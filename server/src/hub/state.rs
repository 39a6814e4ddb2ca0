//! What every hub handler can reach: the kit's store, clock, settings and login limits, and the
//! enrolment throttle. Nothing of a home's (its devices, live counts, room code, backups).

use std::sync::Arc;

use super::ASSOCIATION;
use super::enrol_code::EnrolThrottle;
use crate::clock::Clock;
use crate::config::Settings;
use crate::store::Store;
use crate::web::login_page::Heading;
use crate::web::{Face, Kit};

/// Cloned for every request, so it is one pointer.
#[derive(Clone)]
pub struct HubState(Arc<Shared>);

pub struct Shared {
    kit: Kit,
    /// Wrong enrolment codes, counted across requests (see `enrol_code`).
    pub enrolments: EnrolThrottle,
}

impl HubState {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: Settings) -> Self {
        Self(Arc::new(Shared {
            kit: Kit::new(store, clock, settings),
            enrolments: EnrolThrottle::default(),
        }))
    }
}

impl std::ops::Deref for HubState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// `state.store`, `state.clock`, `state.settings` read through to the kit.
impl std::ops::Deref for Shared {
    type Target = Kit;
    fn deref(&self) -> &Kit {
        &self.kit
    }
}

impl Face for HubState {
    fn kit(&self) -> &Kit {
        &self.kit
    }

    fn site_name(&self) -> String {
        ASSOCIATION.to_owned()
    }

    /// The login page under the association's name, pointing visitors to the results.
    fn login_heading(&self) -> Heading {
        Heading {
            subtitle: "科技工作者之家管理平台 · 工作人员登录",
            public_link: Some(("/results", "查看评定结果公示")),
        }
    }
}
