"""The Thai texts of the PDF report: the web app's own wording, key for key.

The web app's dictionary (frontend/src/i18n/th.ts) is the one home of the UI's Thai; the server
renders the PDF without the frontend, so the texts it needs are repeated here under the same
keys, and tests/api/test_api_reports.py fails if any of them differs from th.ts. That keeps the
print view and the PDF saying the same things.
"""

from __future__ import annotations

from typing import Final

TH: Final = {
    "result.reportTitle": "รายงานผลการคัดกรอง ECG",
    "result.screeningId": "เลขที่การคัดกรอง",
    "result.createdAt": "วันเวลา",
    "result.createdBy": "ผู้ตรวจ",
    "result.patientRef": "HN / รหัสผู้ป่วย",
    "result.patientRefHash": "รหัสผู้ป่วย (แฮช)",
    "result.model": "โมเดล",
    "result.none": "—",
    "result.title": "ผลการคัดกรอง",
    "result.probability": "ความน่าจะเป็น",
    "result.band": "ระดับความเสี่ยง",
    "result.aboveThreshold": "สูงกว่าจุดตัดของโมเดล",
    "result.belowThreshold": "ต่ำกว่าจุดตัดของโมเดล",
    "result.layout.kind": "ชนิดไฟล์",
    "result.layout.approximateTitle": "หมายเหตุ:",
    "result.layout.approximate": (
        "ช่วงเวลาของบางลีดเป็นค่าประมาณ — กระดาษนี้ไม่มีช่วง 2.5 วินาทีที่ ECG แบบ 3 × 4 "
        "แสดงสำหรับลีดนั้น (เช่น พิมพ์ที่ 50 มม./วินาที แถวหนึ่งแสดงเพียง 5 วินาที) "
        "จึงใช้ช่วงที่ใกล้ที่สุดที่มีบนกระดาษแทน ผลของโมเดลอาจต่างจากการอ่าน ECG "
        "แบบ 3 × 4 ของการบันทึกเดียวกัน ควรแปลผลอย่างระมัดระวัง"
    ),
    "task.scar": "แผลเป็นที่กล้ามเนื้อหัวใจ (Myocardial scar)",
    "task.lvef": "LVEF < 50 %",
    "band.low": "ความเสี่ยงต่ำ",
    "band.moderate": "ความเสี่ยงปานกลาง",
    "band.high": "ความเสี่ยงสูง",
    "heatmap.title": "แผนที่ความร้อน (Grad-CAM++) บนภาพ ECG",
    "heatmap.plain": "ECG อย่างเดียว",
    "heatmap.scar": "แผลเป็น",
    "heatmap.lvef": "LVEF",
    "heatmap.help": (
        "บริเวณสีแดง/เหลืองคือส่วนของ ECG ที่มีผลต่อการทำนายของโมเดลมาก ไม่ได้บอกตำแหน่งรอยโรคโดยตรง"
    ),
    "aid.title": "เครื่องมือช่วยคัดกรอง ไม่ใช่การวินิจฉัย",
    "aid.text": (
        "ผลนี้เป็นเพียงเครื่องมือช่วยคัดกรอง ไม่ใช่การวินิจฉัยโรค ต้องแปลผลโดยแพทย์ร่วมกับข้อมูลทางคลินิกทั้งหมดของผู้ป่วย"
    ),
    "badge.synthetic": "โมเดลข้อมูลสังเคราะห์",
    "banner.synthetic": "โมเดลนี้ฝึกด้วยข้อมูลสังเคราะห์ ไม่ใช่สำหรับใช้ทางคลินิก",
    "attribution.title": "ผลของแต่ละลีดต่อความน่าจะเป็น",
    "attribution.help": (
        "ความน่าจะเป็นเปลี่ยนไปเท่าใดเมื่อปิดลีดนั้น (แทนด้วยกระดาษเปล่า): "
        "แท่งไปทางขวาแปลว่าลีดนั้นทำให้ความน่าจะเป็นสูงขึ้น ไปทางซ้ายแปลว่าทำให้ต่ำลง "
        "เป็นคำอธิบายการทำงานของโมเดล ไม่ได้บอกตำแหน่งรอยโรคโดยตรง"
    ),
    "attribution.lead": "ลีด",
    "attribution.scar": "แผลเป็น",
    "attribution.lvef": "LVEF < 50 %",
    "heatmap.shared": "แผนที่เดียวของทั้งสองงาน",
    "report.modelStatus": "สถานะโมเดล",
    "report.modelStatus.clinical": "โมเดลสำหรับใช้ทางคลินิก",
}
