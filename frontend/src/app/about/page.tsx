import { RequireAuth } from "@/components/AppContext";
import { ErrorBox, ScreeningAid } from "@/components/Notices";
import { hasMessage, t } from "@/i18n";
import Markdown from "react-markdown";
import { modelCard } from "@/lib/backend";
import { percent } from "@/lib/format";
import { metricName, profileName } from "@/lib/labels";
import { TASKS, type ModelCard } from "@/lib/types";

function taskName(task: string): string {
  const key = `task.${task}`;
  return hasMessage(key) ? t(key) : task;
}

function About({ model }: { model: ModelCard }) {
  return (
    <>
      <h1>{t("about.title")}</h1>
      {model.synthetic && (
        <div className="banner banner-danger" role="alert" data-testid="about-synthetic">
          {t("about.syntheticWarning")}
        </div>
      )}
      <ScreeningAid serverText={model.screening_aid} />

      <section className="panel" aria-labelledby="identity">
        <h2 id="identity">{t("about.identity")}</h2>
        <dl className="facts">
          <dt>{t("about.id")}</dt>
          <dd className="mono">{model.id}</dd>
          <dt>{t("about.version")}</dt>
          <dd className="mono">{model.version}</dd>
          <dt>{t("about.sha")}</dt>
          <dd className="mono small">{model.weights_sha256}</dd>
          <dt>{t("about.architecture")}</dt>
          <dd>
            {t("about.architectureValue", {
              backbone: model.architecture.backbone,
              variant: model.architecture.variant,
            })}
          </dd>
          <dt>{t("about.input")}</dt>
          <dd>
            {t("about.inputValue", {
              width: model.input.width,
              height: model.input.height,
              geometry: model.input.geometry,
            })}
          </dd>
          <dt>{t("about.profiles")}</dt>
          <dd>{model.input.profiles.map(profileName).join(", ")}</dd>
          <dt>{t("about.clinicalInputs")}</dt>
          <dd>
            {model.clinical_inputs
              ? model.clinical_inputs.fields
                  .map((f) => { const key = `clinical.${f.name}`; return hasMessage(key) ? t(key) : f.name; })
                  .join(", ")
              : t("about.clinicalNone")}
          </dd>
        </dl>
      </section>

      <div className="two-col">
        <section className="panel" aria-labelledby="intended">
          <h2 id="intended">{t("about.intendedUse")}</h2>
          <p lang="en">{model.intended_use}</p>
        </section>
        <section className="panel" aria-labelledby="training">
          <h2 id="training">{t("about.trainingData")}</h2>
          <p lang="en">{model.training_data}</p>
        </section>
      </div>

      <section className="panel" aria-labelledby="tasks">
        <h2 id="tasks">{t("about.tasks")}</h2>
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">{t("about.task")}</th>
                <th scope="col">{t("about.threshold")}</th>
                <th scope="col">{t("about.reference")}</th>
              </tr>
            </thead>
            <tbody>
              {TASKS.map((name) => (
                <tr key={name}>
                  <th scope="row">{t(`task.${name}`)}</th>
                  <td>{percent(model.tasks[name].threshold)}</td>
                  <td>
                    {model.tasks[name].reference_marker === null
                      ? t("result.none")
                      : percent(model.tasks[name].reference_marker ?? 0)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p className="small muted">{t("result.referenceHelp")}</p>
        <h3 style={{ marginTop: "1rem" }}>{t("about.riskBands")}</h3>
        <ul>
          {model.risk_bands.map((band, i) => {
            const lower = i === 0 ? 0 : (model.risk_bands[i - 1]?.upper ?? 0);
            return (
              <li key={band.name}>
                {band.upper === null
                  ? t("about.bandRangeTop", { name: t(`band.${band.name}`), from: percent(lower, 0) })
                  : t("about.bandRange", {
                      name: t(`band.${band.name}`),
                      from: percent(lower, 0),
                      to: percent(band.upper, 0),
                    })}
              </li>
            );
          })}
        </ul>
      </section>

      <section className="panel" aria-labelledby="metrics">
        <h2 id="metrics">{t("about.metrics")}</h2>
        {model.metrics.length === 0 ? (
          <p>{t("about.noMetrics")}</p>
        ) : (
          <div className="table-wrap">
            <table data-testid="metrics-table">
              <thead>
                <tr>
                  <th scope="col">{t("about.metric.task")}</th>
                  <th scope="col">{t("about.metric.name")}</th>
                  <th scope="col">{t("about.metric.value")}</th>
                  <th scope="col">{t("about.metric.data")}</th>
                </tr>
              </thead>
              <tbody>
                {model.metrics.map((m, i) => (
                  <tr key={`${m.task}-${m.name}-${i}`}>
                    <td>{taskName(m.task)}</td>
                    <td>{metricName(m.name)}</td>
                    <td>{Number.isFinite(m.value) ? m.value.toFixed(3) : String(m.value)}</td>
                    <td lang="en">{m.data}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      {model.card_markdown && (
        <section className="panel" aria-labelledby="card">
          <h2 id="card">{t("about.card")}</h2>
          {/* react-markdown renders to React elements and drops raw HTML: no injection. */}
          <div className="model-card-text" lang="en" data-testid="model-card">
            <Markdown>{model.card_markdown}</Markdown>
          </div>
        </section>
      )}
    </>
  );
}

/**
 * The model card, read on the server at request time (it needs no session); the page's
 * loading.tsx shows while it arrives.
 */
export default async function AboutPage() {
  const answer = await modelCard().then(
    (model) => ({ model, error: null }),
    (error: unknown) => ({ model: null, error }),
  );
  return (
    <RequireAuth>{answer.model ? <About model={answer.model} /> : <ErrorBox error={answer.error} />}</RequireAuth>
  );
}
