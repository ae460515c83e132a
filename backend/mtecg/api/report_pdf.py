"""A screening as a one-page A4 PDF report in Thai, rendered on the server.

Built from the same `ScreeningOut` the detail route returns (and the same Thai texts as the
web app's print view, `report_text.TH`): identity, both results with their threshold
decisions and risk bands, the note on approximated lead time windows, the canonical image
and both Grad-CAM++ overlays, the model and whether it was trained on synthetic data, the
per-lead attribution when it has been computed (`api/attributions.py`, stored beside the
images), and the screening-aid statement.

Text goes through PyMuPDF's HTML box (MuPDF lays out and shapes the Thai) in Sarabun, the web
app's font, bundled with the package (`mtecg/report_fonts`, SIL OFL; its glyph-substitution
table is left out so every glyph maps back to its character and the PDF's text can be
searched and copied exactly; mark positioning is kept).
"""

from __future__ import annotations

import html
from importlib import resources
from pathlib import Path
from typing import Any, Final

import pymupdf

from mtecg.api.report_text import TH
from mtecg.api.schemas import ScreeningOut

A4_PT: Final = (595.28, 841.89)
MARGIN: Final = 36.0
FONTS: Final = resources.files("mtecg") / "report_fonts"
_CSS: Final = """
@font-face {font-family: sarabun; src: url(Sarabun-Regular.ttf);}
@font-face {font-family: sarabun; src: url(Sarabun-Bold.ttf); font-weight: bold;}
* {font-family: sarabun; font-size: 9.5pt; line-height: 1.3;}
h1 {font-size: 15pt; margin: 0 0 4pt 0;}
h2 {font-size: 11pt; margin: 6pt 0 2pt 0;}
table {border-collapse: collapse; width: 100%;}
td, th {border: 0.5pt solid #999; padding: 2pt 4pt; text-align: left;}
.warn {color: #a00000; font-weight: bold;}
.aid {border: 1pt solid #333; padding: 4pt;}
"""
_IMAGES: Final = (
    ("canonical", "heatmap.plain"),
    ("scar", "heatmap.scar"),
    ("lvef", "heatmap.lvef"),
)


def _e(value: object) -> str:
    return html.escape(str(value))


def _patient_row(screening: ScreeningOut) -> tuple[str, str]:
    """The HN in clear where this viewer may see it, else the keyed hash labelled as such."""
    if screening.patient_ref is not None:
        return TH["result.patientRef"], screening.patient_ref
    if screening.patient_ref_hash is not None:
        return TH["result.patientRefHash"], screening.patient_ref_hash
    return TH["result.patientRef"], TH["result.none"]


