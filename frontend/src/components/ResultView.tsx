"use client";

import { hasMessage, t, type MessageKey } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import { layoutName, profileName } from "@/lib/labels";
import { TASKS, type ModelCard, type Screening } from "@/lib/types";
import { Explanations } from "./Explanations";
import { ScreeningAid, SyntheticBadge } from "./Notices";
import { TaskResult } from "./RiskBar";

/** The HN in clear for the screening's own organisation; otherwise (or on rows stored before
 * HN encryption) the hash, labelled as such. */
export function PatientRef({ screening }: { screening: Pick<Screening, "patient_ref" | "patient_ref_hash"> }) {
  if (screening.patient_ref) return <strong>{screening.patient_ref}</strong>;
  if (!screening.patient_ref_hash) return <>{t("result.none")}</>;
  return <span className="mono">{t("result.patientRefHashOnly", { hash: screening.patient_ref_hash })}</span>;
}

/** A number with a unit from the dictionary, or "unknown" on rows stored before it was kept. */
function valueOr(value: number | null | undefined, key: MessageKey, digits = 0): string {
  return value === null || value === undefined ? t("result.layout.unknown") : t(key, { value: value.toFixed(digits) });
}

/** What straightening a phone photo corrected, and how straight its grid came out. */
function RectificationInfo({ rectification }: { rectification: NonNullable<Screening["layout"]["rectification"]> }) {
  return (
    <div data-testid="layout-rectification">
      <h4>{t("result.layout.photoTitle")}</h4>
      <p className="small muted">{t("result.layout.photoHelp")}</p>
      <dl className="facts">
        <dt>{t("result.layout.perspective")}</dt>
        <dd>{t("result.layout.perspectiveValue", { value: (rectification.perspective * 100).toFixed(1) })}</dd>
        <dt>{t("result.layout.photoRotation")}</dt>
        <dd>{t("result.layout.rotationValue", { value: rectification.rotation_deg.toFixed(1) })}</dd>
        <dt>{t("result.layout.residual")}</dt>
        <dd>{t("result.layout.residualValue", { value: rectification.residual_deg.toFixed(2) })}</dd>
      </dl>
    </div>
  );
}

function LayoutInfo({ layout }: { layout: Screening["layout"] }) {
  const unknown = t("result.layout.unknown");
  const pages = layout.kind === "waveform" ? null : layout.pages;
  return (
    <section aria-labelledby="layout-title" className="panel layout-info" data-testid="layout-info">
      <h3 id="layout-title">{t("result.layoutTitle")}</h3>
      {layout.time_windows === "approximate" && (
        <p className="layout-flag" role="note" data-testid="layout-approximate">
          <strong>{t("result.layout.approximateTitle")}</strong> {t("result.layout.approximate")}
        </p>
      )}
      <dl className="facts">
        <dt>{t("result.layout.profile")}</dt>
        <dd>{profileName(layout.profile)}</dd>
        <dt>{t("result.layout.kind")}</dt>
        <dd>{t(`result.layout.kind.${layout.kind}`)}</dd>
        <dt>{t("result.layout.name")}</dt>
        <dd data-testid="layout-name">{layout.layout_name ? layoutName(layout.layout_name) : unknown}</dd>
        <dt>{t("result.layout.speed")}</dt>
        <dd>{valueOr(layout.paper_speed_mm_s, "result.layout.speedValue")}</dd>
        <dt>{t("result.layout.gain")}</dt>
        <dd>
          {valueOr(layout.gain_mm_mv, "result.layout.gainValue")}
          {typeof layout.gain_mm_mv === "number" && layout.gain_mm_mv !== 10 && (
            <span className="small muted"> ({t("result.layout.gainRescaled")})</span>
          )}
        </dd>
        <dt>{t("result.layout.timeWindows")}</dt>
        <dd>{layout.time_windows ? t(`result.layout.timeWindows.${layout.time_windows}`) : unknown}</dd>
        {pages && pages.length > 0 && (
          <>
            <dt>{t("result.layout.pages")}</dt>
            <dd data-testid="layout-pages">{pages.join(", ")}</dd>
          </>
        )}
        <dt>{t("result.layout.labelsChecked")}</dt>
        <dd data-testid="layout-labels">
          {typeof layout.labels_checked === "boolean"
            ? t(layout.labels_checked ? "result.layout.labelsChecked.yes" : "result.layout.labelsChecked.no")
            : unknown}
        </dd>
        <dt>{t("result.layout.scale")}</dt>
        <dd>{valueOr(layout.px_per_mm, "result.layout.scaleValue", 1)}</dd>
        <dt>{t("result.layout.rotation")}</dt>
        <dd>{valueOr(layout.rotation_deg, "result.layout.rotationValue", 1)}</dd>
        <dt>{t("result.layout.rhythm")}</dt>
        <dd>{layout.rhythm_strips}</dd>
      </dl>
      {layout.rectification && <RectificationInfo rectification={layout.rectification} />}
    </section>
  );
}

