#!/usr/bin/env python3
"""Writes data/dt/bao-cao-ke-hoach-cds.xlsx, the DT plan report template Xã Số ships.

The template is data: a province restyles it in Excel or LibreOffice and uploads it on the
"Chỉ tiêu CĐS" page. This script only records how the shipped file was made:

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install openpyxl==3.1.5
    /tmp/venv/bin/python scripts/dt-report-template.py

Placeholders are listed in docs/DT-REPORT-TEMPLATE.md.
"""
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.page import PageMargins

OUT = Path(__file__).resolve().parent.parent / "data" / "dt" / "bao-cao-ke-hoach-cds.xlsx"
thin = Side(style="thin", color="666666")
box = Border(left=thin, right=thin, top=thin, bottom=thin)
head_fill = PatternFill("solid", fgColor="DDEBDD")
bold = Font(name="Times New Roman", bold=True, size=12)
plain = Font(name="Times New Roman", size=12)
centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
wrap = Alignment(vertical="top", wrap_text=True)


def page_setup(ws, landscape=False):
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.6, right=0.5, top=0.6, bottom=0.6)


wb = Workbook()
ws = wb.active
ws.title = "Ke hoach CDS"
page_setup(ws)
widths = {"A": 6, "B": 46, "C": 9, "D": 12, "E": 12, "F": 11, "G": 36}
for col, w in widths.items():
    ws.column_dimensions[col].width = w

ws.merge_cells("A1:C1")
ws["A1"] = "UBND {{xa}}"
ws["A1"].font = bold
ws.merge_cells("D1:G1")
ws["D1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
ws["D1"].font = bold
ws.merge_cells("D2:G2")
ws["D2"] = "Độc lập - Tự do - Hạnh phúc"
ws["D2"].font = bold
for c in ("A1", "D1", "D2"):
    ws[c].alignment = centre
ws.merge_cells("A4:G4")
ws["A4"] = "BÁO CÁO KẾT QUẢ THỰC HIỆN KẾ HOẠCH CHUYỂN ĐỔI SỐ NĂM {{nam}}"
ws["A4"].font = Font(name="Times New Roman", bold=True, size=14)
ws["A4"].alignment = centre
ws.merge_cells("A5:G5")
ws["A5"] = "(Mã đơn vị hành chính: {{ma_xa}} — số liệu đến ngày {{ngay_lap}})"
ws["A5"].font = Font(name="Times New Roman", italic=True, size=12)
ws["A5"].alignment = centre

headers = ["STT", "Chỉ tiêu", "Đơn vị", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)", "Nguồn số liệu"]
for i, h in enumerate(headers, start=1):
    c = ws.cell(row=7, column=i, value=h)
    c.font = bold
    c.fill = head_fill
    c.border = box
    c.alignment = centre
row = ["{{ct.stt}}", "{{ct.ten}}", "{{ct.don_vi}}", "{{ct.ke_hoach}}", "{{ct.thuc_hien}}",
       "{{ct.ty_le}}", "{{ct.nguon}}"]
for i, v in enumerate(row, start=1):
    c = ws.cell(row=8, column=i, value=v)
    c.font = plain
    c.border = box
    c.alignment = wrap if i in (2, 7) else centre
    if i in (4, 5):
        c.number_format = "#,##0.##"
    if i == 6:
        c.number_format = "0.0"

ws.merge_cells("A10:G10")
ws["A10"] = "Số chỉ tiêu đạt kế hoạch / có kế hoạch: {{dat}}"
ws["A10"].font = bold
ws.merge_cells("A11:G11")
ws["A11"] = ("Số liệu \"Tính từ dữ liệu Xã Số\" được tổng hợp từ điểm danh tập huấn, sổ hỗ trợ "
             "người dân và sổ địa điểm; số liệu khác do xã nhập kèm minh chứng.")
ws["A11"].font = Font(name="Times New Roman", italic=True, size=11)
ws["A11"].alignment = wrap
ws.row_dimensions[11].height = 32
ws.merge_cells("A13:C13")
ws["A13"] = "NGƯỜI LẬP BIỂU"
ws.merge_cells("D13:G13")
ws["D13"] = "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH"
for c in ("A13", "D13"):
    ws[c].font = bold
    ws[c].alignment = centre
ws.row_dimensions[13].height = 34

va = wb.create_sheet("Theo ap")
page_setup(va, landscape=True)
va.merge_cells("A1:J1")
va["A1"] = "KẾ HOẠCH VÀ THỰC HIỆN THEO ẤP — {{xa}}, NĂM {{nam}}"
va["A1"].font = Font(name="Times New Roman", bold=True, size=14)
va["A1"].alignment = centre
groups = [
    ("Thành viên tổ CNSCĐ được tập huấn (người)", "members_trained"),
    ("Lượt người dân được hỗ trợ", "people_helped"),
    ("Lượt hỗ trợ kích hoạt VNeID", "vneid_helped"),
    ("Điểm Wi-Fi công cộng", "wifi_points"),
]
for col, w in {"A": 6, "B": 26}.items():
    va.column_dimensions[col].width = w
va.merge_cells("A3:A4")
va["A3"] = "STT"
va.merge_cells("B3:B4")
va["B3"] = "Ấp"
for n, (label, key) in enumerate(groups):
    first = 3 + n * 2
    a = va.cell(row=3, column=first, value=label)
    va.merge_cells(start_row=3, start_column=first, end_row=3, end_column=first + 1)
    va.cell(row=4, column=first, value="Kế hoạch")
    va.cell(row=4, column=first + 1, value="Thực hiện")
    va.cell(row=5, column=first, value="{{ap.%s.ke_hoach}}" % key)
    va.cell(row=5, column=first + 1, value="{{ap.%s.thuc_hien}}" % key)
    for col in (first, first + 1):
        va.column_dimensions[va.cell(row=4, column=col).column_letter].width = 12
va["A5"] = "{{ap.stt}}"
va["B5"] = "{{ap.ten}}"
for r in (3, 4):
    va.row_dimensions[r].height = 30 if r == 3 else 18
    for col in range(1, 11):
        c = va.cell(row=r, column=col)
        c.font = bold
        c.fill = head_fill
        c.border = box
        c.alignment = centre
for col in range(1, 11):
    c = va.cell(row=5, column=col)
    c.font = plain
    c.border = box
    c.alignment = wrap if col == 2 else centre
va.merge_cells("A7:J7")
va["A7"] = "Ấp không có kế hoạch riêng để trống cột Kế hoạch."
va["A7"].font = Font(name="Times New Roman", italic=True, size=11)

wb.save(OUT)
print(OUT)
