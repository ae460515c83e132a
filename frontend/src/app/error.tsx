"use client";

// The boundary for an error thrown while rendering a page (a bug, or a server component whose
// call failed unexpectedly): the header stays, the page says so in Thai and offers a retry.
// API refusals are not errors here: pages show those with ErrorBox.
import { useEffect } from "react";
import { t } from "@/i18n";

export default function PageError({
  error,
  reset,
}: {
  error: Error & { digest?: string };
  reset: () => void;
}) {
  useEffect(() => {
    console.error(error);
  }, [error]);
  return (
    <div className="error-box" role="alert" data-testid="page-error">
      <p className="error-title">{t("app.pageError.title")}</p>
      <p>
        <strong>{t("error.whatToDo")}: </strong>
        {t("app.pageError.action")}
      </p>
      {error.digest ? <p className="small muted">{t("app.pageError.digest", { id: error.digest })}</p> : null}
      <button type="button" className="button" onClick={reset}>
        {t("app.pageError.retry")}
      </button>
    </div>
  );
}
