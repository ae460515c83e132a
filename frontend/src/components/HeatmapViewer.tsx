"use client";

import { useId, useState, type CSSProperties } from "react";
import { t } from "@/i18n";
import type { Attribution, Screening } from "@/lib/types";

export type HeatmapMode = "plain" | "scar" | "lvef" | "shared";
const MODES: HeatmapMode[] = ["plain", "scar", "lvef"];
// Maps that are one explanation of both tasks (docs/API.md `maps.similar`) get one choice.
const SHARED_MODES: HeatmapMode[] = ["plain", "shared"];

// The canonical image is 6 rows x 2 columns of panels (mtecg.geometry.CANONICAL_COLUMNS).
export const CANONICAL_COLUMNS: readonly (readonly string[])[] = [
  ["I", "II", "III", "aVR", "aVL", "aVF"],
  ["V1", "V2", "V3", "V4", "V5", "V6"],
];
// Width / height of the canonical image (1402 x 2100 px, mtecg.geometry).
export const CANONICAL_ASPECT = 1402 / 2100;
const ZOOMS = [1, 1.5, 2, 3, 4];
// The overlay's label box lies within this corner of each 701 x 350 px panel: its rectangle is
// at most (3, 12)-(58, 37) px for the longest name (aVR) in Pillow's font at 28 px.
const OVERLAY_LABEL_PX = { width: 60, height: 40 };
const IMAGE_PX = { width: 1402, height: 2100 };

function coverStyle(col: number, row: number, canonical: string): CSSProperties {
  const w = OVERLAY_LABEL_PX.width / IMAGE_PX.width;
  const h = OVERLAY_LABEL_PX.height / IMAGE_PX.height;
  const x = (col * IMAGE_PX.width) / 2;
  const y = (row * IMAGE_PX.height) / 6;
  return {
    left: `${(100 * x) / IMAGE_PX.width}%`,
    top: `${(100 * y) / IMAGE_PX.height}%`,
    width: `${100 * w}%`,
    height: `${100 * h}%`,
    backgroundImage: `url("${canonical}")`,
    backgroundSize: `${100 / w}% ${100 / h}%`,
    // A percentage position p puts the image's point p % at the box's point p %.
    backgroundPosition: `${(100 * x) / (IMAGE_PX.width - OVERLAY_LABEL_PX.width)}% ${
      (100 * y) / (IMAGE_PX.height - OVERLAY_LABEL_PX.height)
    }%`,
  };
}

/**
 * The canonical ECG with a Grad-CAM++ overlay on top.
 *
 * Lead labels: mtecg.layout.canonical adds none, but the canonical image keeps whatever the
 * printer printed inside each panel, often the lead's name, whole or cut; the overlay PNGs add
 * one per panel in a white box at the panel's top-left corner (mtecg.model.overlay). So the
 * viewer draws its one label per lead OUTSIDE the ECG, in the margins beside each column, and
 * over an overlay it covers the overlay's label box with the same spot of the plain canonical
 * image: whatever the mode and opacity, a lead's name appears once from the app, and the
 * printout's own print stays as printed.
 *
 * "Fit" (zoom 100 %) sizes the image so that its whole height fits the viewport: all 12 leads
 * at once. Zooming scales from that size.
 */
