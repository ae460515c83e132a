import { t } from "@/i18n";

/** Shown at once while a page's server part (e.g. the model card) is still on its way. */
export default function Loading() {
  return (
    <p role="status" className="muted">
      <span className="spinner" aria-hidden="true" /> {t("app.loading")}
    </p>
  );
}
