"use client";

import Link from "next/link";
import { useCallback, useState } from "react";
import { RequireAuth, useApp, useSignedInAnswer } from "@/components/AppContext";
import { Field, InputField } from "@/components/Field";
import { ErrorBox, SyntheticBadge } from "@/components/Notices";
import { PatientRef } from "@/components/ResultView";
import { BandChip, BandNote, Decision } from "@/components/RiskBar";
import { t } from "@/i18n";
import { exportUrl, listScreenings, type HistoryFilters } from "@/lib/api";
import { bandAgreesWithDecision, formatDateTime, percent } from "@/lib/format";
import { MAX_PATIENT_REF } from "@/lib/limits";
import { RISK_BANDS, TASKS } from "@/lib/types";

const PAGE_SIZE = 25;
type Filters = Omit<HistoryFilters, "page" | "page_size">;
const EMPTY: Filters = { date_from: "", date_to: "", risk_band: "", patient_ref: "" };

function HistoryPage() {
  const { model } = useApp();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const load = useCallback(
    () => listScreenings({ ...filters, page, page_size: PAGE_SIZE }),
    [filters, page],
  );
  const { data, error, loading } = useSignedInAnswer(load);

  function go(nextFilters: Filters, nextPage: number) {
    setFilters(nextFilters);
    setPage(nextPage);
  }

  const pages = data ? Math.max(1, Math.ceil(data.total / data.page_size)) : 1;
  const set = (name: keyof Filters) => (event: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setDraft((d) => ({ ...d, [name]: event.target.value }));

  return (
    <>
      <h1>{t("history.title")}</h1>
      <form
        className="panel"
        role="search"
        aria-label={t("history.filters")}
        onSubmit={(event) => {
          event.preventDefault();
          go(draft, 1);
        }}
      >
        <div className="filters">
          <InputField id="date-from" label={t("history.dateFrom")} type="date" value={draft.date_from} onChange={set("date_from")} />
          <InputField id="date-to" label={t("history.dateTo")} type="date" value={draft.date_to} onChange={set("date_to")} />
          <Field id="risk-band" label={t("history.riskBand")}>
            {(control) => (
              <select {...control} value={draft.risk_band} onChange={set("risk_band")}>
                <option value="">{t("band.any")}</option>
                {RISK_BANDS.map((band) => (
                  <option key={band} value={band}>
                    {t(`band.${band}`)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <InputField
            id="patient-ref"
            label={t("history.patientRef")}
            type="search"
            maxLength={MAX_PATIENT_REF}
            autoComplete="off"
            value={draft.patient_ref}
            onChange={set("patient_ref")}
          />
        </div>
        <div className="actions" style={{ marginTop: "0.75rem" }}>
          <button type="submit" className="button">
            {t("history.apply")}
          </button>
          <button
            type="button"
            className="button secondary"
            onClick={() => {
              setDraft(EMPTY);
              go(EMPTY, 1);
            }}
          >
            {t("history.reset")}
          </button>
          <a className="button secondary" href={exportUrl(filters)} download data-testid="export-csv">
            {t("history.export")}
          </a>
        </div>
      </form>

      {error !== null && <ErrorBox error={error} />}
      {loading && !data && (
        <p role="status" className="muted">
          {t("app.loading")}
        </p>
      )}

      {data && (
        <>
          <p role="status" className="muted">
            {t("history.total", { total: data.total })}
          </p>
          <div className="table-wrap">
            <table data-testid="history-table">
              <thead>
                <tr>
                  <th scope="col">{t("history.col.time")}</th>
                  <th scope="col">{t("history.col.user")}</th>
                  <th scope="col">{t("history.col.patient")}</th>
                  <th scope="col">{t("history.col.scar")}</th>
                  <th scope="col">{t("history.col.lvef")}</th>
                  <th scope="col">{t("history.col.detail")}</th>
                </tr>
              </thead>
              <tbody>
                {data.items.length === 0 && (
                  <tr>
                    <td colSpan={6}>{t("history.empty")}</td>
                  </tr>
                )}
                {data.items.map((item) => (
                  <tr key={item.id} data-testid="history-row">
                    <td>
                      {formatDateTime(item.created_at)} {item.model.synthetic && <SyntheticBadge />}
                    </td>
                    <td>{item.created_by.username}</td>
                    <td>
                      <PatientRef screening={item} />
                    </td>
                    {TASKS.map((task) => (
                      <td key={task} data-testid={`history-${task}`}>
                        <Decision task={item.tasks[task]} /> {percent(item.tasks[task].probability)}{" "}
                        <BandChip band={item.tasks[task].risk_band} />
                      </td>
                    ))}
                    <td>
                      <Link
                        href={`/screenings/${item.id}`}
                        aria-label={t("history.openLabel", { time: formatDateTime(item.created_at) })}
                      >
                        {t("history.open")}
                      </Link>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {/* One explanation for the table whenever any row's band seems to contradict its decision. */}
          {(() => {
            const disagreeing = data.items
              .flatMap((item) => TASKS.map((task) => item.tasks[task]))
              .find((task) => !bandAgreesWithDecision(task));
            return disagreeing ? <BandNote task={disagreeing} bands={model?.risk_bands} /> : null;
          })()}
          <nav className="pagination" aria-label={t("history.pagination")}>
            <button
              type="button"
              className="button secondary"
              disabled={page <= 1 || loading}
              onClick={() => go(filters, Math.max(1, page - 1))}
            >
              {t("history.prev")}
            </button>
            <span>{t("history.page", { page, pages })}</span>
            <button
              type="button"
              className="button secondary"
              disabled={page >= pages || loading}
              onClick={() => go(filters, page + 1)}
            >
              {t("history.next")}
            </button>
          </nav>
        </>
      )}
    </>
  );
}

export default function History() {
  return (
    <RequireAuth>
      <HistoryPage />
    </RequireAuth>
  );
}
