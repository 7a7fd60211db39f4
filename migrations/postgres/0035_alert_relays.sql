-- Where each alert message was relayed beyond the devices: the notification webhook, the
-- commune portal (an announcement, which goes on to the commune's Zalo OA). One row per attempt
-- outcome; `detail` holds the post id for the portal, the reason for a failure or a skip.
CREATE TABLE alert_relays (
    id        TEXT PRIMARY KEY,
    alert_id  TEXT NOT NULL REFERENCES alerts(id),
    channel   TEXT NOT NULL,
    status    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE INDEX alert_relays_alert ON alert_relays(alert_id, at);
