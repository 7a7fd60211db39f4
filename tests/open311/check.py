"""Checks our Open311 GeoReport v2 API with two client libraries we did not write, used as
published on PyPI:

- georeport 0.3.1 (2025, Python 3): service list and definition, request lists in JSON and XML
  with filters, one request read back.
- three 0.8.0 (Code for America): posting a request with an api_key, a photo and a position,
  then the token lookup. It was written for Python 2; its one Python 2 import
  (itertools.ifilter) is given the Python 3 name before importing it. Nothing else of it is
  touched.

Usage: XASO_BASE_URL=http://127.0.0.1:8080 python check.py
Exits non-zero with a message on the first check that fails.
"""

import io
import itertools
import os
import re
import sys

itertools.ifilter = filter  # three 0.8.0's only Python 2 import

import requests  # noqa: E402  (three's own dependency)
import three  # noqa: E402
from georeport import GeoReport  # noqa: E402

BASE = os.environ.get("XASO_BASE_URL", "http://127.0.0.1:8080").rstrip("/")
ENDPOINT = BASE + "/open311/v2"
KEY = os.environ.get("XASO_OPEN311_KEY", "demo-open311-key")


PASSED = 0


def check(cond, what):
    global PASSED
    if not cond:
        print("FAIL:", what)
        # The test script's summary counts these lines (as it does node's test runner's).
        print(f"# pass {PASSED}\n# fail 1")
        sys.exit(1)
    PASSED += 1
    print("ok:", what)


def jpeg():
    # A real JPEG: Pillow is not needed; this is a 1x1 baseline JPEG.
    return bytes.fromhex(
        "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008010100003f00fbd3ffd9"
    )


# georeport: the services.
geo = GeoReport(ENDPOINT)
services = geo.get_service_list()
codes = [s["service_code"] for s in services]
check(len(services) >= 5 and "giao-thong" in codes, f"georeport lists {len(services)} services")
definition = geo.get_service_definition("giao-thong")
check(definition.get("service_code") == "giao-thong", "georeport reads a service definition")
geo_xml = GeoReport(ENDPOINT, output_format="xml")
xml_services = geo_xml.get_service_list()
check(len(xml_services) == len(services), "georeport lists the same services in XML")

# three: post a request with the demo key, a photo and a GPS position in Đức Hòa.
t = three.Three(ENDPOINT, api_key=KEY)
posted = t.post(
    "chieu-sang",
    lat=10.8826,
    long=106.4232,
    description="Đèn đường trước chợ không sáng (kiểm tra Open311).",
    email="nguoi.dan@example.org",
    phone="0912345678",
    media=("den.jpg", io.BytesIO(jpeg()), "image/jpeg"),
)
check(
    t.post_response.status_code == 201 and isinstance(posted, list) and posted[0].get("service_request_id"),
    f"three posts a request (HTTP {t.post_response.status_code}: {posted})",
)
rid = posted[0]["service_request_id"]
check("token" not in posted[0], "the answer carries the request's id and no token (GeoReport v2: one or the other)")

bad = three.Three(ENDPOINT, api_key="wrong-key").post("chieu-sang", lat=10.88, long=106.42, description="Không có khóa hợp lệ.")
check(isinstance(bad, list) and bad[0].get("code") == 403, "a wrong api_key gets the Open311 error body")

# georeport: read it back, alone and in filtered lists, in JSON and XML.
one = geo.get_service_requests(service_request_id=rid)
check(len(one) == 1 and one[0]["service_request_id"] == rid, "georeport reads the request back by id")
r = one[0]
check(r["service_code"] == "chieu-sang" and r["status"] == "open", "it is open, under the posted service")
check(abs(float(r["lat"]) - 10.8826) < 1e-6 and abs(float(r["long"]) - 106.4232) < 1e-6, "with the posted position")
text = str(one)
check("0912345678" not in text and "nguoi.dan" not in text, "without the reporter's phone or e-mail")
listed = geo.get_service_requests(service_code="chieu-sang", status="open")
check(any(x["service_request_id"] == rid for x in listed), "georeport finds it filtered by service and status")
closed = geo.get_service_requests(status="closed")
check(all(x["status"] == "closed" for x in closed), "the closed filter returns only closed requests")
xml_one = geo_xml.get_service_requests(service_request_id=rid)
xml_one = xml_one if isinstance(xml_one, dict) else xml_one[0]
check(xml_one["service_request_id"] == rid, "georeport reads it back in XML")
by_path = t.request(rid)
check(by_path[0]["service_request_id"] == rid, "three reads requests/{id}.json")
# A tracking code (the public form hands one to the citizen; the Open311 POST did before)
# still resolves through tokens/{token}.
web = requests.Session()
form = web.get(BASE + "/feedback").text
csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
filed = web.post(
    BASE + "/feedback",
    files={"photo": ("", b"", "application/octet-stream")},
    data={"csrf": csrf, "channel": "web", "category": "chieu-sang", "description": "Đèn hỏng (kiểm tra mã tra cứu).",
          "latitude": "10.8826", "longitude": "106.4232"},
    allow_redirects=False,
)
where = filed.headers.get("location", "")
check(filed.status_code == 303 and "/feedback/track/" in where, f"the public form gives a tracking code ({filed.status_code} {where})")
token = where.rsplit("/", 1)[-1].split("?")[0]
found = t.token(token)
check(found and found[0].get("service_request_id"), f"three resolves the tracking code through tokens/{{token}} ({found})")
print("all Open311 client checks passed")
print(f"# pass {PASSED}\n# fail 0")