export function HeatmapViewer({
  images,
  similarity = null,
}: {
  images: Screening["images"];
  similarity?: NonNullable<Attribution["maps"]> | null;
}) {
  const [mode, setMode] = useState<HeatmapMode>("scar");
  const [opacity, setOpacity] = useState(100);
  const [zoomIndex, setZoomIndex] = useState(0);
  const id = useId();
  const zoom = ZOOMS[zoomIndex] ?? 1;
  const modes = similarity ? SHARED_MODES : MODES;
  const shown: HeatmapMode =
    mode === "plain" ? "plain" : similarity ? "shared" : mode === "shared" ? "scar" : mode;
  const overlaySrc = shown === "plain" ? null : shown === "shared" ? images.scar : images[shown];

  return (
    <section className="heatmap" aria-labelledby={`${id}-title`} data-testid="heatmap-viewer">
      <h3 id={`${id}-title`}>{t("heatmap.title")}</h3>
      <div className="heatmap-controls no-print">
        <fieldset className="segmented">
          <legend>{t("heatmap.mode")}</legend>
          {modes.map((m) => (
            <label key={m} className={shown === m ? "selected" : undefined}>
              <input
                type="radio"
                name={`${id}-mode`}
                value={m}
                checked={shown === m}
                onChange={() => setMode(m)}
                data-testid={`heatmap-mode-${m}`}
              />
              {t(`heatmap.${m}`)}
            </label>
          ))}
        </fieldset>
        <div className="control">
          <label htmlFor={`${id}-opacity`}>{t("heatmap.opacity")}</label>
          <input
            id={`${id}-opacity`}
            type="range"
            min={0}
            max={100}
            step={5}
            value={opacity}
            disabled={shown === "plain"}
            onChange={(event) => setOpacity(Number(event.target.value))}
            aria-valuetext={`${opacity} %`}
          />
          <output htmlFor={`${id}-opacity`}>{opacity} %</output>
        </div>
        <div className="control" role="group" aria-label={t("heatmap.zoom")}>
          <button
            type="button"
            className="button secondary"
            onClick={() => setZoomIndex((i) => Math.max(0, i - 1))}
            disabled={zoomIndex === 0}
            aria-label={t("heatmap.zoomOut")}
          >
            −
          </button>
          <output aria-live="polite">{Math.round(zoom * 100)} %</output>
          <button
            type="button"
            className="button secondary"
            onClick={() => setZoomIndex((i) => Math.min(ZOOMS.length - 1, i + 1))}
            disabled={zoomIndex === ZOOMS.length - 1}
            aria-label={t("heatmap.zoomIn")}
          >
            +
          </button>
          <button type="button" className="button secondary" onClick={() => setZoomIndex(0)} disabled={zoomIndex === 0}>
            {t("heatmap.zoomReset")}
          </button>
        </div>
      </div>
      {similarity && (
        <div className="banner banner-warning heatmap-similar" role="note" data-testid="heatmap-similar">
          {t("heatmap.similar", {
            r: similarity.correlation.toFixed(2),
            threshold: similarity.similar_from.toFixed(2),
          })}
        </div>
      )}
      <div className="print-only small">{t("heatmap.shown", { map: t(`heatmap.${shown}`) })}</div>
      <div className="heatmap-viewport" tabIndex={0} aria-label={t(`heatmap.alt.${shown}`)}>
        <div
          className="heatmap-stack"
          style={{ width: `calc(${zoom} * min(100%, var(--heatmap-fit-height) * ${CANONICAL_ASPECT.toFixed(5)}))` }}
          data-mode={shown}
          data-zoom={zoomIndex === 0 ? "fit" : zoom}
        >
          {/* eslint-disable-next-line @next/next/no-img-element -- served by the backend through the proxy */}
          <img src={images.canonical} alt={t("heatmap.alt.plain")} className="heatmap-base" />
          {overlaySrc !== null && (
            // eslint-disable-next-line @next/next/no-img-element
            <img
              src={overlaySrc}
              alt={t(`heatmap.alt.${shown}`)}
              className="heatmap-overlay"
              style={{ opacity: opacity / 100 }}
              data-testid="heatmap-overlay"
            />
          )}
          {overlaySrc !== null &&
            CANONICAL_COLUMNS.map((leads, col) =>
              leads.map((lead, row) => (
                <span
                  key={`cover-${lead}`}
                  className="label-cover"
                  aria-hidden="true"
                  data-testid="label-cover"
                  style={coverStyle(col, row, images.canonical)}
                />
              )),
            )}
          {CANONICAL_COLUMNS.map((leads, col) =>
            leads.map((lead, row) => (
              <span
                key={lead}
                className={`lead-label ${col === 0 ? "lead-label-left" : "lead-label-right"}`}
                aria-hidden="true"
                data-testid="lead-label"
                style={{ top: `${(row * 100) / 6}%` }}
              >
                {lead}
              </span>
            )),
          )}
        </div>
      </div>
      <p className="small muted">{t("heatmap.help")}</p>
    </section>
  );
}
