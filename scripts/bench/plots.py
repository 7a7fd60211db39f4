# Adds N plots to Xã Đức Hòa (27937) in a demo database, for the map-view benchmark: squares of
# about 30 m side on a grid over the commune's bounding box, with their geodesic-ish area and box.
# usage: plots.py PATH N     (SQLite database of `xaso demo`)
import json, math, sqlite3, sys, uuid

path, n = sys.argv[1], int(sys.argv[2])
db = sqlite3.connect(path)
unit = db.execute(
    "SELECT id FROM units WHERE code = '27937' AND level = 'commune' AND valid_to IS NULL"
).fetchone()[0]
# The commune's box (about 10.78–10.90 N, 106.36–106.47 E).
s, w, north, e = 10.78, 106.36, 10.90, 106.47
side = math.ceil(math.sqrt(n))
dlat, dlng = (north - s) / side, (e - w) / side
d = 0.00027  # about 30 m
now = "2026-12-04T00:00:00.000000Z"
rows = []
for i in range(n):
    lat, lng = s + (i // side) * dlat, w + (i % side) * dlng
    ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
    area = (d * 111_320 * math.cos(math.radians(lat))) * (d * 110_600)
    rows.append((str(uuid.uuid4()), unit, None, f"Thửa {i}", "LUA", "canal", None, "", "",
                 json.dumps({"type": "Polygon", "coordinates": [ring]}), area,
                 lat, lng, lat + d, lng + d, "bench", now, "bench", now))
columns = ("id, unit_id, village_id, name, land_use, irrigation, tenure, holder, holder_phone, "
           "geometry, area_m2, min_lat, min_lng, max_lat, max_lng, created_by, created_at, "
           "updated_by, updated_at")
db.executemany(f"INSERT INTO agri_plots ({columns}) VALUES (" + ",".join("?" * 19) + ")", rows)
db.commit()
print(f"{n} plots; a map view of 0.01° (about 1.1 km) holds about {n * 0.01 * 0.01 / ((north - s) * (e - w)):.0f}")
