import { t } from "@/i18n";
import { bandSegments, percent } from "@/lib/format";
import type { RiskBand, Task, TaskName } from "@/lib/types";

export function BandChip({ band }: { band: RiskBand }) {
  return (
    <span className={`band-chip band-${band}`} data-band={band}>
      {t(`band.${band}`)}
    </span>
  );
}

/** The probability on a 0-100 % bar coloured by risk band, with the model's reference marker. */
export function RiskBar({
  probability,
  band,
  reference,
  bands,
}: {
  probability: number;
  band: RiskBand;
  reference: number | null;
  bands?: { name: RiskBand; upper: number | null }[];
}) {
  const label = [
    `${t("result.probability")} ${percent(probability)}`,
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

export function TaskResult({
  name,
  task,
  bands,
}: {
  name: TaskName;
  task: Task;
  bands?: { name: RiskBand; upper: number | null }[];
}) {
  return (
    <section className={`task-card task-${task.risk_band}`} aria-labelledby={`task-${name}`} data-testid={`task-${name}`}>
      <h3 id={`task-${name}`}>{t(`task.${name}`)}</h3>
      <p className="task-numbers">
        <span className="probability" data-testid={`probability-${name}`}>
          {percent(task.probability)}
        </span>
        <BandChip band={task.risk_band} />
      </p>
      <RiskBar probability={task.probability} band={task.risk_band} reference={task.reference_marker} bands={bands} />
      <p className="small muted">
        {t("result.threshold", { value: percent(task.threshold) })} ·{" "}
        {t(task.prediction ? "result.aboveThreshold" : "result.belowThreshold")}
      </p>
    </section>
  );
}
