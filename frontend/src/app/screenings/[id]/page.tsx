"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { useCallback } from "react";
import { RequireAuth, useApp, useSignedInAnswer } from "@/components/AppContext";
import { ErrorBox } from "@/components/Notices";
import { ResultView } from "@/components/ResultView";
import { t } from "@/i18n";
import { getScreening } from "@/lib/api";

function Detail() {
  const { id } = useParams<{ id: string }>();
  const { model } = useApp();
  const load = useCallback(() => getScreening(id), [id]);
  const { data: screening, error } = useSignedInAnswer(load);

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
