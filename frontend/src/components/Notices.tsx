import { errorText, reasonText, t } from "@/i18n";
import { ApiError } from "@/lib/api";

export function SyntheticBadge() {
  return (
    <span className="badge badge-synthetic" title={t("badge.syntheticTitle")} data-testid="synthetic-badge">
      {t("badge.synthetic")}
    </span>
  );
}

export function SyntheticBanner() {
  return (
    <div className="banner banner-danger" role="note" data-testid="synthetic-banner">
      {t("banner.synthetic")}
    </div>
  );
}

/** The statement every result view carries; `serverText` is the model's own (English). */
export function ScreeningAid({ serverText }: { serverText?: string }) {
  return (
    <aside className="aid" aria-label={t("aid.title")} data-testid="screening-aid">
      <strong>{t("aid.title")}</strong>
      <p>{t("aid.text")}</p>
      {serverText ? (
        <p className="muted small" lang="en">
          {serverText}
        </p>
      ) : null}
    </aside>
  );
}

/** An API error in Thai: the reason, what to do next, and the request id for support. */
export function ErrorBox({ error, code }: { error?: unknown; code?: string }) {
  const apiError = error instanceof ApiError ? error : null;
  const errorCode = code ?? apiError?.code ?? "unknown";
  const text = errorText(errorCode);
  const reason = reasonText(apiError?.problem.reason);
  return (
    <div className="error-box" role="alert" data-testid="error-box" data-code={errorCode}>
      <p className="error-title">{text.title}</p>
      {reason && (
        <p data-testid="error-reason" data-reason={apiError?.problem.reason}>
          {reason}
        </p>
      )}
      <p>
        <strong>{t("error.whatToDo")}: </strong>
        {text.action}
      </p>
      {apiError?.problem.field ? (
        <p className="small">{t("error.field", { field: apiError.problem.field })}</p>
      ) : null}
      {apiError?.retryAfter ? (
        <p className="small">{t("error.retryAfter", { seconds: apiError.retryAfter })}</p>
      ) : null}
      {apiError?.problem.request_id ? (
        <p className="small muted">{t("error.requestId", { id: apiError.problem.request_id })}</p>
      ) : null}
    </div>
  );
}
