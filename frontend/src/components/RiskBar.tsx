import { t } from "@/i18n";
import { bandAgreesWithDecision, bandLegend, bandSegments, percent } from "@/lib/format";
import type { RiskBand, Task, TaskName } from "@/lib/types";

type Bands = { name: RiskBand; upper: number | null }[];

export function BandChip({ band }: { band: RiskBand }) {
  return (
    <span className={`band-chip band-${band}`} data-band={band}>
      {t(`band.${band}`)}
    </span>
  );
}

/** The screening decision at the model's threshold: what a reader must see first. */
export function Decision({ task, testId }: { task: Task; testId?: string }) {
  return (
    <span
      className={`decision ${task.prediction ? "decision-above" : "decision-below"}`}
      data-testid={testId}
      data-decision={task.prediction ? "above" : "below"}
    >
      {t(task.prediction ? "result.aboveThreshold" : "result.belowThreshold")}
    </span>
  );
}

/** The probability on a 0-100 % bar: band colours behind, the model's threshold drawn on it
 * (when the result has one), and the reference population's mean as a separate, labelled
 * dashed mark. */
export function RiskBar({
  probability,
  band,
  threshold = null,
  reference = null,
  bands,
}: {
  probability: number;
  band: RiskBand;
  threshold?: number | null;
  reference?: number | null;
  bands?: Bands;
}) {
  const label = [
    `${t("result.probability")} ${percent(probability)}`,
    threshold !== null ? t("result.threshold", { value: percent(threshold) }) : "",
    threshold !== null
      ? t(probability >= threshold ? "result.aboveThreshold" : "result.belowThreshold")
      : "",
    t(`band.${band}`),
    reference !== null ? t("result.reference", { value: percent(reference) }) : "",
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <div className="risk-bar" role="img" aria-label={label}>
      <div className="risk-track">
        {bandSegments(bands).map((segment) => (
          <div
            key={segment.name}
            className={`risk-segment segment-${segment.name}`}
            style={{ left: `${segment.start * 100}%`, width: `${(segment.end - segment.start) * 100}%` }}
          />
        ))}
        <div className={`risk-fill fill-${band}`} style={{ width: `${probability * 100}%` }} />
        {threshold !== null && (
          <div className="threshold-marker" style={{ left: `${threshold * 100}%` }} data-testid="threshold-marker">
            <span className="threshold-marker-label">
              {t("result.thresholdMarker", { value: percent(threshold, 0) })}
            </span>
          </div>
        )}
        {reference !== null && (
          <div
            className="risk-marker"
            style={{ left: `${reference * 100}%` }}
            data-testid="reference-marker"
            title={t("result.referenceHelp")}
          >
            <span className="risk-marker-label">{t("result.reference", { value: percent(reference, 0) })}</span>
          </div>
        )}
      </div>
      <div className="risk-scale" aria-hidden="true">
        <span>0 %</span>
        <span>50 %</span>
        <span>100 %</span>
      </div>
    </div>
  );
}

/** Why a band may seem to contradict the decision: shown whenever it does, never otherwise. */
export function BandNote({ task, bands }: { task: Task; bands?: Bands }) {
  if (bandAgreesWithDecision(task)) return null;
  return (
    <p className="small band-note" data-testid="band-note">
      {t("result.bandDisagrees", { legend: bandLegend(bands) })}
    </p>
  );
}

export function TaskResult({ name, task, bands }: { name: TaskName; task: Task; bands?: Bands }) {
  return (
    <section className={`task-card task-${task.risk_band}`} aria-labelledby={`task-${name}`} data-testid={`task-${name}`}>
      <h3 id={`task-${name}`}>{t(`task.${name}`)}</h3>
      <p className="task-decision">
        <Decision task={task} testId={`decision-${name}`} />
      </p>
      <p className="task-numbers">
        <span className="probability" data-testid={`probability-${name}`}>
          {percent(task.probability)}
        </span>{" "}
        <span className="muted small">{t("result.decisionHelp", { value: percent(task.threshold) })}</span>
      </p>
      <RiskBar
        probability={task.probability}
        band={task.risk_band}
        threshold={task.threshold}
        reference={task.reference_marker}
        bands={bands}
      />
      <p className="small">
        {t("result.bandContext")}
        <BandChip band={task.risk_band} />
      </p>
      <BandNote task={task} bands={bands} />
      {task.reference_marker !== null && <p className="small muted reference-help">{t("result.referenceHelp")}</p>}
    </section>
  );
}
