"use client";

import { useState } from "react";
import { useApp } from "@/components/AppContext";
import { Field, InputField, type ControlProps } from "@/components/Field";
import { ErrorBox, ScreeningAid } from "@/components/Notices";
import { BandChip, RiskBar } from "@/components/RiskBar";
import { t, type MessageKey } from "@/i18n";
import { ApiError, assess } from "@/lib/api";
import { formatDateTime, percent } from "@/lib/format";
import { bounds, withinLimit, type Limit } from "@/lib/limits";
import { ASSESSMENT_KEYS, type AssessmentInput, type AssessmentResult } from "@/lib/types";

const CONDITIONS = [
  "diabetes",
  "prior_mi",
  "prior_ptca_cabg",
  "cad",
  "heart_failure",
  "hypertension",
  "ckd",
] as const;
type Condition = (typeof CONDITIONS)[number];

const THIS_YEAR_BE = new Date().getFullYear() + 543;
const NUMBERS = ["birth_year_be", "height_cm", "weight_kg"] as const;

/** Marks an input invalid (in Thai) when its value is outside the API's limit. */
function checkRange(input: HTMLInputElement, limit: Limit | undefined): void {
  const value = Number(input.value);
  const { low, high } = bounds(limit);
  const bad = input.value !== "" && Number.isFinite(value) && !withinLimit(value, limit);
  input.setCustomValidity(bad ? t("assess.outOfRange", { min: low ?? "", max: high ?? "" }) : "");
}

/** A decimal measurement checked against its API limit as it is typed. */
function MeasureInput({
  limit,
  onValue,
  ...props
}: ControlProps & { name: string; limit: Limit | undefined; value: string; onValue: (value: string) => void }) {
  return (
    <input
      {...props}
      type="number"
      inputMode="decimal"
      required
      min={bounds(limit).low}
      max={bounds(limit).high}
      step="any"
      onChange={(e) => {
        checkRange(e.target, limit);
        onValue(e.target.value);
      }}
    />
  );
}

/** The questionnaire; `limits` are the API's own for its numbers (read by the page). */
export function AssessmentForm({ limits }: { limits: Record<string, Limit> }) {
  const { signedOut } = useApp();
  const [birthYear, setBirthYear] = useState("");
  const [sex, setSex] = useState<"female" | "male" | "">("");
  const [height, setHeight] = useState("");
  const [weight, setWeight] = useState("");
  const [conditions, setConditions] = useState<Record<Condition, boolean>>(
    Object.fromEntries(CONDITIONS.map((c) => [c, false])) as Record<Condition, boolean>,
  );
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [result, setResult] = useState<AssessmentResult | null>(null);

  const [assessedAt, setAssessedAt] = useState<string | null>(null);

  async function onSubmit(event: React.FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    for (const name of NUMBERS) {
      const input = form.elements.namedItem(name);
      if (input instanceof HTMLInputElement) checkRange(input, limits[name]);
    }
    if (!form.checkValidity() || !sex) {
      form.reportValidity();
      return;
    }
    const input: AssessmentInput = {
      birth_year_be: Number(birthYear),
      sex,
      height_cm: Number(height),
      weight_kg: Number(weight),
      ...conditions,
    };
    setBusy(true);
    setError(null);
    try {
      setResult(await assess(input));
      setAssessedAt(new Date().toISOString());
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "not_authenticated") signedOut();
      setError(caught);
      setResult(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <h1>{t("assess.title")}</h1>
      <p>{t("assess.intro")}</p>
      <form className="panel" onSubmit={onSubmit} data-testid="assessment-form">
        <div className="two-col">
          <InputField
            id="birth-year"
            label={t("assess.birthYear")}
            hint={t("assess.birthYearHint")}
            name="birth_year_be"
            type="number"
            inputMode="numeric"
            required
            min={Math.max(THIS_YEAR_BE - 120, bounds(limits.birth_year_be).low ?? 0)}
            max={Math.min(THIS_YEAR_BE, bounds(limits.birth_year_be).high ?? THIS_YEAR_BE)}
            value={birthYear}
            onChange={(e) => setBirthYear(e.target.value)}
          />
          <fieldset>
            <legend>{t("assess.sex")}</legend>
            {(["female", "male"] as const).map((value) => (
              <label key={value} className="check">
                <input
                  type="radio"
                  name="sex"
                  value={value}
                  required
                  checked={sex === value}
                  onChange={() => setSex(value)}
                />
                {t(`assess.sex.${value}`)}
              </label>
            ))}
          </fieldset>
          <Field id="height" label={t("assess.height")}>
            {(control) => (
              <MeasureInput {...control} name="height_cm" limit={limits.height_cm} value={height} onValue={setHeight} />
            )}
          </Field>
          <Field id="weight" label={t("assess.weight")}>
            {(control) => (
              <MeasureInput {...control} name="weight_kg" limit={limits.weight_kg} value={weight} onValue={setWeight} />
            )}
          </Field>
        </div>
        <fieldset>
          <legend>{t("assess.history")}</legend>
          <div className="checks">
            {CONDITIONS.map((name) => (
              <label key={name} className="check">
                <input
                  type="checkbox"
                  name={name}
                  checked={conditions[name]}
                  onChange={(e) => setConditions((c) => ({ ...c, [name]: e.target.checked }))}
                />
                {t(`assess.${name}`)}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("assess.submitting") : t("assess.submit")}
        </button>
      </form>

      {error !== null && <ErrorBox error={error} />}

      {result && (
        <section aria-labelledby="assess-results" data-testid="assessment-result">
          <h2 id="assess-results">{t("assess.results")}</h2>
          {assessedAt && <p className="small muted">{t("assess.printedAt", { value: formatDateTime(assessedAt) })}</p>}
          <p>
            {t("assess.age", { value: result.age_years })} · {t("assess.bmi", { value: result.bmi.toFixed(1) })}
          </p>
          <ScreeningAid serverText={result.screening_aid} />
          <div className="task-grid">
            {ASSESSMENT_KEYS.map((key) => {
              const item = result.results[key];
              const label: MessageKey = `assess.result.${key}`;
              return (
                <section key={key} className={`task-card task-${item.risk_band}`} aria-label={t(label)}>
                  <h3>{t(label)}</h3>
                  <p className="task-numbers">
                    <span className="probability">{percent(item.probability)}</span>
                    <BandChip band={item.risk_band} />
                  </p>
                  <RiskBar probability={item.probability} band={item.risk_band} />
                </section>
              );
            })}
          </div>
          <button type="button" className="button no-print" onClick={() => window.print()} data-testid="assessment-print">
            {t("assess.print")}
          </button>
        </section>
      )}
    </>
  );
}
