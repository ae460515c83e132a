import Link from "next/link";
import { t } from "@/i18n";

/** Any address that is no page of the app (and `notFound()` from a page). */
export default function NotFound() {
  return (
    <div className="panel" data-testid="not-found">
      <h1>{t("app.notFound.title")}</h1>
      <p>{t("app.notFound.text")}</p>
      <Link className="button" href="/">
        {t("app.notFound.home")}
      </Link>
    </div>
  );
}
