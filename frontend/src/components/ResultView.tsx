"use client";

import { hasMessage, t } from "@/i18n";
import { formatDateTime } from "@/lib/format";
import { profileName } from "@/lib/labels";
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

function LayoutInfo({ layout }: { layout: Screening["layout"] }) {
  const unknown = t("result.layout.unknown");
  return (
    <section aria-labelledby="layout-title" className="panel" data-testid="layout-info">
      <h3 id="layout-title">{t("result.layoutTitle")}</h3>
      <dl className="facts">
        <dt>{t("result.layout.profile")}</dt>
        <dd>{profileName(layout.profile)}</dd>
        <dt>{t("result.layout.kind")}</dt>
        <dd>{t(`result.layout.kind.${layout.kind}`)}</dd>
        <dt>{t("result.layout.scale")}</dt>
        <dd>{t("result.layout.scaleValue", { value: layout.px_per_mm.toFixed(1) })}</dd>
        <dt>{t("result.layout.rotation")}</dt>
        <dd>{t("result.layout.rotationValue", { value: layout.rotation_deg.toFixed(1) })}</dd>
        <dt>{t("result.layout.rhythm")}</dt>
        <dd>{layout.rhythm_strips}</dd>
        <dt>{t("result.layout.speed")}</dt>
        <dd>
          {layout.paper_speed_mm_s === null
            ? unknown
            : t("result.layout.speedValue", { value: layout.paper_speed_mm_s })}
        </dd>
      </dl>
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
