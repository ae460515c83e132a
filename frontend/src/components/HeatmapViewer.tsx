"use client";

import { useId, useState } from "react";
import { t } from "@/i18n";
import type { Screening } from "@/lib/types";

export type HeatmapMode = "plain" | "scar" | "lvef";
const MODES: HeatmapMode[] = ["plain", "scar", "lvef"];

// The canonical image is 6 rows x 2 columns of panels (mtecg.geometry.CANONICAL_COLUMNS).
export const CANONICAL_COLUMNS: readonly (readonly string[])[] = [
  ["I", "II", "III", "aVR", "aVL", "aVF"],
  ["V1", "V2", "V3", "V4", "V5", "V6"],
];
const ZOOMS = [1, 1.5, 2, 3, 4];

/**
 * The canonical ECG with a Grad-CAM++ overlay on top (the overlays carry their own lead labels;
 * the plain view gets the same labels drawn here).
 */
export function HeatmapViewer({ images }: { images: Screening["images"] }) {
  const [mode, setMode] = useState<HeatmapMode>("scar");
  const [opacity, setOpacity] = useState(100);
  const [zoomIndex, setZoomIndex] = useState(0);
  const id = useId();
  const zoom = ZOOMS[zoomIndex] ?? 1;
  const showOwnLabels = mode === "plain" || opacity < 60;

  return (
    <section className="heatmap" aria-labelledby={`${id}-title`} data-testid="heatmap-viewer">
      <h3 id={`${id}-title`}>{t("heatmap.title")}</h3>
      <div className="heatmap-controls no-print">
        <fieldset className="segmented">
          <legend>{t("heatmap.mode")}</legend>
          {MODES.map((m) => (
            <label key={m} className={mode === m ? "selected" : undefined}>
              <input
                type="radio"
                name={`${id}-mode`}
                value={m}
                checked={mode === m}
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
            disabled={mode === "plain"}
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
      <div className="print-only small">{t("heatmap.shown", { map: t(`heatmap.${mode}`) })}</div>
      <div className="heatmap-viewport" tabIndex={0} aria-label={t(`heatmap.alt.${mode}`)}>
        <div className="heatmap-stack" style={{ width: `${zoom * 100}%` }} data-mode={mode}>
          {/* eslint-disable-next-line @next/next/no-img-element -- served by the backend through the proxy */}
          <img src={images.canonical} alt={t("heatmap.alt.plain")} className="heatmap-base" />
          {mode !== "plain" && (
            // eslint-disable-next-line @next/next/no-img-element
            <img
              src={images[mode]}
              alt={t(`heatmap.alt.${mode}`)}
              className="heatmap-overlay"
              style={{ opacity: opacity / 100 }}
              data-testid="heatmap-overlay"
            />
          )}
          {showOwnLabels &&
            CANONICAL_COLUMNS.map((leads, col) =>
              leads.map((lead, row) => (
                <span
                  key={lead}
                  className="lead-label"
                  aria-hidden="true"
                  style={{ left: `calc(${col * 50}% + 0.4%)`, top: `calc(${(row * 100) / 6}% + 0.4%)` }}
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
