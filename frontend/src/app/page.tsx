"use client";

import Link from "next/link";
import { useRef, useState } from "react";
import { RequireAuth, useApp } from "@/components/AppContext";
import { ErrorBox, SyntheticBanner } from "@/components/Notices";
import { ResultView } from "@/components/ResultView";
import { UploadForm, type UploadRequest } from "@/components/UploadForm";
import { t } from "@/i18n";
import { ApiError } from "@/lib/api";
import { percent } from "@/lib/format";
import type { Screening } from "@/lib/types";
import { uploadScreening } from "@/lib/upload";

type Phase = { kind: "idle" } | { kind: "uploading"; fraction: number } | { kind: "processing" };

function ScreeningPage() {
  const { model, signedOut } = useApp();
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [result, setResult] = useState<Screening | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [formKey, setFormKey] = useState(0);
  const resultRef = useRef<HTMLDivElement>(null);
  const busy = phase.kind !== "idle";

  async function onSubmit(request: UploadRequest) {
    setError(null);
    setResult(null);
    setPhase({ kind: "uploading", fraction: 0 });
    try {
      const screening = await uploadScreening(request, {
        onProgress: (fraction) => setPhase({ kind: "uploading", fraction }),
        onUploaded: () => setPhase({ kind: "processing" }),
      });
      setResult(screening);
      requestAnimationFrame(() => resultRef.current?.focus());
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === "not_authenticated") signedOut();
      setError(caught);
    } finally {
      setPhase({ kind: "idle" });
    }
  }

  return (
    <>
      <h1>{t("screen.title")}</h1>
      {model?.synthetic && <SyntheticBanner />}
      <p>{t("screen.intro")}</p>
      <UploadForm key={formKey} model={model} busy={busy} onSubmit={onSubmit} />

      <div aria-live="polite" className="progress" data-testid="progress">
        {phase.kind === "uploading" && (
          <>
            <label htmlFor="upload-progress">
              {t("screen.uploading", { percent: percent(phase.fraction, 0) })}
            </label>
            <progress id="upload-progress" max={1} value={phase.fraction} />
          </>
        )}
        {phase.kind === "processing" && (
          <p role="status" data-testid="working">
            <span className="spinner" aria-hidden="true" /> {t("screen.processing")}
          </p>
        )}
      </div>

      {error !== null && <ErrorBox error={error} />}

      {result && (
        <div ref={resultRef} tabIndex={-1}>
          <ResultView screening={result} model={model} />
          <div className="actions no-print">
            <Link className="button" href={`/screenings/${result.id}`} data-testid="open-detail">
              {t("screen.viewDetail")}
            </Link>
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                setResult(null);
                setError(null);
                setFormKey((k) => k + 1);
              }}
            >
              {t("screen.newScreening")}
            </button>
          </div>
        </div>
      )}
    </>
  );
}

export default function Home() {
  return (
    <RequireAuth>
      <ScreeningPage />
    </RequireAuth>
  );
}
