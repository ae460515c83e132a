"use client";

import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useApp } from "@/components/AppContext";
import { InputField, PasswordField } from "@/components/Field";
import { ErrorBox } from "@/components/Notices";
import { t } from "@/i18n";
import { login } from "@/lib/api";

/** Only same-site paths are followed after signing in. */
export function safeNext(next: string | null): string {
  if (!next || !next.startsWith("/") || next.startsWith("//") || next.startsWith("/login")) return "/";
  return next;
}

export function LoginForm() {
  const { me, refresh } = useApp();
  const router = useRouter();
  const params = useSearchParams();
  const next = safeNext(params.get("next"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  async function onSubmit(event: React.FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(username, password);
      await refresh();
      router.replace(next);
    } catch (caught) {
      setError(caught);
      setPassword("");
    } finally {
      setBusy(false);
    }
  }

  if (me && !me.auth_enabled) {
    return (
      <div className="panel login-box">
        <h1>{t("login.title")}</h1>
        <p role="status">{t("login.authDisabled")}</p>
        <Link className="button" href="/">
          {t("login.continue")}
        </Link>
      </div>
    );
  }

  return (
    <div className="panel login-box">
      <h1>{t("login.title")}</h1>
      {params.get("signed_out") && (
        <p role="status" className="muted" data-testid="signed-out">
          {t("login.signedOut")}
        </p>
      )}
      {params.get("password_changed") && (
        <p role="status" className="muted" data-testid="password-changed">
          {t("account.changed")}
        </p>
      )}
      {params.get("next") && !params.get("signed_out") && (
        <p role="status" className="muted">
          {t("login.sessionExpired")}
        </p>
      )}
      <form onSubmit={onSubmit} noValidate={false}>
        <InputField
          id="username"
          label={t("login.username")}
          name="username"
          type="text"
          autoComplete="username"
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <PasswordField
          id="password"
          label={t("login.password")}
          name="password"
          autoComplete="current-password"
          value={password}
          onValue={setPassword}
        />
        {error !== null && <ErrorBox error={error} />}
        <button type="submit" className="button" disabled={busy}>
          {busy ? t("login.submitting") : t("login.submit")}
        </button>
      </form>
    </div>
  );
}
