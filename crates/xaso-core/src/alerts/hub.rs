//! The in-process channel that carries events to connected devices at once: an emergency alert
//! (or its update, cancellation or speech) and "your schedule changed". Each device's stream
//! keeps the events aimed at its units. One server instance; across instances the same events
//! would travel through PostgreSQL's LISTEN/NOTIFY (the scale-out issue).

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
}

impl Hub {
    pub fn new(capacity: usize) -> Hub {
        Hub {
            tx: broadcast::channel(capacity.max(16)).0,
        }
    }

    /// Sends an event to every connected device it reaches; returns how many streams had it.
    pub fn publish(&self, event: Event) -> usize {
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
