//! The in-process channel that carries events to connected devices at once: an emergency alert
//! (or its update, cancellation or speech) and "your schedule changed". Each device's stream
//! keeps the events aimed at its units. Across server instances the same events travel through
//! PostgreSQL's LISTEN/NOTIFY (`cluster`), so a device connected to any instance hears them.

use std::sync::Arc;

use tokio::sync::broadcast;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An alert message (issued, updated, cancelled, or its speech is ready).
    Alert,
    /// Something changed that devices play: fetch the schedule again.
    Schedule,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Alert => "alert",
            Kind::Schedule => "schedule",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "alert" => Some(Kind::Alert),
            "schedule" => Some(Kind::Schedule),
            _ => None,
        }
    }
}

/// One event for devices.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: Kind,
    /// The units whose devices it is for (empty: every device).
    pub units: Vec<String>,
    /// The JSON devices get.
    pub data: String,
    /// A drawn area (latitude, longitude): a device placed outside it is not reached.
    pub polygon: Vec<(f64, f64)>,
}

impl Event {
    /// Whether a device of these units, at this position (when it has one), should get it.
    pub fn reaches(&self, device_units: &[String], position: Option<(f64, f64)>) -> bool {
        (self.units.is_empty() || self.units.iter().any(|u| device_units.contains(u)))
            && within(&self.polygon, position)
    }
}

/// Whether a device at `position` is within a drawn area (no area, or no known position: yes;
/// warning a device too many beats missing one).
pub fn within(polygon: &[(f64, f64)], position: Option<(f64, f64)>) -> bool {
    match position {
        Some((lat, lon)) if !polygon.is_empty() => {
            xaso_domain::alerts::upstream::in_polygon(polygon, lat, lon)
        }
        _ => true,
    }
}

/// The channel. Slow devices that fall more than `capacity` events behind skip the oldest
/// (they catch up from the active alerts when they reconnect).
#[derive(Clone)]
pub struct Hub {
    tx: broadcast::Sender<Arc<Event>>,
    bus: crate::cluster::Bus,
}

impl Hub {
    pub fn new(capacity: usize) -> Hub {
        Hub {
            tx: broadcast::channel(capacity.max(16)).0,
            bus: crate::cluster::Bus::default(),
        }
    }

    /// A hub whose events also reach devices connected to other instances.
    pub fn with_bus(capacity: usize, bus: crate::cluster::Bus) -> Hub {
        Hub {
            bus,
            ..Hub::new(capacity)
        }
    }

    /// Sends an event to every connected device it reaches, here and on the other instances;
    /// returns how many streams here had it.
    pub fn publish(&self, event: Event) -> usize {
        self.bus.publish(crate::cluster::Change::DeviceEvent {
            kind: event.kind.as_str().to_string(),
            units: event.units.clone(),
            data: event.data.clone(),
            polygon: event.polygon.clone(),
        });
        self.publish_local(event)
    }

    /// Sends an event to the devices connected here (an event from another instance).
    pub fn publish_local(&self, event: Event) -> usize {
        self.tx.send(Arc::new(event)).unwrap_or(0)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.tx.subscribe()
    }

    /// Streams connected now.
    pub fn connected(&self) -> usize {
        self.tx.receiver_count()
    }
}

impl Default for Hub {
    fn default() -> Hub {
        Hub::new(1024)
    }
}
