"""Plot areas checked against GeographicLib (PyPI), written by others: the seven communes of
the Đức Hòa area (real shapes, several hundred corners each, from data/admin-units) and a
rectangle crossing the boundary between two of them are recorded as plots of a running demo
through the API; the area the platform computed must agree with GeographicLib's geodesic
area on the WGS 84 ellipsoid within 0.1 %. Prints TAP-like lines ("# pass N" / "# fail N")."""

import json
import os
import pathlib
import urllib.request

from geographiclib.geodesic import Geodesic

base = os.environ.get("XASO_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
TOKEN = "demo-admin-token"
passed = failed = 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok - {name}")
    else:
        failed += 1
        print(f"not ok - {name} {detail}")


def ring_area(ring):
    p = Geodesic.WGS84.Polygon()
    pts = ring[:-1] if ring[0] == ring[-1] else ring
    for lon, lat in pts:
        p.AddPoint(lat, lon)
    return abs(p.Compute(False, True)[2])


def reference(geometry):
    polys = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return sum(ring_area(p[0]) - sum(ring_area(h) for h in p[1:]) for p in polys)


def post(code, features):
    body = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    req = urllib.request.Request(f"{base}/api/v1/units/{code}/plots", data=body, method="POST", headers={
        "Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)


data = pathlib.Path(__file__).resolve().parents[2] / "data/admin-units/duc-hoa-area-communes-2025.geojson"
communes = json.loads(data.read_text())["features"]
for c in communes:
    code = c["properties"]["code"]
    feature = {"type": "Feature", "geometry": c["geometry"],
               "properties": {"name": f"Toàn xã {c['properties']['name']} (kiểm tra diện tích)", "land_use": "NKH"}}
    got = post(code, [feature])["features"][0]["properties"]["area_m2"]
    want = reference(c["geometry"])
    check(f"{code}: {got:.0f} m² against GeographicLib's {want:.0f} m²", abs(got - want) / want < 0.001)

# A field across the boundary of Đức Hòa and its neighbour: a rectangle around a corner they share.
duc_hoa = next(c for c in communes if c["properties"]["code"] == "27937")
others = [c for c in communes if c["properties"]["code"] != "27937"]
shared = None
mine = {tuple(p) for poly in duc_hoa["geometry"]["coordinates"] for p in poly[0]}
for o in others:
    for poly in o["geometry"]["coordinates"]:
        for p in poly[0]:
            if tuple(p) in mine:
                shared = p
                break
        if shared:
            break
    if shared:
        break
check("Đức Hòa shares a boundary corner with a neighbour", shared is not None)
lon, lat = shared
d = 0.002
rect = {"type": "Polygon", "coordinates": [[[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]]}
got = post("27937", [{"type": "Feature", "geometry": rect,
                      "properties": {"name": "Ruộng giáp ranh (kiểm tra)", "land_use": "LUA"}}])["features"][0]["properties"]
want = reference(rect)
check(f"a field across the commune boundary: {got['area_m2']:.1f} m² against {want:.1f} m²",
      abs(got["area_m2"] - want) / want < 0.001)
check("its area in hectares too", abs(got["area_ha"] - want / 10000) < 0.001, str(got["area_ha"]))

print(f"# pass {passed}")
print(f"# fail {failed}")
