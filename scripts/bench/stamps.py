# Adds N stamps to the demo's released batch, for the verification benchmark.
# usage: stamps.py sqlite PATH N | stamps.py postgres URL N ; writes /tmp/vb/codes.txt
import os, random, sys, secrets, datetime, uuid, subprocess, io
engine, target, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ023456789"
rng = random.SystemRandom()
codes = set()
while len(codes) < n:
    codes.add("".join(rng.choice(alphabet) for _ in range(13)))
codes = list(codes)
now = datetime.datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.000000Z")
order = str(uuid.uuid4())
q_batch = "SELECT b.id FROM batches b WHERE b.lot = 'DH-2026-03'"
if engine == "sqlite":
    import sqlite3
    db = sqlite3.connect(target)
    batch = db.execute(q_batch).fetchone()[0]
    db.execute("INSERT INTO stamp_orders (id, batch_id, count, label_size, status, created_by, created_at) VALUES (?,?,?,?,?,?,?)",
               (order, batch, n, "small", "ready", "bench", now))
    db.executemany("INSERT INTO stamps (code, batch_id, order_id, number) VALUES (?,?,?,?)",
                   ((c, batch, order, i + 1) for i, c in enumerate(codes)))
    db.commit()
    db.execute("ANALYZE")
    db.close()
else:
    psql = ["psql", target, "-v", "ON_ERROR_STOP=1", "-qAt"]
    batch = subprocess.check_output(psql + ["-c", q_batch]).decode().strip()
    subprocess.check_call(psql + ["-c", f"INSERT INTO stamp_orders (id, batch_id, count, label_size, status, created_by, created_at) VALUES ('{order}','{batch}',{n},'small','ready','bench','{now}')"])
    buf = io.StringIO()
    for i, c in enumerate(codes):
        buf.write(f"{c}\t{batch}\t{order}\t{i+1}\n")
    subprocess.run(psql + ["-c", "COPY stamps (code, batch_id, order_id, number) FROM STDIN"], input=buf.getvalue().encode(), check=True)
    subprocess.check_call(psql + ["-c", "ANALYZE stamps"])
random.shuffle(codes)
with open("/tmp/vb/codes.txt", "w") as f:
    f.write("\n".join(codes[:200000]) + "\n")
print(f"{n} stamps added to batch {batch}")
