# Adds a season's plantings to every commune of a province in a demo database, for the province
# season-statistics benchmark: per commune, the season `he-thu-2026` (when missing), N plots spread
# over its villages, one planting each (rice, peanut or maize) and a harvest on two of three.
# usage: agri_stats.py PATH PROVINCE N     (SQLite database of a stopped `xaso demo`)
import json, sqlite3, sys, uuid

path, province, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
now = "2026-12-04T00:00:00.000000Z"
prov = db.execute(
    "SELECT id FROM units WHERE code = ? AND valid_to IS NULL", (province,)
).fetchone()[0]
communes = db.execute(
    "SELECT id, code FROM units WHERE parent_id = ? AND level = 'commune' AND valid_to IS NULL",
    (prov,),
).fetchall()
plots, plantings, logs, seasons = [], [], [], []
crops = ["rice", "peanut", "maize"]
for ci, (commune, code) in enumerate(communes):
    villages = [v for (v,) in db.execute(
        "SELECT id FROM units WHERE parent_id = ? AND level = 'village' AND valid_to IS NULL",
        (commune,))] or [None]
    season = db.execute(
        "SELECT id FROM agri_seasons WHERE unit_id = ? AND key = 'he-thu-2026'", (commune,)
    ).fetchone()
    if season:
        season = season[0]
    else:
        season = str(uuid.uuid4())
        seasons.append((season, commune, "he-thu-2026", "he-thu", "Hè Thu 2026", "2026-04-16",
                        "2026-08-31", "bench", now))
    lat0, lng0 = 10.5 + (ci % 10) * 0.05, 106.0 + (ci // 10) * 0.05
    for i in range(n):
        pid = str(uuid.uuid4())
        lat, lng = lat0 + (i // 40) * 0.0005, lng0 + (i % 40) * 0.0005
        d = 0.0004
        ring = [[lng, lat], [lng + d, lat], [lng + d, lat + d], [lng, lat + d], [lng, lat]]
        area = 1900.0
        plots.append((pid, commune, villages[i % len(villages)], f"Thửa {i}", "LUA",
                      json.dumps({"type": "Polygon", "coordinates": [ring]}), area,
                      lat, lng, lat + d, lng + d, "bench", now, "bench", now))
        plid = str(uuid.uuid4())
        crop = crops[i % 3]
        kg = 1200.0 if crop == "rice" else 500.0
        harvested = i % 3 != 2
        plantings.append((plid, pid, season, crop, "", area, "2026-04-20", "bench", now,
                          villages[i % len(villages)], 1 if harvested else 0,
                          kg if harvested else 0.0))
        if harvested:
            logs.append((str(uuid.uuid4()), pid, plid, "harvest", "2026-08-01", kg, "kg", kg,
                         "bench", now))
db.executemany("INSERT INTO agri_seasons (id, unit_id, key, kind, name, starts_on, ends_on, "
               "created_by, created_at) VALUES (?,?,?,?,?,?,?,?,?)", seasons)
db.executemany("INSERT INTO agri_plots (id, unit_id, village_id, name, land_use, geometry, "
               "area_m2, min_lat, min_lng, max_lat, max_lng, created_by, created_at, updated_by, "
               "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", plots)
db.executemany("INSERT INTO agri_plantings (id, plot_id, season_id, crop, variety, sown_area_m2, "
               "sown_on, recorded_by, recorded_at, village_id, harvests, harvest_kg) "
               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", plantings)
db.executemany("INSERT INTO agri_logs (id, plot_id, planting_id, kind, done_on, quantity, "
               "quantity_unit, quantity_kg, recorded_by, recorded_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
               logs)
db.commit()
print(f"{len(communes)} communes, {len(plantings)} plantings, {len(logs)} harvests")