function ClinicalInfo({ clinical }: { clinical: NonNullable<Screening["clinical"]> }) {
  return (
    <section aria-labelledby="clinical-title" className="panel">
      <h3 id="clinical-title">{t("result.clinicalTitle")}</h3>
      <dl className="facts">
        {Object.entries(clinical).map(([name, value]) => {
          const key = `clinical.${name}`;
          return (
            <div key={name} className="fact-row">
              <dt>{hasMessage(key) ? t(key) : name}</dt>
              <dd>
                {typeof value === "boolean" ? t(value ? "clinical.yes" : "clinical.no") : String(value)}
              </dd>
            </div>
          );
        })}
      </dl>
    </section>
  );
}

/** One screening's result: both tasks, the heatmaps, the layout; `detail` adds print/downloads. */
export function ResultView({
  screening,
  model,
  detail = false,
}: {
  screening: Screening;
  model?: ModelCard | null;
  detail?: boolean;
}) {
  const bands = model?.risk_bands;
  return (
    <article className="result" data-testid="result" aria-labelledby="result-title">
      <header className="result-header">
        <h2 id="result-title">
          {detail ? t("result.reportTitle") : t("result.title")}{" "}
          {screening.model.synthetic && <SyntheticBadge />}
        </h2>
        <dl className="facts compact">
          <dt>{t("result.createdAt")}</dt>
          <dd>{formatDateTime(screening.created_at)}</dd>
          <dt>{t("result.createdBy")}</dt>
          <dd>{screening.created_by.username}</dd>
          <dt>{t("result.patientRef")}</dt>
          <dd data-testid="patient-ref">
            <PatientRef screening={screening} />
          </dd>
          <dt>{t("result.model")}</dt>
          <dd className="mono">
            {screening.model.id} {screening.model.version}
          </dd>
          {detail && (
            <>
              <dt>{t("result.screeningId")}</dt>
              <dd className="mono small">{screening.id}</dd>
            </>
          )}
        </dl>
      </header>

      <ScreeningAid serverText={screening.screening_aid} />

      <div className="task-grid">
        {TASKS.map((name) => (
          <TaskResult key={name} name={name} task={screening.tasks[name]} bands={bands} />
        ))}
      </div>

      {TASKS.some((name) => screening.tasks[name].reference_marker !== null) && (
        <p className="small muted print-only">{t("result.referenceHelp")}</p>
      )}

      <Explanations screening={screening} />

      <div className="two-col">
        <LayoutInfo layout={screening.layout} />
        {screening.clinical && <ClinicalInfo clinical={screening.clinical} />}
      </div>

      {typeof screening.timings_ms?.total === "number" && (
        <p className="small muted no-print">
          {t("result.timing", { value: Math.round(screening.timings_ms.total) })}
        </p>
      )}

      {detail && (
        <section className="panel no-print" aria-labelledby="downloads-title">
          <h3 id="downloads-title">{t("result.downloads")}</h3>
          <ul className="link-list">
            <li>
              <a href={screening.images.canonical} download={`${screening.id}-canonical.png`}>
                {t("result.download.canonical")}
              </a>
            </li>
            <li>
              <a href={screening.images.scar} download={`${screening.id}-scar.png`} data-testid="download-scar">
                {t("result.download.scar")}
              </a>
            </li>
            <li>
              <a href={screening.images.lvef} download={`${screening.id}-lvef.png`}>
                {t("result.download.lvef")}
              </a>
            </li>
            <li>
              <a href={`/api/v1/screenings/${screening.id}/report.pdf`} download={`screening-${screening.id}.pdf`}>
                {t("result.download.report")}
              </a>
            </li>
            <li>
              <a href={`/api/v1/screenings/${screening.id}/fhir`} download={`screening-${screening.id}.fhir.json`}>
                {t("result.download.fhir")}
              </a>
            </li>
          </ul>
          <button type="button" className="button" onClick={() => window.print()}>
            {t("result.print")}
          </button>
        </section>
      )}
    </article>
  );
}
