"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { RequireAuth, useApp } from "@/components/AppContext";
import { ErrorBox } from "@/components/Notices";
import { ResultView } from "@/components/ResultView";
import { t } from "@/i18n";
import { ApiError, getScreening } from "@/lib/api";
import type { Screening } from "@/lib/types";

function Detail() {
  const params = useParams<{ id: string }>();
  const id = params.id;
  const { model, signedOut } = useApp();
  const [screening, setScreening] = useState<Screening | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let live = true;
    getScreening(id)
      .then((s) => live && setScreening(s))
      .catch((caught: unknown) => {
        if (!live) return;
        if (caught instanceof ApiError && caught.code === "not_authenticated") signedOut();
        setError(caught);
      });
    return () => {
      live = false;
    };
  }, [id, signedOut]);

  return (
    <>
      <p className="no-print">
        <Link href="/history">← {t("result.back")}</Link>
      </p>
      {error !== null && <ErrorBox error={error} />}
      {!screening && error === null && (
        <p role="status" className="muted">
          {t("app.loading")}
        </p>
      )}
      {screening && <ResultView screening={screening} model={model} detail />}
    </>
  );
}

export default function ScreeningDetailPage() {
  return (
    <RequireAuth>
      <Detail />
    </RequireAuth>
  );
}
