# Adds N feedback cases to a demo database, for the public list and map benchmark: random
# categories, statuses, communes of the Đức Hòa area and positions inside its bounding box,
# received over the last year (a quarter of them in the last 90 days).
# usage: feedback.py PATH N     (SQLite database of `xaso demo`)
import datetime, random, sqlite3, sys, uuid

path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
cats = [r[0] for r in db.execute("SELECT id FROM feedback_categories")]
communes = ["27931", "27937", "27943", "27952", "27964", "27976", "27979"]
ids = {}
for code in communes:
    row = db.execute(
        "SELECT id FROM units WHERE code = ? AND level = 'commune' AND valid_to IS NULL", (code,)
    ).fetchone()
    ids[code] = row[0]
statuses = ["received", "accepted", "in_progress", "resolved", "closed", "rejected"]
weights = [2, 1, 2, 8, 1, 1]
start = db.execute("SELECT COALESCE(MAX(number), 0) FROM feedback_cases").fetchone()[0]
now = datetime.datetime.utcnow()
rng = random.Random(7)
alphabet = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def stamp(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000000Z")


rows = []
for i in range(n):
    created = now - datetime.timedelta(minutes=rng.randint(0, 365 * 24 * 60))
    status = rng.choices(statuses, weights)[0]
    due = created + datetime.timedelta(days=rng.choice([1, 3, 5, 7]))
    resolved = None
    if status in ("resolved", "closed", "rejected"):
        resolved = stamp(created + datetime.timedelta(hours=rng.randint(2, 24 * 12)))
    lat = 10.78 + rng.random() * 0.18
    lng = 106.32 + rng.random() * 0.2
    rows.append((
        str(uuid.uuid4()), start + i + 1, "".join(rng.choice(alphabet) for _ in range(12)),
        rng.choice(cats), ids[rng.choice(communes)], lat, lng,
        f"Phản ánh mẫu số {start + i + 1} cho thử tải: đường hư, đèn tắt, rác thải.",
        status, "web", stamp(due), stamp(created), stamp(created), resolved,
        rng.choice([None, None, 3, 4, 5]) if resolved else None,
    ))
db.executemany(
    "INSERT INTO feedback_cases (id, number, token, category_id, commune_id, latitude, longitude, description, "
    "status, channel, due_at, created_by, created_at, updated_at, resolved_at, rating) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,'bench',?,?,?,?)",
    rows,
)
db.execute("UPDATE counters SET value = (SELECT MAX(number) FROM feedback_cases) WHERE name = 'feedback_case'")
db.commit()
db.execute("ANALYZE")
db.close()
print(f"{n} cases added")
