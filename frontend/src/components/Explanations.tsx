"use client";

import { useEffect, useState } from "react";
import { t } from "@/i18n";
import { getAttribution } from "@/lib/api";
import { TASKS, type Attribution, type Screening, type TaskName } from "@/lib/types";
import { HeatmapViewer } from "./HeatmapViewer";

/** docs/API.md: a pending attribution answers 202 with Retry-After: 1. */
export const POLL_MS = 1000;
/** About a minute and a half of asking; the background job takes a few seconds at most. */
export const MAX_POLLS = 90;
/** Bars are drawn against at least this change (2 percentage points), so noise stays small. */
const MIN_SCALE = 0.02;

export type AttributionState = Attribution | "failed" | null;

/** The screening's attribution, asked again every second while the server says "pending". */
export function useAttribution(id: string): AttributionState {
  const [state, setState] = useState<AttributionState>(null);
  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let polls = 0;
    const ask = () => {
      polls += 1;
      getAttribution(id).then(
        (answer) => {
          if (cancelled) return;
          if (answer.status !== "pending") setState(answer);
          else if (polls >= MAX_POLLS) setState("failed");
          else {
            setState(answer);
            timer = setTimeout(ask, POLL_MS);
          }
        },
        () => {
          if (!cancelled) setState("failed");
        },
      );
    };
    ask();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [id]);
  return state;
}

function percentPoints(change: number): string {
  const value = (change * 100).toFixed(1);
  return t("attribution.change", { value: change > 0 ? `+${value}` : value });
}

function TaskBars({
  task,
  attribution,
  scale,
}: {
  task: TaskName;
  attribution: NonNullable<Attribution["tasks"]>[TaskName];
  scale: number;
}) {
  return (
    <figure className="attribution-task" data-testid={`attribution-${task}`}>
      <figcaption>
        {t("attribution.task", {
          task: t(`attribution.${task}`),
          value: (attribution.probability * 100).toFixed(1),
        })}
      </figcaption>
      <table className="attribution-table">
        <thead className="visually-hidden">
          <tr>
            <th scope="col">{t("attribution.lead")}</th>
            <th scope="col">{t("attribution.title")}</th>
          </tr>
        </thead>
        <tbody>
          {attribution.leads.map(({ lead, change }) => {
            const width = `${(Math.min(1, Math.abs(change) / scale) * 50).toFixed(2)}%`;
            return (
              <tr key={lead} data-testid={`attribution-${task}-${lead}`} data-change={change}>
                <th scope="row">{lead}</th>
                <td>
                  <span className="attribution-bar" aria-hidden="true">
                    <span
                      className={change >= 0 ? "raises" : "lowers"}
                      style={change >= 0 ? { left: "50%", width } : { right: "50%", width }}
                    />
                  </span>
                  <span className="attribution-value">{percentPoints(change)}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </figure>
  );
}

/** Per task, how much each lead moves the probability: the explanation that tells tasks apart. */
export function LeadAttribution({ state }: { state: AttributionState }) {
  let body;
  if (state === null || state === "failed" || state.status !== "ready" || !state.tasks) {
    const key =
      state === "failed"
        ? "attribution.failed"
        : state?.status === "unavailable"
          ? "attribution.unavailable"
          : "attribution.pending";
    body = (
      <p className="muted" role="status" data-testid="attribution-status">
        {t(key)}
      </p>
    );
  } else {
    const tasks = state.tasks;
    const largest = Math.max(...TASKS.flatMap((task) => tasks[task].leads.map((l) => Math.abs(l.change))));
    const scale = Math.max(MIN_SCALE, largest);
    body = (
      <div className="attribution-grid" data-testid="attribution-chart">
        {TASKS.map((task) => (
          <TaskBars key={task} task={task} attribution={tasks[task]} scale={scale} />
        ))}
      </div>
    );
  }
  return (
    <section className="panel attribution" aria-labelledby="attribution-title">
      <h3 id="attribution-title">{t("attribution.title")}</h3>
      {body}
      <p className="small muted">{t("attribution.help")}</p>
    </section>
  );
}

/** The Grad-CAM++ viewer and the per-lead attribution of one stored screening. */
export function Explanations({ screening }: { screening: Screening }) {
  const state = useAttribution(screening.id);
  const maps = state !== null && state !== "failed" ? state.maps : null;
  return (
    <>
      <HeatmapViewer images={screening.images} similarity={maps?.similar ? maps : null} />
      <LeadAttribution state={state} />
    </>
  );
}