def _header(screening: ScreeningOut) -> str:
    model = screening.model
    status = TH["banner.synthetic"] if model.synthetic else TH["report.modelStatus.clinical"]
    rows = [
        (TH["result.screeningId"], screening.id),
        (TH["result.createdAt"], screening.created_at.strftime("%Y-%m-%d %H:%M UTC")),
        (TH["result.createdBy"], screening.created_by.username),
        _patient_row(screening),
        (TH["result.layout.kind"], screening.layout.input_type or screening.layout.kind),
        (TH["result.model"], f"{model.id} {model.version} (sha256 {model.weights_sha256[:12]})"),
        (TH["report.modelStatus"], status),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    badge = f'<p class="warn">{_e(TH["badge.synthetic"])}</p>' if model.synthetic else ""
    return (
        f"<h1>{_e(TH['result.reportTitle'])}</h1>{badge}<table>{cells}</table>{_windows(screening)}"
    )


def _windows(screening: ScreeningOut) -> str:
    """The web app's flagged note when some lead's 3 x 4 time window was approximated."""
    if screening.layout.time_windows != "approximate":
        return ""
    return (
        f'<p class="warn">{_e(TH["result.layout.approximateTitle"])} '
        f"{_e(TH['result.layout.approximate'])}</p>"
    )


def _results(screening: ScreeningOut) -> str:
    head = (
        f"<tr><th></th><th>{_e(TH['result.probability'])}</th>"
        f"<th>{_e(TH['result.band'])}</th><th></th></tr>"
    )
    rows = []
    for name, task in screening.tasks.items():
        decision = TH["result.aboveThreshold"] if task.prediction else TH["result.belowThreshold"]
        rows.append(
            f"<tr><td>{_e(TH.get(f'task.{name}', task.label))}</td>"
            f"<td>{task.probability * 100:.1f} %</td>"
            f"<td>{_e(TH['band.' + task.risk_band])}</td>"
            f"<td>{_e(decision)} ({task.threshold:g})</td></tr>"
        )
    return f"<h2>{_e(TH['result.title'])}</h2><table>{head}{''.join(rows)}</table>"


def _attribution(attribution: dict[str, Any] | None) -> str:
    """Each lead's change of each task's probability (percentage points), when computed."""
    if attribution is None or attribution.get("status") != "ready":
        return ""
    tasks = attribution["tasks"]
    names = [name for name in ("scar", "lvef") if name in tasks]
    leads = [item["lead"] for item in tasks[names[0]]["leads"]]
    head = f"<tr><th>{_e(TH['attribution.lead'])}</th>" + "".join(
        f"<th>{_e(lead)}</th>" for lead in leads
    )
    rows = [head + "</tr>"]
    for name in names:
        cells = "".join(f"<td>{item['change'] * 100:+.1f}</td>" for item in tasks[name]["leads"])
        rows.append(f"<tr><th>{_e(TH['attribution.' + name])}</th>{cells}</tr>")
    shared = (
        f"<p>{_e(TH['heatmap.shared'])}</p>" if attribution.get("maps", {}).get("similar") else ""
    )
    return (
        f"<h2>{_e(TH['attribution.title'])}</h2><table>{''.join(rows)}</table>"
        f"<p>{_e(TH['attribution.help'])}</p>{shared}"
    )


def _aid() -> str:
    return f'<div class="aid"><b>{_e(TH["aid.title"])}</b><br/>{_e(TH["aid.text"])}</div>'


def screening_report(
    screening: ScreeningOut,
    images: dict[str, Path],
    attribution: dict[str, Any] | None = None,
) -> bytes:
    """The PDF; `images` maps canonical, scar and lvef to their stored PNG files, and
    `attribution` is the stored per-lead attribution (left out while there is none)."""
    archive = pymupdf.Archive(str(FONTS))
    doc = pymupdf.open()
    page = doc.new_page(width=A4_PT[0], height=A4_PT[1])
    width = A4_PT[0] - 2 * MARGIN
    top = pymupdf.Rect(MARGIN, MARGIN, MARGIN + width, 330)
    spare, _ = page.insert_htmlbox(
        top, _header(screening) + _results(screening), css=_CSS, archive=archive
    )
    y = top.y1 - max(spare, 0.0) + 8
    title = pymupdf.Rect(MARGIN, y, MARGIN + width, y + 18)
    page.insert_htmlbox(title, f"<h2>{_e(TH['heatmap.title'])}</h2>", css=_CSS, archive=archive)
    y += 20
    column = (width - 2 * 8) / 3
    tile_h = column * 1.5  # the canonical image is 2 wide x 3 high
    for k, (name, label) in enumerate(_IMAGES):
        x = MARGIN + k * (column + 8)
        page.insert_htmlbox(
            pymupdf.Rect(x, y, x + column, y + 14),
            f"<b>{_e(TH[label])}</b>",
            css=_CSS,
            archive=archive,
        )
        path = images.get(name)
        if path is not None and path.is_file():
            page.insert_image(
                pymupdf.Rect(x, y + 15, x + column, y + 15 + tile_h), filename=str(path)
            )
    y += 15 + tile_h + 4
    bottom = pymupdf.Rect(MARGIN, y, MARGIN + width, A4_PT[1] - MARGIN)
    page.insert_htmlbox(
        bottom,
        f"<p>{_e(TH['heatmap.help'])}</p>{_attribution(attribution)}{_aid()}",
        css=_CSS,
        archive=archive,
    )
    doc.set_metadata({"title": TH["result.reportTitle"], "creator": "mtecg", "producer": "mtecg"})
    data: bytes = doc.tobytes(garbage=3, deflate=True)
    return data
